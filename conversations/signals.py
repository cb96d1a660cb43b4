"""Signals for writes that send no model signal (a queryset's `update()`), for the apps above
that follow the leads (the analytics rollup)."""

from django.dispatch import Signal

#: Sent after leads of no bot became the bot `bot_id`'s own in one UPDATE (`contacts_adopt`).
contacts_adopted = Signal()
