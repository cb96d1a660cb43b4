"""Writes to leads: found or created per channel user, their names, language, source, block
and contact details."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import Contact, erased_lead_name, lead_display_name
from conversations.signals import contacts_adopted
from core.storable import storable_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContactInfo:
    """What the assistant needs to know about a contact, detached from the ORM."""

    id: int
    channel: str
    external_id: str
    first_name: str
    last_name: str
    username: str
    language_code: str
    phone: str
    email: str
    status: str
    source: str
    is_blocked: bool
    consent_at: datetime | None
    #: The bot the person writes to (None: a channel without bots, such as the terminal).
    bot_id: int | None = None
    #: When the person's data was deleted at their request (the lead is an anonymous record).
    erased_at: datetime | None = None
    #: The privacy policy's version the person consented under.
    consent_policy_version: str = ""

    @classmethod
    def from_contact(cls, contact: Contact) -> ContactInfo:
        return cls(
            id=contact.pk,
            channel=contact.channel,
            bot_id=contact.bot_id,
            external_id=contact.external_id,
            first_name=contact.first_name,
            last_name=contact.last_name,
            username=contact.username,
            language_code=contact.language_code,
            phone=contact.phone,
            email=contact.email,
            status=contact.status,
            source=contact.source,
            is_blocked=contact.is_blocked,
            consent_at=contact.consent_at,
            erased_at=contact.erased_at,
            consent_policy_version=contact.consent_policy_version,
        )

    @property
    def display_name(self) -> str:
        if self.erased_at:
            return erased_lead_name(self.id)
        return lead_display_name(
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            channel=self.channel,
            external_id=self.external_id,
        )

    @property
    def has_contact_details(self) -> bool:
        return bool(self.phone or self.email)


@dataclass(frozen=True)
class ContactUpdate:
    """Result of recording contact details: whether the lead just became reachable."""

    contact: ContactInfo
    became_reachable: bool
    changed: bool


def contact_touch(
    *,
    channel: str,
    external_id: str,
    bot_id: int | None = None,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
    language_code: str = "",
) -> tuple[ContactInfo, bool]:
    """Find or create the contact (one per bot and channel user) and refresh the names it
    shows on the channel."""
    defaults = {
        "username": storable_text(username or ""),
        "first_name": storable_text(first_name or ""),
        "last_name": storable_text(last_name or ""),
    }
    create_defaults = {**defaults, "language_code": language_code or "ru"}
    key = {"bot_id": bot_id, "channel": channel, "external_id": str(external_id)}
    try:
        contact, created = Contact.objects.get_or_create(**key, defaults=create_defaults)
    except IntegrityError:
        contact, created = Contact.objects.get(**key), False
    if created:
        logger.info("New contact %s on %s", contact.pk, channel)
    else:
        changed = [field for field, value in defaults.items() if getattr(contact, field) != value]
        if changed:
            for field in changed:
                setattr(contact, field, defaults[field])
            contact.save(update_fields=[*changed, "updated_at"])
    return ContactInfo.from_contact(contact), created


def contacts_adopt(*, bot_id: int, channel: str) -> int:
    """Leads of `channel` that belong to no bot become the bot's own (the bot of
    TELEGRAM_BOT_TOKEN, registered after they came: the data migration found no token).

    One UPDATE, which sends no `post_save`: `contacts_adopted` tells those who follow leads.
    """
    adopted = Contact.objects.filter(bot__isnull=True, channel=channel).update(bot_id=bot_id)
    if adopted:
        contacts_adopted.send(sender=Contact, bot_id=bot_id)
    return adopted


def contact_set_language(*, contact_id: int, language_code: str) -> None:
    Contact.objects.filter(pk=contact_id).update(
        language_code=language_code, updated_at=timezone.now()
    )


def contact_set_source(*, contact_id: int, source: str) -> bool:
    """Remember where the lead came from; the first source wins, later links don't overwrite.

    Saved through the model, so the analytics rollup follows the lead to its source.
    """
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id, source="").first()
        if contact is None:
            return False
        contact.source = storable_text(source)[:64]
        contact.save(update_fields=["source", "updated_at"])
    return True


def contact_set_status(*, contact_id: int, status: str) -> None:
    """Staff set a lead's status (the public API; the admin saves the form itself).

    Saved whole, as the admin saves a lead, so the model signals the apps above listen to
    (the CRM's "status changed" event with the status before, the analytics rollup) fire
    exactly as for a change made in the admin.
    """
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        if contact.status != status:
            contact.status = status
            contact.save()


def contact_mark_blocked(*, contact_id: int, blocked: bool = True) -> None:
    """Remember that the person blocked the bot (or came back), so we stop writing to them."""
    contacts = Contact.objects.filter(pk=contact_id)
    if contacts.exclude(is_blocked=blocked).update(is_blocked=blocked, updated_at=timezone.now()):
        state = "blocked" if blocked else "unblocked"
        logger.info("Contact %s %s the bot", contact_id, state)


def contact_record_details(
    *, contact_id: int, phone: str | None = None, email: str | None = None, qualify: bool = True
) -> ContactUpdate:
    """Save a normalized phone and/or e-mail; sharing them is consent to be contacted.

    With `qualify` (no discovery scenario applies) a new lead becomes qualified once it is
    reachable; with a scenario, the scenario's required fields decide that instead.
    """
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        was_reachable = bool(contact.phone or contact.email)
        changed = []
        if phone and contact.phone != phone:
            contact.phone = phone
            changed.append("phone")
        if email and contact.email != email:
            contact.email = email
            changed.append("email")
        if changed:
            if qualify and contact.status == Contact.Status.NEW:
                contact.status = Contact.Status.QUALIFIED
                contact.qualified_at = timezone.now()
                changed += ["status", "qualified_at"]
            if contact.consent_at is None:
                contact.consent_at = timezone.now()
                contact.consent_policy_version = settings.PRIVACY_POLICY_VERSION
                changed += ["consent_at", "consent_policy_version"]
            contact.save(update_fields=[*changed, "updated_at"])
    became_reachable = bool(changed) and not was_reachable
    if became_reachable:
        logger.info("Lead captured: contact %s", contact_id)
    return ContactUpdate(ContactInfo.from_contact(contact), became_reachable, bool(changed))
