"""Files in the fake Bot API: voice notes and audio files people send, and the bot's voice
messages; the files half of ``FakeBot``.

A mixin, so the Bot API methods sit with the others and share the bot's state (``_state``) and
lock (``_cond``). A pushed voice note or audio file is stored with its bytes; ``getFile`` gives
its ``file_path`` (refusing files over Telegram's 20 MB download limit, and unknown ids) and
``download`` serves ``/file/bot<token>/<file_path>``, each download recorded. ``sendVoice`` takes
an upload (multipart, as PTB sends bytes) and keeps it (``voices_sent``).

Not emulated: a file id of another kind (documents, photos) passed to ``getFile``, the file
paths' real shape, expiring download links, and thumbnails.
"""

import itertools
import time
from dataclasses import dataclass

from tests.fakes.telegram_errors import bad_request

#: Telegram lets bots download files up to this size.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
#: What a pushed voice note holds unless a test gives its bytes (the start of an OGG stream).
VOICE_BYTES = b"OggS\x00\x02" + b"\x01" * 64


@dataclass
class StoredFile:
    file_id: str
    file_path: str
    content: bytes
    file_size: int  # as announced; a test may announce more than it stores


@dataclass
class SentVoice:
    chat_id: int
    message_id: int
    content: bytes
    filename: str
    at: float


class Files:
    """The files half of a fake bot; see the module docstring."""

    _file_numbers = itertools.count(1)

    def _store_file(self, content: bytes, file_size: int | None, extension: str) -> dict:
        number = next(self._file_numbers)
        stored = StoredFile(
            f"fake-voice-{number}",
            f"voice/file_{number}.{extension}",
            content,
            len(content) if file_size is None else file_size,
        )
        with self._cond:
            self._state.files[stored.file_id] = stored
        return {
            "file_id": stored.file_id,
            "file_unique_id": f"uv{number}",
            "file_size": stored.file_size,
        }

    def push_voice(
        self,
        chat_id: int,
        duration: int = 2,
        *,
        content: bytes = VOICE_BYTES,
        file_size: int | None = None,
        caption: str | None = None,
        **options,
    ):
        """A voice note (OGG/Opus) whose bytes ``getFile`` and the download hand out;
        ``file_size`` announces another size than the bytes'."""
        voice = self._store_file(content, file_size, "oga")
        voice.update(duration=duration, mime_type="audio/ogg")
        extra = {"caption": caption} if caption else {}
        return self._push_message(chat_id, voice=voice, **extra, **options)

    def push_audio(
        self,
        chat_id: int,
        duration: int = 30,
        *,
        content: bytes = b"ID3\x03" + b"\x00" * 64,
        file_name: str = "question.mp3",
        caption: str | None = None,
        **options,
    ):
        """An audio file (music, a recording shared as a file)."""
        audio = self._store_file(content, None, "mp3")
        audio.update(duration=duration, mime_type="audio/mpeg", file_name=file_name)
        extra = {"caption": caption} if caption else {}
        return self._push_message(chat_id, audio=audio, **extra, **options)

    def _api_getFile(self, params):
        with self._cond:
            stored = self._state.files.get(str(params.get("file_id")))
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.file_size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_id.replace("fake-voice-", "uv"),
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def download(self, file_path: str) -> bytes | None:
        """The bytes at ``/file/bot<token>/<file_path>``, recorded; None when unknown."""
        with self._cond:
            stored = next((f for f in self._state.files.values() if f.file_path == file_path), None)
            if stored is not None:
                self._state.downloads.append(file_path)
            return stored.content if stored is not None else None

    @property
    def downloads(self) -> list[str]:
        with self._cond:
            return list(self._state.downloads)

    def _api_sendVoice(self, params):
        chat = self._chat(params)
        upload = params.get("voice")
        if not isinstance(upload, dict):
            raise bad_request("there is no voice in the request")
        with self._cond:
            number = len(self._state.voices) + 1
            voice = {"file_id": f"sent-{number}", "file_unique_id": f"s{number}", "duration": 1}
            message = self._new_message(chat, self.bot_user, voice=voice)
            self._state.voices.append(
                SentVoice(
                    chat["id"],
                    message["message_id"],
                    upload["content"],
                    upload["filename"],
                    time.monotonic(),
                )
            )
            self._cond.notify_all()
            return message

    def voices_sent(self, chat_id: int) -> list[SentVoice]:
        with self._cond:
            return [voice for voice in self._state.voices if voice.chat_id == chat_id]
