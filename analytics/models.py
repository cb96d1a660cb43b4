"""Daily totals behind the analytics page, kept current as leads and messages change.

Everything here is derived from `conversations` and `discovery` rows and can be rebuilt from
them (`manage.py rebuild_analytics`); `analytics/rollup/` keeps it current. A day is a
calendar day in `settings.TIME_ZONE`; every number is counted under its lead's bot and current
source (the lead's segment), so the page reads one bot's numbers as fast as everyone's.
Counters are plain integers (no CHECK), so a total that went wrong never blocks storing a
message; a rebuild puts it right.
"""

from django.db import models

#: The bot a lead of no bot (the terminal chat's) is counted under: no bot has this id.
NO_BOT = 0


class RollupRow(models.Model):
    """Rows that only the rollup reads, each counted on a day under a lead's bot and source.

    The bot is its id without a foreign key: a bot's numbers are history, and a bot deleted
    (once it has no leads) leaves only rows that count nothing. Shown (in a shell or a log) as
    their values, the primary key first.
    """

    day = models.DateField()
    bot_id = models.BigIntegerField(default=NO_BOT)
    source = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        rest = (field.attname for field in self._meta.concrete_fields if not field.primary_key)
        return " · ".join(
            str(value) for value in (self.pk, *(getattr(self, name) for name in rest))
        )


def daily_key(name: str, *rest: str) -> list[models.UniqueConstraint]:
    """A daily table's key: day, bot, source and `rest`; the rollup adds to a row by it
    (upsert)."""
    return [models.UniqueConstraint(fields=["day", "bot_id", "source", *rest], name=name)]


class CountedLead(RollupRow):
    """The funnel cell a lead is counted in: the day it came, its bot and source and its
    furthest stage.

    Knowing what was counted lets a change move the lead from exactly that cell to its new one,
    and its messages' numbers to a new source (or bot).
    """

    contact = models.OneToOneField(
        "conversations.Contact",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="counted",
    )
    stage = models.PositiveSmallIntegerField()


class CountedConversation(RollupRow):
    """The size a conversation is counted with, on the day it started, under its lead's bot
    and source."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    messages = models.PositiveIntegerField(default=0)


class DailyLeads(RollupRow):
    """Leads of a bot that came on a day from a source and are now at a furthest stage."""

    stage = models.PositiveSmallIntegerField()
    leads = models.IntegerField(default=0)

    class Meta:
        constraints = daily_key("daily_leads_key", "stage")


class DailyConversations(RollupRow):
    """Conversations started on a day (leads of a bot and source) that now hold so many
    messages.

    A histogram of sizes, so the median over any period is exact.
    """

    messages = models.PositiveIntegerField()
    conversations = models.IntegerField(default=0)

    class Meta:
        constraints = daily_key("daily_conversations_key", "messages")


class DailyUsage(RollupRow):
    """LLM calls of one model on a day for leads of a bot and source, with their tokens."""

    class Kind(models.TextChoices):
        REPLY = "reply"
        EXTRACTION = "extraction"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    model_name = models.CharField(max_length=200)
    calls = models.IntegerField(default=0)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    #: Calls whose provider sent no token counts, so their tokens are estimates.
    estimated_calls = models.IntegerField(default=0)

    class Meta:
        constraints = daily_key("daily_usage_key", "kind", "model_name")


class DailyLatency(RollupRow):
    """Replies on a day (leads of a bot and source) whose latency fell in a bucket
    (`latency.py`)."""

    bucket = models.PositiveSmallIntegerField()
    replies = models.IntegerField(default=0)

    class Meta:
        constraints = daily_key("daily_latency_key", "bucket")
