"""Building the LLM request: prompts, catalog, what we know of the person, and history.

Token counting must work offline (tiktoken downloads its encodings on first use), so
tokens are estimated from UTF-8 bytes: about four bytes per token for Latin text and two
characters per token for Cyrillic, which errs on the generous side for today's tokenizers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from catalog.selectors import ServiceInfo
from conversations.selectors import HistoryItem
from conversations.services import ContactInfo
from discovery.selectors import CardEntry, ScenarioInfo

MESSAGE_OVERHEAD_TOKENS = 4
SAFETY_MARGIN_TOKENS = 64
LANGUAGE_NAMES = {"ru": "Russian", "en": "English"}
GROUP_CHAT_RULE = (
    "## Group chat\nThis conversation is in a group chat that other people read. Never ask for "
    "or mention anyone's phone number, e-mail or other personal details here; to leave a "
    "contact, invite the person to write to you in a private chat."
)


def estimate_tokens(text: str) -> int:
    """A generous offline estimate of the tokens in `text`."""
    return (len(text.encode("utf-8")) + 3) // 4 + MESSAGE_OVERHEAD_TOKENS


@dataclass(frozen=True)
class ContextParts:
    prompts: dict[str, str]
    services: list[ServiceInfo]
    contact: ContactInfo
    history: list[HistoryItem]
    discovery: str = ""
    private_chat: bool = True


def format_price(service: ServiceInfo) -> str:
    if service.price is None:
        return _("price on request")
    amount = f"{service.price:,.2f}".replace(",", " ").removesuffix(".00")
    return f"{amount} {service.currency}"


def catalog_text(services: list[ServiceInfo]) -> str:
    lines = []
    for service in services:
        line = f"- {service.title}: {format_price(service)}"
        if service.duration:
            line += f"; {service.duration}"
        if service.short_description:
            line += f". {service.short_description}"
        lines.append(line)
    return "\n".join(lines)


def known_fields_text(contact: ContactInfo) -> str:
    """What the assistant already knows, so it never asks for it again."""
    fields = {
        "name": contact.display_name if (contact.first_name or contact.last_name) else "",
        "phone": contact.phone,
        "e-mail": contact.email,
    }
    known = [f"{name}: {value}" for name, value in fields.items() if value]
    return "\n".join(known) if known else "nothing yet"


def system_message(parts: ContextParts) -> str:
    """One system message; the section headings are for the model, so they stay in English."""
    language = LANGUAGE_NAMES.get(parts.contact.language_code, "Russian")
    with translation.override(parts.contact.language_code):
        catalog = catalog_text(parts.services) or "(the catalog is empty)"
    sections = [
        parts.prompts.get("system", ""),
        f"Answer in {language}.",
        "## FAQ\n" + parts.prompts.get("faq", ""),
        "## Services and prices (quote prices only from this list)\n" + catalog,
    ]
    if not parts.private_chat:
        sections.append(GROUP_CHAT_RULE)
        return "\n\n".join(section for section in sections if section.strip())
    sections.append("## What we know about the person\n" + known_fields_text(parts.contact))
    if parts.discovery:
        sections.append("## Need discovery\n" + parts.discovery)
    if not parts.contact.has_contact_details and parts.prompts.get("contact_request"):
        sections.append("## How to ask for a contact\n" + parts.prompts["contact_request"])
    return "\n\n".join(section for section in sections if section.strip())


def build_messages(
    parts: ContextParts, *, context_window: int, max_output_tokens: int
) -> list[dict]:
    """The chat messages for the model, the oldest history dropped to fit the window."""
    system = system_message(parts)
    budget = context_window - max_output_tokens - SAFETY_MARGIN_TOKENS - estimate_tokens(system)
    chosen: list[dict] = []
    for item in reversed(parts.history):
        role = "user" if item.role == "user" else "assistant"
        cost = estimate_tokens(item.text)
        if cost > budget:
            if not chosen:
                chosen.append({"role": role, "content": _truncate_to_tokens(item.text, budget)})
            break
        budget -= cost
        chosen.append({"role": role, "content": item.text})
    return [{"role": "system", "content": system}, *reversed(chosen)]


def _truncate_to_tokens(text: str, tokens: int) -> str:
    """Keep the end of an oversized message: the latest words matter most."""
    keep_bytes = max(tokens - MESSAGE_OVERHEAD_TOKENS, 1) * 4
    encoded = text.encode("utf-8")
    return encoded[-keep_bytes:].decode("utf-8", errors="ignore")


def discovery_brief(
    scenario: ScenarioInfo, card: list[CardEntry], declined: set[str], language: str
) -> str:
    """The part of the reply's system message that steers the conversation by the scenario."""
    known = [f"{entry.label}: {entry.display}" for entry in card if entry.is_known]
    missing = [entry for entry in card if not entry.is_known and entry.key not in declined]
    hints = {field.key: field.hint(language) for field in scenario.fields}
    lines = [scenario.guidance_in(language)]
    lines.append("Known about the person (never ask again): " + ("; ".join(known) or "nothing yet"))
    if missing:
        lines.append(
            "Still to find out, in this order. First answer the person's question, then ask "
            "for only the first missing item, in your own words:"
        )
        for entry in missing:
            need = "" if entry.required else " (optional)"
            hint = f" — {hints[entry.key]}" if hints.get(entry.key) else ""
            lines.append(f"- {entry.label}{need}{hint}")
    else:
        lines.append("Everything needed is known: do not ask for more details.")
    return "\n".join(line for line in lines if line)
