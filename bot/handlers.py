"""Telegram handlers: thin translations between updates and the assistant.

Each handler stores what arrived (through `assistant.dialog.receive`, idempotent on the
update id) before anything else, and does nothing more for a redelivered update.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from telegram import ReplyKeyboardRemove, ReplyParameters, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from assistant import actions, card, dialog
from assistant.dialog import Incoming, Turn
from bot import keyboards
from bot.commands import COMMANDS
from bot.delivery import Courier, Delivery
from bot.streaming import ReplyStreamer
from conversations.models import Contact, Message, StaffNotice

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
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: What staff read under a lead's card when there is news, in the site language.
STAFF_FOLLOW_UPS = {
    StaffNotice.Reason.NEW_LEAD: gettext_lazy("The lead left a contact."),
    StaffNotice.Reason.INTEREST: gettext_lazy("Interested in: %(detail)s"),
    StaffNotice.Reason.QUALIFIED: gettext_lazy("The lead card is complete."),
    StaffNotice.Reason.CORRECTED: gettext_lazy("The lead corrected the card:\n%(detail)s"),
}


def is_private(update: Update) -> bool:
    return update.effective_chat.type == ChatType.PRIVATE


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
        group_chat_id="" if is_private(update) else str(update.effective_chat.id),
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


def pressed_label(query) -> str:
    """What the person pressed, as they saw it, for the transcript: the button's text, and for
    "I'm interested" the title of the service card it was under. Data the bot never offered
    (an old or forged button) is kept as it came."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    rows = markup.inline_keyboard if markup else ()
    button = next((b for row in rows for b in row if b.callback_data == query.data), None)
    if button is None:
        return query.data or ""
    label = button.text.removeprefix(keyboards.CHOSEN_MARK)
    kind, _value = keyboards.parse_callback(query.data)
    heading = (getattr(message, "text", None) or "").split("\n", 1)[0].strip()
    return f"{label} — {heading}" if kind == keyboards.INTEREST and heading else label


def _update_text(update: Update) -> str:
    if update.callback_query is not None:
        return pressed_label(update.callback_query)
    message = update.effective_message
    if message.contact is not None:
        return message.contact.phone_number or ""
    if message.location is not None:
        return f"{message.location.latitude},{message.location.longitude}"
    text = message.text or message.caption or ""
    if not is_private(update):
        mention = re.compile(rf"@{re.escape(update.get_bot().username)}\b", re.IGNORECASE)
        text = mention.sub("", text).strip()
    return text


def courier(update: Update, chat_id: int | str | None = None) -> Courier:
    """Delivery to the update's chat (or another one) within the delivery deadline."""
    return Courier(
        update.get_bot(),
        update.effective_chat.id if chat_id is None else chat_id,
        deadline_seconds=settings.TELEGRAM_DELIVERY_DEADLINE,
    )


async def record_delivery(message_id: int, delivery: Delivery) -> None:
    """Keep what arrived; stop handling the update when the person blocked the bot."""
    await dialog.record_delivery(
        message_id,
        state=delivery.state,
        parts=[part.as_record() for part in delivery.parts],
        error=delivery.error,
    )
    delivery.raise_if_blocked()


async def reply_and_store(update: Update, turn: Turn, text: str, **extra) -> None:
    """Store what the bot says, then deliver it and record what became of it."""
    message_id = await dialog.record_note(turn, text)
    await record_delivery(message_id, await courier(update).send_text(text, **extra))


# --- Commands -----------------------------------------------------------------------------


@telegram_handler(Kind.COMMAND)
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    """Greet; a deep-link payload (`/start ads_vk`) becomes the lead's source.

    Telegram's own links carry only `A-Z a-z 0-9 _ -` (up to 64): anything else was typed by
    hand, possibly to plant a formula in an export, and is not kept.
    """
    payload = " ".join(context.args or ())
    if START_PAYLOAD.fullmatch(payload):
        await actions.set_source(turn.contact, payload)
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
    items = await actions.services(turn.contact)
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
    """The personal-data notice always comes before the request itself.

    In a group nobody is asked for a phone in front of others: the person is invited to the
    private chat instead.
    """
    if turn.in_group:
        await invite_to_private_chat(update, turn)
        return
    notice, request = await actions.contact_request(turn.contact)
    await reply_and_store(update, turn, notice)
    await reply_and_store(update, turn, request, reply_markup=keyboards.share_contact_keyboard())


async def invite_to_private_chat(update: Update, turn: Turn) -> None:
    username = update.get_bot().username
    await reply_and_store(
        update,
        turn,
        _("To leave a contact, write to me in a private chat: @%(bot)s") % {"bot": username},
        reply_markup=keyboards.private_chat_link(username),
    )


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
    group_chat_id = "" if is_private(update) else str(update.effective_chat.id)
    await actions.start_new_conversation(turn.contact, group_chat_id=group_chat_id)
    await reply_and_store(update, turn, _("Let's start over. What would you like to know?"))


@telegram_handler(Kind.COMMAND)
async def unknown_command(update, context, turn: Turn) -> None:
    await reply_and_store(update, turn, _("I don't know this command. See /help."))


# --- Buttons ------------------------------------------------------------------------------


@telegram_handler(Kind.CALLBACK)
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    query = update.callback_query
    admission = dialog.admit_press(turn)
    await answer_query(query, admission.note)
    if not admission.allowed:
        return
    kind, value = keyboards.parse_callback(query.data)
    handler = BUTTONS.get(kind)
    if handler is None:
        await reply_and_store(update, turn, _("This button is no longer active."))
        return
    await handler(update, turn, value)


async def answer_query(query, note: str) -> None:
    """Stop the button's spinner (with a short note, if any); a failure here costs nothing."""
    try:
        await query.answer(note or None)
    except TelegramError as error:
        logger.info("Could not answer a button press: %s", error)


async def _button_catalog(update: Update, turn: Turn, value: str) -> None:
    await show_services(update, turn)


async def _button_contact(update: Update, turn: Turn, value: str) -> None:
    await ask_for_contact(update, turn)


async def _button_service(update: Update, turn: Turn, value: str) -> None:
    item = await actions.service(turn.contact, _int(value))
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
    item = await actions.service(turn.contact, _int(value))
    if item is None:
        await reply_and_store(update, turn, _("This service is no longer offered."))
        return
    if turn.in_group:
        await invite_to_private_chat(update, turn)
        return
    await actions.record_interest(turn.contact, item.id)
    outcome = await card.record_service_interest(turn, item.id, item.title)
    if turn.contact.has_contact_details:
        await reply_and_store(
            update,
            turn,
            _("Thank you! We noted your interest in “%(service)s” and will contact you soon.")
            % {"service": item.title},
        )
        await notify_staff(
            update, turn, StaffNotice.Reason.INTEREST, subject=str(item.id), detail=item.site_title
        )
    else:
        await reply_and_store(
            update,
            turn,
            _("Great choice: “%(service)s”. How can we reach you?") % {"service": item.title},
        )
        await ask_for_contact(update, turn)
    await follow_up_outcome(update, turn, outcome)


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
        if await card.confirm_card(turn.contact.id):
            await reply_and_store(update, turn, _("Thank you! We will contact you soon."))
        else:
            await reply_and_store(update, turn, _("This button is no longer active."))
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


async def shared_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A contact card in a group is other people's traffic: left alone."""
    if update.effective_chat and is_private(update):
        await _record_shared_contact(update, context)


@telegram_handler(Kind.CONTACT)
async def _record_shared_contact(update: Update, context, turn: Turn) -> None:
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
    await update_card_if_admitted(update, turn)


async def update_card_if_admitted(update: Update, turn: Turn) -> None:
    """A message that needs no answer may still teach the lead card, within the flood limit."""
    if dialog.admit(turn).allowed:
        await follow_up_card(update, turn, card.start_card_update(turn))


async def thank_for_contact(update: Update, turn: Turn, detail: str, is_new_lead: bool) -> None:
    await reply_and_store(
        update,
        turn,
        _("Thank you! We saved %(detail)s and will contact you soon.") % {"detail": detail},
        reply_markup=ReplyKeyboardRemove(),
    )
    if is_new_lead:
        await notify_staff(update, turn, StaffNotice.Reason.NEW_LEAD)


async def notify_staff(
    update: Update, turn: Turn, reason: str, subject: str = "", detail: str = ""
) -> None:
    """Tell the staff chat news about a lead, once: the first news posts the lead's card,
    later news updates that card and replies to it with what happened.

    A failure there must not hurt the person's chat: it is logged, never raised, and the news
    is told again with the next event.
    """
    if not settings.TELEGRAM_STAFF_CHAT_ID:
        return
    claim = await actions.claim_staff_notice(turn.contact, reason=reason, subject=subject)
    if claim is None:
        logger.info("Staff already know this of contact %s (%s)", turn.contact.id, reason)
        return
    staff = courier(update, settings.TELEGRAM_STAFF_CHAT_ID)
    with translation.override(settings.LANGUAGE_CODE):
        summary = await actions.lead_summary(turn.contact.id)
        news = str(STAFF_FOLLOW_UPS[reason]) % {"detail": detail}
    card = claim.card_message_id
    if card is None:
        delivery = await staff.send_text(summary)
    else:
        await staff.replace_text(card, summary)
        reply = ReplyParameters(card, allow_sending_without_reply=True)
        delivery = await staff.send_text(news, reply_parameters=reply)
    message_ids = delivery.message_ids
    await actions.record_staff_notice(
        claim.notice_id, message_ids[0] if message_ids else None, is_card=card is None
    )
    if delivery.state != Message.Delivery.DELIVERED:
        logger.error("Could not notify the staff chat: %s", delivery.error)


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
    if not turn.in_group:
        turn, handled = await _take_contact_details(update, turn, text)
        if handled:
            return
    admission = dialog.admit(turn)
    if not admission.allowed:
        if admission.note:
            await reply_and_store(update, turn, admission.note)
        return
    card_update = None if turn.in_group else card.start_card_update(turn)
    await stream_answer(update, turn, text)
    if card_update is not None:
        await follow_up_card(update, turn, card_update)


async def _take_contact_details(update: Update, turn: Turn, text: str) -> tuple[Turn, bool]:
    """Save a phone or e-mail typed in the text; True when the message needs nothing more."""
    capture = await dialog.capture_details(turn, text)
    turn = capture.turn
    only_details = dialog.is_only_contact_details(text)
    if capture.update is not None and capture.update.changed:
        await thank_for_contact(update, turn, capture.saved, capture.update.became_reachable)
        if only_details:
            await update_card_if_admitted(update, turn)
        return turn, only_details
    if capture.invalid_phone and only_details:
        await reply_and_store(
            update,
            turn,
            _(
                "This doesn't look like a valid phone number. "
                "Please check it, e.g. +7 912 345-67-89."
            ),
        )
        return turn, True
    return turn, False


async def follow_up_card(update: Update, turn: Turn, card_update) -> None:
    """After the answer is out: act on what the lead card learnt from the message."""
    await follow_up_outcome(update, turn, await card_update)


async def follow_up_outcome(update: Update, turn: Turn, outcome: card.CardOutcome) -> None:
    """A card that became complete, or a shown card that changed, is confirmed by the person
    and told to staff."""
    if not outcome.needs_confirmation:
        return
    await reply_and_store(update, turn, outcome.summary, reply_markup=keyboards.card_confirmation())
    if outcome.qualified_now:
        await notify_staff(update, turn, StaffNotice.Reason.QUALIFIED)
    else:
        await notify_staff(
            update,
            turn,
            StaffNotice.Reason.CORRECTED,
            subject=str(turn.message_id),
            detail="\n".join(outcome.corrections),
        )


async def stream_answer(update: Update, turn: Turn, text: str) -> None:
    """Stream the answer; the stored reply then records what reached the person."""
    streamer = ReplyStreamer(courier(update), private=is_private(update))
    streamer.start_thinking()
    answer = await dialog.answer(turn, text, streamer.update)
    try:
        for note in answer.notes:
            await reply_and_store(update, turn, note)
    except Forbidden as error:
        await streamer.stop()
        await record_delivery(answer.message_id, Delivery.blocked(1, error))
    await record_delivery(answer.message_id, await streamer.finish(answer.text))


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
    if update.effective_chat and not is_private(update):
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
