"""The funnel's stages and the rule that puts a lead at its furthest one.

Both the rollup (which counts each lead at its stage) and the page (which names the stages)
read them from here.
"""

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from conversations.models import Contact, Message

#: Funnel stages in order. A lead counts at a stage only if it also passed every earlier one,
#: so the funnel never widens and no conversion rate goes above 100%.
STAGES = (
    ("started", _("Started")),
    ("wrote", _("Wrote a question")),
    ("shared", _("Shared a contact")),
    ("qualified", _("Qualified")),
    ("won", _("Won")),
)
STARTED = 1
QUALIFIED_STATUSES = (Contact.Status.QUALIFIED, Contact.Status.IN_WORK, Contact.Status.WON)
#: What a person sends that counts as asking: text, or words said in a voice message or an
#: audio file (counted when stored, before their transcript is).
QUESTION_KINDS = (
    Message.ContentType.TEXT,
    Message.ContentType.VOICE,
    Message.ContentType.AUDIO,
)


def furthest_stage() -> Case:
    """1..5 for a `Contact` query: the last stage of `STAGES` it reached without skipping one."""
    wrote = Exists(
        Message.objects.filter(
            contact=OuterRef("pk"), role=Message.Role.USER, content_type__in=QUESTION_KINDS
        )
    )
    shared = ~Q(phone="") | ~Q(email="")
    qualified = Q(qualified_at__isnull=False) | Q(status__in=QUALIFIED_STATUSES)
    won = Q(status=Contact.Status.WON)
    return Case(
        When(~wrote, then=Value(STARTED)),
        When(~shared, then=Value(2)),
        When(~qualified, then=Value(3)),
        When(~won, then=Value(4)),
        default=Value(5),
        output_field=IntegerField(),
    )


def is_question(*, role: str, content_type: str) -> bool:
    """A message that moves its lead past "started" (the `wrote` test of `furthest_stage`)."""
    return role == Message.Role.USER and content_type in QUESTION_KINDS
