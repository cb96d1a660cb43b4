"""Writes of the news told to staff about a lead, so the same news is never told twice."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from conversations.models import StaffNotice


@dataclass(frozen=True)
class StaffNoticeClaim:
    """The right to tell staff one piece of news; `card_message_id` is the lead's card, if any."""

    notice_id: int
    card_message_id: int | None


def staff_notice_claim(
    *, contact_id: int, reason: str, subject: str = ""
) -> StaffNoticeClaim | None:
    """Reserve telling staff this news; None when they were told it already.

    The unique (contact, reason, subject) row is the reservation, so two updates of one lead
    cannot both tell the same news.
    """
    try:
        with transaction.atomic():
            notice = StaffNotice.objects.create(
                contact_id=contact_id, reason=reason, subject=subject
            )
    except IntegrityError:
        return None
    card = (
        StaffNotice.objects.filter(contact_id=contact_id, is_card=True)
        .exclude(telegram_message_id=None)
        .values_list("telegram_message_id", flat=True)
        .first()
    )
    return StaffNoticeClaim(notice.pk, card)


def staff_notice_record_sent(*, notice_id: int, telegram_message_id: int, is_card: bool) -> None:
    StaffNotice.objects.filter(pk=notice_id).update(
        telegram_message_id=telegram_message_id, is_card=is_card
    )


def staff_notice_release(*, notice_id: int) -> None:
    """The news did not reach staff: forget the reservation so a later event tells it."""
    StaffNotice.objects.filter(pk=notice_id).delete()
