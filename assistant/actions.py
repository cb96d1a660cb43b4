"""Channel-neutral actions behind the bot's commands and buttons (async, DB off the loop)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from assistant.context import format_price
from assistant.dialog import db_call, record_details
from assistant.gateway import ModelSpec
from assistant.selectors import model_spec_for, usable_model_specs
from catalog.selectors import ServiceInfo, active_service, active_services
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.contact_details import normalize_phone
from conversations.services import ContactInfo, ContactUpdate, StaffNoticeClaim
from discovery import selectors as discovery_selectors


async def prompt(contact: ContactInfo, key: str) -> str:
    texts = await db_call(conversation_selectors.prompt_texts)(language=contact.language_code)
    return texts.get(key, "")


async def greeting(contact: ContactInfo) -> str:
    text = await prompt(contact, "greeting")
    if text:
        return text
    with translation.override(contact.language_code):
        return _("Hello! I can tell you about our services and answer your questions.")


async def contact_request(contact: ContactInfo) -> tuple[str, str]:
    """The personal-data notice and the request for a contact, in the person's language."""
    texts = await db_call(conversation_selectors.prompt_texts)(language=contact.language_code)
    with translation.override(contact.language_code):
        notice = texts.get("privacy_notice") or _(
            "We keep your name and contact only to answer your request."
        )
        request = texts.get("contact_request") or _(
            "Please share your phone number or type your e-mail, and we will get back to you."
        )
    url = settings.PRIVACY_POLICY_URL
    notice = notice.replace("{privacy_url}", url)
    if url and url not in notice:
        notice = f"{notice}\n{url}"
    return notice, request


async def services(contact: ContactInfo) -> list[ServiceInfo]:
    """The catalog in the person's language."""
    return await db_call(active_services)(language=contact.language_code)


async def service(contact: ContactInfo, service_id: int) -> ServiceInfo | None:
    return await db_call(active_service)(service_id=service_id, language=contact.language_code)


def service_card(item: ServiceInfo, language: str) -> str:
    with translation.override(language):
        lines = [f"**{item.title}**", _("Price: %(price)s") % {"price": format_price(item)}]
        if item.duration:
            lines.append(_("Duration: %(duration)s") % {"duration": item.duration})
    lines.append("")
    lines.append(item.description or item.short_description)
    return "\n".join(lines).strip()


async def record_interest(contact: ContactInfo, service_id: int) -> None:
    await db_call(conversation_services.contact_record_interest)(
        contact_id=contact.id, service_id=service_id
    )


async def models() -> list[ModelSpec]:
    return await db_call(usable_model_specs)()


@dataclass(frozen=True)
class ModelChoice:
    spec: ModelSpec | None
    replaced: bool


async def current_model(contact: ContactInfo) -> ModelChoice:
    spec, replaced = await db_call(model_spec_for)(chosen_model_id=contact.chosen_model_id)
    return ModelChoice(spec, replaced)


def _choose_model(contact_id: int, model_pk: int) -> ModelChoice:
    spec, replaced = model_spec_for(chosen_model_id=model_pk)
    conversation_services.contact_set_model(
        contact_id=contact_id, model_id=None if replaced else model_pk
    )
    return ModelChoice(spec, replaced)


async def choose_model(contact: ContactInfo, model_pk: int) -> ModelChoice:
    """Store the choice; an unknown or inactive model falls back to the default."""
    return await db_call(_choose_model)(contact.id, model_pk)


async def set_language(contact: ContactInfo, language_code: str) -> None:
    await db_call(conversation_services.contact_set_language)(
        contact_id=contact.id, language_code=language_code
    )


async def start_new_conversation(contact: ContactInfo, *, group_chat_id: str = "") -> None:
    await db_call(conversation_services.conversation_start_new)(
        contact_id=contact.id, group_chat_id=group_chat_id
    )


async def set_source(contact: ContactInfo, source: str) -> bool:
    return await db_call(conversation_services.contact_set_source)(
        contact_id=contact.id, source=source
    )


async def record_phone(contact: ContactInfo, raw_phone: str) -> ContactUpdate | None:
    """Save a shared phone; None when it is not a valid number."""
    phone = normalize_phone(raw_phone)
    if phone is None:
        return None
    return await db_call(record_details)(contact.id, phone, None)


async def claim_staff_notice(
    contact: ContactInfo, *, reason: str, subject: str
) -> StaffNoticeClaim | None:
    """The right to tell staff this news now; None when they heard it already."""
    return await db_call(conversation_services.staff_notice_claim)(
        contact_id=contact.id, reason=reason, subject=subject
    )


async def record_staff_notice(notice_id: int, telegram_message_id: int | None, *, is_card: bool):
    """What the staff chat got for a notice; nothing arrived releases the notice."""
    if telegram_message_id is None:
        await db_call(conversation_services.staff_notice_release)(notice_id=notice_id)
        return
    await db_call(conversation_services.staff_notice_record_sent)(
        notice_id=notice_id, telegram_message_id=telegram_message_id, is_card=is_card
    )


async def lead_summary(contact_id: int) -> str:
    """A card for the staff chat about a lead that just left a contact."""
    return await db_call(_lead_summary)(contact_id)


def _lead_summary(contact_id: int) -> str:
    contact = conversation_selectors.contact_info(contact_id=contact_id)
    interests = conversation_selectors.contact_interests(
        contact_id=contact_id, language=settings.LANGUAGE_CODE
    )
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("New lead: %(name)s") % {"name": contact.display_name},
            _("Username: %(username)s")
            % {"username": f"@{contact.username}" if contact.username else "—"},
            _("Phone: %(phone)s") % {"phone": contact.phone or "—"},
            _("E-mail: %(email)s") % {"email": contact.email or "—"},
            _("Source: %(source)s") % {"source": contact.source or "—"},
        ]
        if interests:
            lines.append(_("Interested in: %(services)s") % {"services": ", ".join(interests)})
        card = discovery_selectors.lead_card(contact_id=contact_id)
        lines += [f"{entry.label}: {entry.display}" for entry in card if entry.is_known]
    return "\n".join(lines)
