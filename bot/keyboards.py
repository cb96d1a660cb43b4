"""Inline and reply keyboards; callback data is `<kind>:<value>`, well under Telegram's 64 bytes."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from assistant.gateway import ModelSpec
from catalog.selectors import ServiceInfo

SERVICE = "service"
INTEREST = "interest"
MODEL = "model"
LANGUAGE = "lang"
CATALOG = "catalog"
CONTACT = "contact"
CARD = "card"
CARD_CORRECT = "ok"
CARD_FIX = "fix"
#: Marks the model a person has chosen in the /model menu.
CHOSEN_MARK = "✓ "


def parse_callback(data: str | None) -> tuple[str, str]:
    kind, _sep, value = (data or "").partition(":")
    return kind, value


def start_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Services and prices"), callback_data=f"{CATALOG}:")],
            [InlineKeyboardButton(_("Leave a contact"), callback_data=f"{CONTACT}:")],
        ]
    )


def services_menu(services: list[ServiceInfo]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(service.title, callback_data=f"{SERVICE}:{service.id}")]
            for service in services
        ]
    )


def service_actions(service: ServiceInfo) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("I'm interested"), callback_data=f"{INTEREST}:{service.id}")],
            [InlineKeyboardButton(_("All services"), callback_data=f"{CATALOG}:")],
        ]
    )


def models_menu(models: list[ModelSpec], current_pk: int | None) -> InlineKeyboardMarkup:
    rows = []
    for model in models:
        mark = CHOSEN_MARK if model.pk == current_pk else ""
        rows.append(
            [InlineKeyboardButton(mark + model.display_name, callback_data=f"{MODEL}:{model.pk}")]
        )
    return InlineKeyboardMarkup(rows)


def languages_menu() -> InlineKeyboardMarkup:
    names = {"ru": "Русский", "en": "English"}
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(names.get(code, code), callback_data=f"{LANGUAGE}:{code}")]
            for code, _name in settings.LANGUAGES
        ]
    )


def card_confirmation() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Yes, correct"), callback_data=f"{CARD}:{CARD_CORRECT}")],
            [InlineKeyboardButton(_("Fix something"), callback_data=f"{CARD}:{CARD_FIX}")],
        ]
    )


def private_chat_link(bot_username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Write to me privately"), url=f"https://t.me/{bot_username}")]]
    )


def share_contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(_("Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
