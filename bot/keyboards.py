"""The assistant's neutral buttons as Telegram keyboards."""

from __future__ import annotations

from django.utils.translation import gettext as _
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from assistant.channel import Button, Keyboard, Note


def inline_keyboard(rows: Keyboard) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_inline_button(button) for button in row] for row in rows])


def _inline_button(button: Button) -> InlineKeyboardButton:
    if button.url:
        return InlineKeyboardButton(button.label, url=button.url)
    return InlineKeyboardButton(button.label, callback_data=button.action)


def reply_markup(note: Note):
    """Inline buttons, the "share my phone" keyboard, or the removal of that keyboard."""
    if note.ask_for_phone:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(_("Share my phone number"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if note.close_keyboard:
        return ReplyKeyboardRemove()
    return inline_keyboard(note.buttons) if note.buttons else None
