"""Telegram handlers: thin translations between updates and the assistant.

Each handler stores what arrived (through `assistant.dialog.receive`, idempotent on the
update id) before anything else, and does nothing more for a redelivered update.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from telegram import ReplyKeyboardRemove, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from assistant import actions, card, dialog
from assistant.dialog import Incoming, Turn
from bot import keyboards
from bot.commands import COMMANDS
from bot.streaming import ReplyStreamer, send_text
from conversations.models import Contact, Message

logger = logging.getLogger(__name__)

CHANNEL = Contact.Channel.TELEGRAM
Kind = Message.ContentType
UNSUPPORTED_KINDS = {
    "sticker": Kind.STICKER,
    "photo": Kind.PHOTO,
    "document": Kind.DOCUMENT,
    "voice": Kind.VOICE,
    "audio": Kind.VOICE,
    "video": Kind.VIDEO,
    "video_note": Kind.VIDEO,
    "animation": Kind.VIDEO,
    "location": Kind.LOCATION,
    "venue": Kind.LOCATION,
}


def incoming_from(update: Update, text: str, content_type: str) -> Incoming:
    user = update.effective_user
    message = update.effective_message
    return Incoming(
        channel=CHANNEL,
        external_id=str(user.id),
        text=text,
        content_type=content_type,
        username=user.username or "",
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        language_code=user.language_code or "",
        update_id=update.update_id,
        message_id=message.message_id if message else None,
    )


def telegram_handler(content_type: str | Callable[[Update], str] = Kind.TEXT):
    """Store the update first, skip redeliveries, and treat `Forbidden` as a blocked bot.

    `content_type` is the stored message's kind, or a function of the update that tells it.
    """

    def decorate(function):
        @functools.wraps(function)
        async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if update.effective_user is None or update.effective_chat is None:
                return
            text = _update_text(update)
            kind = content_type(update) if callable(content_type) else content_type
            try:
                turn = await dialog.receive(incoming_from(update, text, kind))
                if turn.duplicate:
                    logger.info("Update %s was delivered again; skipped", update.update_id)
                    return
                with translation.override(turn.contact.language_code):
                    await function(update, context, turn)
            except Forbidden:
                await dialog.mark_blocked(CHANNEL, str(update.effective_user.id))

        return wrapped

    return decorate


def _update_text(update: Update) -> str:
    if update.callback_query is not None:
        return update.callback_query.data or ""
    message = update.effective_message
    if message.contact is not None:
        return message.contact.phone_number or ""
    if message.location is not None:
        return f"{message.location.latitude},{message.location.longitude}"
    text = message.text or message.caption or ""
    if update.effective_chat.type != ChatType.PRIVATE:
        text = text.replace(f"@{update.get_bot().username}", "").strip()
    return text


async def reply(update: Update, text: str, **extra) -> None:
    await send_text(update.get_bot(), update.effective_chat.id, text, **extra)


async def reply_and_store(update: Update, turn: Turn, text: str, **extra) -> None:
    await dialog.record_note(turn, text)
    await reply(update, text, **extra)


# --- Commands -----------------------------------------------------------------------------


@telegram_handler(Kind.COMMAND)
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    """Greet; a deep-link payload (`/start ads_vk`) becomes the lead's source."""
    if context.args:
        await actions.set_source(turn.contact, context.args[0])
    await reply_and_store(
        update, turn, await actions.greeting(turn.contact), reply_markup=keyboards.start_menu()
    )


@telegram_handler(Kind.COMMAND)
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    lines = [_("I can help with:")]
    lines += [f"/{command.name} — {command.description}" for command in COMMANDS]
    lines.append(_("Or just write your question."))
    await reply_and_store(update, turn, "\n".join(lines))


@telegram_handler(Kind.COMMAND)
async def services_command(update, context, turn: Turn) -> None:
    await show_services(update, turn)


async def show_services(update: Update, turn: Turn) -> None:
    items = await actions.services()
    if not items:
        await reply_and_store(update, turn, _("The list of services is being updated."))
        return
    await reply_and_store(
        update, turn, _("Our services:"), reply_markup=keyboards.services_menu(items)
    )


@telegram_handler(Kind.COMMAND)
async def contact_command(update, context, turn: Turn) -> None:
    await ask_for_contact(update, turn)


async def ask_for_contact(update: Update, turn: Turn) -> None:
    """The personal-data notice always comes before the request itself."""
    notice, request = await actions.contact_request(turn.contact)
    await reply_and_store(update, turn, notice)
    await reply_and_store(update, turn, request, reply_markup=keyboards.share_contact_keyboard())


@telegram_handler(Kind.COMMAND)
async def model_command(update, context, turn: Turn) -> None:
    models = await actions.models()
    if not models:
        await reply_and_store(update, turn, _("No models are available right now."))
        return
    current = await actions.current_model(turn.contact)
    current_pk = current.spec.pk if current.spec else None
    await reply_and_store(
        update,
        turn,
        _("Choose the model that will answer you:"),
        reply_markup=keyboards.models_menu(models, current_pk),
    )


@telegram_handler(Kind.COMMAND)
async def language_command(update, context, turn: Turn) -> None:
    await reply_and_store(
        update, turn, _("Choose your language:"), reply_markup=keyboards.languages_menu()
    )


@telegram_handler(Kind.COMMAND)
async def new_command(update, context, turn: Turn) -> None:
    await actions.start_new_conversation(turn.contact)
    await reply_and_store(update, turn, _("Let's start over. What would you like to know?"))


@telegram_handler(Kind.COMMAND)
async def unknown_command(update, context, turn: Turn) -> None:
    await reply_and_store(update, turn, _("I don't know this command. See /help."))


# --- Buttons ------------------------------------------------------------------------------


@telegram_handler(Kind.CALLBACK)
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    query = update.callback_query
    await query.answer()
    kind, value = keyboards.parse_callback(query.data)
    handler = BUTTONS.get(kind)
    if handler is None:
        await reply_and_store(update, turn, _("This button is no longer active."))
        return
    await handler(update, turn, value)


async def _button_catalog(update: Update, turn: Turn, value: str) -> None:
    await show_services(update, turn)


async def _button_contact(update: Update, turn: Turn, value: str) -> None:
    await ask_for_contact(update, turn)


async def _button_service(update: Update, turn: Turn, value: str) -> None:
    item = await actions.service(_int(value))
    if item is None:
        await reply_and_store(update, turn, _("This service is no longer offered."))
        return
    await reply_and_store(
        update,
        turn,
        actions.service_card(item, turn.contact.language_code),
        reply_markup=keyboards.service_actions(item),
    )


async def _button_interest(update: Update, turn: Turn, value: str) -> None:
    item = await actions.service(_int(value))
    if item is None:
        await reply_and_store(update, turn, _("This service is no longer offered."))
        return
    await actions.record_interest(turn.contact, item.id)
    if turn.contact.has_contact_details:
        await reply_and_store(
            update,
            turn,
            _("Thank you! We noted your interest in “%(service)s” and will contact you soon.")
            % {"service": item.title},
        )
        await notify_staff(update, turn.contact.id)
        return
    await reply_and_store(
        update,
        turn,
        _("Great choice: “%(service)s”. How can we reach you?") % {"service": item.title},
    )
    await ask_for_contact(update, turn)


async def _button_model(update: Update, turn: Turn, value: str) -> None:
    choice = await actions.choose_model(turn.contact, _int(value))
    if choice.spec is None:
        text = _("No models are available right now.")
    elif choice.replaced:
        text = _("That model is not available; you will get answers from %(model)s.") % {
            "model": choice.spec.display_name
        }
    else:
        text = _("Done: %(model)s will answer you now.") % {"model": choice.spec.display_name}
    await reply_and_store(update, turn, text)


async def _button_card(update: Update, turn: Turn, value: str) -> None:
    if value == keyboards.CARD_CORRECT:
        await card.confirm_card(turn.contact.id)
        await reply_and_store(update, turn, _("Thank you! We will contact you soon."))
        return
    await reply_and_store(update, turn, _("Please write what should be corrected."))


async def _button_language(update: Update, turn: Turn, value: str) -> None:
    language = dialog.supported_language(value)
    await actions.set_language(turn.contact, language)
    with translation.override(language):
        await reply_and_store(update, turn, _("Language changed. How can I help?"))


BUTTONS = {
    keyboards.CATALOG: _button_catalog,
    keyboards.CONTACT: _button_contact,
    keyboards.SERVICE: _button_service,
    keyboards.INTEREST: _button_interest,
    keyboards.MODEL: _button_model,
    keyboards.LANGUAGE: _button_language,
    keyboards.CARD: _button_card,
}


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


# --- Contacts, free text, everything else ---------------------------------------------------


@telegram_handler(Kind.CONTACT)
async def shared_contact(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    """Accept only the sender's own card: a forwarded card of someone else is refused."""
    shared = update.effective_message.contact
    if shared.user_id != update.effective_user.id:
        await reply_and_store(
            update,
            turn,
            _("This looks like someone else's contact. Please share your own with the button."),
        )
        return
    result = await actions.record_phone(turn.contact, shared.phone_number)
    if result is None:
        await reply_and_store(update, turn, _("I could not read this phone number, sorry."))
        return
    await thank_for_contact(update, turn, result.contact.phone, result.became_reachable)
    await follow_up_card(update, turn, card.start_card_update(turn))


async def thank_for_contact(update: Update, turn: Turn, detail: str, is_new_lead: bool) -> None:
    await reply_and_store(
        update,
        turn,
        _("Thank you! We saved %(detail)s and will contact you soon.") % {"detail": detail},
        reply_markup=ReplyKeyboardRemove(),
    )
    if is_new_lead:
        await notify_staff(update, turn.contact.id)


async def notify_staff(update: Update, contact_id: int) -> None:
    """Post the lead card to the staff chat; a failure there must not hurt the person's chat."""
    if not settings.TELEGRAM_STAFF_CHAT_ID:
        return
    with translation.override(settings.LANGUAGE_CODE):
        card = await actions.lead_summary(contact_id)
    try:
        await update.get_bot().send_message(settings.TELEGRAM_STAFF_CHAT_ID, card)
    except TelegramError as error:
        logger.error("Could not notify the staff chat: %s", error)


def addressed_to_bot(update: Update, bot_username: str, bot_id: int) -> bool:
    """In groups the bot answers only when mentioned or replied to; in private, always."""
    message = update.effective_message
    if update.effective_chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if replied is not None and replied.from_user and replied.from_user.id == bot_id:
        return True
    mentions = message.parse_entities([MessageEntityType.MENTION]).values()
    return f"@{bot_username}".lower() in (mention.lower() for mention in mentions)


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    bot = update.get_bot()
    if update.effective_message is None or not addressed_to_bot(update, bot.username, bot.id):
        return
    await _answer_text(update, context)


@telegram_handler(Kind.TEXT)
async def _answer_text(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    text = _update_text(update)
    if not text.strip():
        await reply_and_store(update, turn, _("Please write your question in words."))
        return
    capture = await dialog.capture_details(turn, text)
    turn = capture.turn
    if capture.update is not None and capture.update.changed:
        await thank_for_contact(update, turn, capture.saved, capture.update.became_reachable)
        if dialog.is_only_contact_details(text):
            await follow_up_card(update, turn, card.start_card_update(turn))
            return
    elif capture.invalid_phone and dialog.is_only_contact_details(text):
        await reply_and_store(
            update,
            turn,
            _(
                "This doesn't look like a valid phone number. "
                "Please check it, e.g. +7 912 345-67-89."
            ),
        )
        return
    admission = dialog.admit(turn)
    if not admission.allowed:
        if admission.note:
            await reply_and_store(update, turn, admission.note)
        return
    card_update = card.start_card_update(turn)
    await stream_answer(update, turn, text)
    await follow_up_card(update, turn, card_update)


async def follow_up_card(update: Update, turn: Turn, card_update) -> None:
    """After the answer is out: when the card became complete, confirm it and tell staff."""
    outcome = await card_update
    if outcome.qualified_now:
        await reply_and_store(
            update, turn, outcome.summary, reply_markup=keyboards.card_confirmation()
        )
        await notify_staff(update, turn.contact.id)


async def stream_answer(update: Update, turn: Turn, text: str) -> None:
    chat = update.effective_chat
    streamer = ReplyStreamer(update.get_bot(), chat.id, private=chat.type == ChatType.PRIVATE)
    answer = await dialog.answer(turn, text, streamer.update)
    for note in answer.notes:
        await reply(update, note)
    await streamer.finish(answer.text)


def unsupported_kind(update: Update) -> str:
    message = update.effective_message
    for attribute, kind in UNSUPPORTED_KINDS.items():
        if getattr(message, attribute, None):
            return kind
    return Kind.OTHER


async def other_content(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, files, voice, locations: stored with their kind, answered politely.

    In groups they are other people's traffic, not addressed to the bot: left alone.
    """
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        return
    await _note_unsupported(update, context)


@telegram_handler(unsupported_kind)
async def _note_unsupported(update, context, turn: Turn) -> None:
    await reply_and_store(
        update, turn, _("I can read only text for now. Please write your question in words.")
    )


@telegram_handler(Kind.TEXT)
async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    """An edit is stored as the person's new wording; it is not answered a second time."""


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One place for unexpected errors: log them and apologise instead of going silent."""
    logger.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    language = dialog.supported_language(user.language_code if user else None)
    with translation.override(language):
        apology = _("Sorry, something went wrong. Please try again.")
    try:
        await update.get_bot().send_message(update.effective_chat.id, apology)
    except TelegramError:
        logger.warning("Could not apologise in chat %s", update.effective_chat.id)
