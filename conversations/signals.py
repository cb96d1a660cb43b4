"""Signals for writes that send no model signal (a queryset's `update()`), for the apps above
that follow the leads (the analytics rollup)."""

from django.dispatch import Signal

#: Sent after leads of no bot became the bot `bot_id`'s own in one UPDATE (`contacts_adopt`).
contacts_adopted = Signal()

#: Sent inside the transaction that deletes a person's data at their request
#: (`contact_erase`), with `contact_id` and what identified the person before
#: (`channel`, `external_id`, `bot_id`), so the apps above delete what they keep of them.
contact_erased = Signal()

#: Sent inside the transaction that keeps a person's comment on an answer they rated 👎
#: (`rating_take_comment`, an UPDATE), with the rated answer's `answer_id` and the `comment`.
rating_commented = Signal()

#: Sent inside each transaction of the retention period's removal of text
#: (`messages_redact_before`, an UPDATE), with the `message_ids` whose text went, so the apps
#: above delete the copies they keep of it.
messages_redacted = Signal()
