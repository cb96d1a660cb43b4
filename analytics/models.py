"""Daily totals behind the analytics page, kept current as leads and messages change.

Everything here is derived from `conversations` and `discovery` rows and can be rebuilt from
them (`manage.py rebuild_analytics`); `analytics/rollup.py` keeps it current. A day is a
calendar day in `settings.TIME_ZONE`, a source is the lead's current source. Counters are
plain integers (no CHECK), so a total that went wrong never blocks storing a message; a
rebuild puts it right.
"""

from django.db import models


class RollupRow(models.Model):
    """Rows that only the rollup reads; shown (in a shell or a log) as their values."""

    class Meta:
        abstract = True

    def __str__(self):
        return " · ".join(str(getattr(self, field.attname)) for field in self._meta.concrete_fields)


class CountedLead(RollupRow):
    """The funnel cell a lead is counted in: the day it came, its source and furthest stage.

    Knowing what was counted lets a change move the lead from exactly that cell to its new one,
    and its messages' numbers to a new source.
    """

    contact = models.OneToOneField(
        "conversations.Contact",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="counted",
    )
    day = models.DateField()
    source = models.CharField(max_length=64, blank=True)
    stage = models.PositiveSmallIntegerField()


class CountedConversation(RollupRow):
    """The size a conversation is counted with, on the day it started, under its lead's source."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    day = models.DateField()
    source = models.CharField(max_length=64, blank=True)
    messages = models.PositiveIntegerField(default=0)


class DailyLeads(RollupRow):
    """Leads that came on a day from a source and are now at a furthest stage."""

    day = models.DateField()
    source = models.CharField(max_length=64, blank=True)
    stage = models.PositiveSmallIntegerField()
    leads = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "source", "stage"], name="daily_leads_key")
        ]


class DailyConversations(RollupRow):
    """Conversations started on a day (leads of a source) that now hold so many messages.

    A histogram of sizes, so the median over any period is exact.
    """

    day = models.DateField()
    source = models.CharField(max_length=64, blank=True)
    messages = models.PositiveIntegerField()
    conversations = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "messages"], name="daily_conversations_key"
            )
        ]


class DailyUsage(RollupRow):
    """LLM calls of one model on a day for leads of a source, with their tokens."""

    class Kind(models.TextChoices):
        REPLY = "reply"
        EXTRACTION = "extraction"

    day = models.DateField()
    source = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    model_name = models.CharField(max_length=200)
    calls = models.IntegerField(default=0)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    #: Calls whose provider sent no token counts, so their tokens are estimates.
    estimated_calls = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "source", "kind", "model_name"], name="daily_usage_key"
            )
        ]


class DailyLatency(RollupRow):
    """Replies on a day (leads of a source) whose latency fell in a bucket (`latency.py`)."""

    day = models.DateField()
    source = models.CharField(max_length=64, blank=True)
    bucket = models.PositiveSmallIntegerField()
    replies = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "source", "bucket"], name="daily_latency_key")
        ]
