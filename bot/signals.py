"""What the bot's processes tell the apps above them, which they cannot import."""

from django.dispatch import Signal

#: Sent by every bot process (`runbot`, `runworker`, in `bot.serving`) once it serves its bots,
#: with `bots` (its `BotApplications`) and `stopping` (an `asyncio.Event` set when the process
#: stops). A receiver may return an `asyncio.Task` of work to do beside the updates (the
#: alerts' checks) that ends soon after `stopping` is set: the process waits for it (at most
#: the drain time), so no database work of it is cut off mid-way.
serving_started = Signal()
