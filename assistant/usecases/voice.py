"""Voice messages and audio files: transcribed, then answered exactly like typed text.

One that cannot be read (too long or big, no transcription model, the provider failing) gets a
note, or, while operators hold the conversation, is shown to them as a message that is not text.

The message was stored first (its kind, duration and the channel's file id); limits are
checked on what the channel announced, before anything is downloaded. A transcript is stored
on the message (its text, after a caption), so a message handled again is not transcribed
twice, and the history, the admin and the search read it like typed text.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assistant.audio import transcribe_voice
from assistant.channel import AudioUnavailable
from assistant.selectors import transcription_model_spec
from assistant.usecases.admission import admit
from assistant.usecases.conversation import answer_text, note_unsupported
from assistant.usecases.exchange import Exchange, Media
from conversations import services as conversation_services
from core.db import db_call

logger = logging.getLogger(__name__)


def _not_understood() -> str:
    return _("Sorry, I could not make out your voice message. Please type your question.")


def _over_limits(media: Media) -> str:
    """The note for audio too long or too big to read; "" when it may be read."""
    if media.seconds is not None and media.seconds > settings.VOICE_MAX_SECONDS:
        return ngettext(
            "Your voice message is too long for me: I can listen to %(seconds)s second at most. "
            "Please send a shorter one or type your question.",
            "Your voice message is too long for me: I can listen to %(seconds)s seconds at most. "
            "Please send a shorter one or type your question.",
            settings.VOICE_MAX_SECONDS,
        ) % {"seconds": settings.VOICE_MAX_SECONDS}
    if media.size is not None and media.size > settings.VOICE_MAX_BYTES:
        return _(
            "This recording is too big for me (%(megabytes)s MB at most). "
            "Please send a shorter one or type your question."
        ) % {"megabytes": f"{settings.VOICE_MAX_BYTES / 1_000_000:.3g}"}
    return ""


async def answer_voice(exchange: Exchange) -> None:
    """Transcribe (once) and answer like text; a note where that cannot be done."""
    if exchange.turn.transcribed:
        await answer_text(exchange)
        return
    heard = await _transcribe(exchange)
    if heard is not None:
        await answer_text(heard, admitted=True)


async def _transcribe(exchange: Exchange) -> Exchange | None:
    """The exchange with the transcript as its text, or None once the person got a note."""
    media = exchange.turn.media
    too_much = _over_limits(media)
    if too_much:
        await note_unsupported(exchange, too_much)
        return None
    spec = await db_call(transcription_model_spec)(exchange.contact.bot_id)
    if spec is None:
        await note_unsupported(exchange)
        return None
    admission = admit(exchange)  # the transcription is this message's first LLM call
    if not admission.allowed:
        if admission.note:
            await exchange.say(admission.note)
        return None
    try:
        audio = await exchange.channel.fetch_audio(media.ref)
    except AudioUnavailable as error:
        logger.warning(
            "Could not fetch the voice of message %s: %s", exchange.turn.message_id, error
        )
        await note_unsupported(exchange, _not_understood())
        return None
    result = await transcribe_voice(
        spec, audio, filename=media.filename, clients=exchange.runtime.clients
    )
    if not (result.value or "").strip():
        logger.warning(
            "No transcript of message %s: %s",
            exchange.turn.message_id,
            result.error or "no words heard",
        )
        await note_unsupported(exchange, _not_understood())
        return None
    caption = exchange.turn.text.strip()
    text = f"{caption}\n\n{result.value.strip()}" if caption else result.value.strip()
    await db_call(conversation_services.message_record_transcript)(
        message_id=exchange.turn.message_id, text=text
    )
    return exchange.heard(text)
