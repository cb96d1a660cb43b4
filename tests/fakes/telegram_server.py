"""A fake Telegram Bot API server on 127.0.0.1 for the real python-telegram-bot client.

Several bots at one URL: ``FakeTelegram`` is the first (``TOKEN``, @fake_test_bot) and
``add_bot(token, username=...)`` serves more, each a ``FakeBot`` with the same per-bot API and
its own updates, offsets, chats (forums too), messages, commands, webhook and faults; getMe
answers with the token's number as id. The token in ``/bot<TOKEN>/<method>`` picks the bot; an
unknown one gets 401 Unauthorized, as from Telegram.

Emulated methods: getMe, getUpdates (long polling, offset confirmation, a newer call supersedes
an older one with 409 Conflict as Telegram does, and 409 while a webhook is set),
setWebhook/getWebhookInfo/deleteWebhook (the webhook's URL, secret token, allowed updates and
maximum connections are kept; ``webhook_delivery_failed`` records what Telegram reports after a
failed delivery), set/get/deleteMyCommands (per scope and language), sendMessage,
editMessageText, sendMessageDraft, deleteMessage, answerCallbackQuery, sendChatAction (PTB
calls nothing on shutdown but a last getUpdates with timeout 0 to confirm what it fetched), and
forum topics (``telegram_forum``): create/edit/close/reopen/deleteForumTopic in a chat
``make_forum`` declared, with Telegram's errors and service messages, and ``message_thread_id``
on sendMessage (an unknown, deleted or "General" thread is "message thread not found", a closed
topic the bot may not write to is TOPIC_CLOSED; the returned message, and later edits, carry
the thread). People's side: pushed messages may go into a topic (``message_thread_id``), and
``push_topic_created``, ``push_topic_closed`` and ``delete_topic`` do what staff do in the
Telegram app. Faults on demand: an error answer (``fail_next``: 429 with retry_after, 5xx, 4xx)
or a late answer to a call that was carried out (``answer_late``). Requests may be form-encoded
(as PTB sends them: nested objects as JSON strings), JSON, or query strings. Text is validated
like Telegram does: empty, longer than 4096 characters (counted in code points after HTML
parsing), malformed HTML (see ``telegram_html``), "message is not modified".

Files (``telegram_files``): voice notes and audio files people send, with getFile and their
download, and sendVoice (a multipart upload).

Not emulated: uploads and downloads of other files, Markdown/MarkdownV2 validation, entities
in returned messages (the returned text is the visible text, without entities), allowed_updates
filtering, posting updates to a webhook itself (``hand_out`` gives a caller the update to post, as
``webhook_poster`` does; Telegram's https and port checks of the URL are not made either), and
every method not listed (404 Not Found). Chats never seen before are accepted; their type
follows the sign of the id (positive: private, negative: group). Bots share no chats: the same
chat id is a separate chat, with its own message ids, for each bot. Not emulated for topics
either: icons beyond the colour, the "General" topic's own methods, and icon colours and name
lengths Telegram refuses; a reply sent without message_thread_id goes to General here whatever
topic the replied message is in; sendChatAction does not check the thread (Telegram does not
either). Error wordings for sendMessageDraft misuse are the fake's own.
"""

import asyncio
import copy
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes import telegram_html
from tests.fakes._http import LoopbackServer, parse_multipart
from tests.fakes.telegram_errors import ApiError, bad_request
from tests.fakes.telegram_files import Files
from tests.fakes.telegram_forum import ForumTopics

TOKEN = "123456789:TEST-fake-token"
MAX_TEXT_LENGTH = 4096
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    502: "Bad Gateway",
}
_STRING_PARAMS = {
    "text",
    "caption",
    "parse_mode",
    "language_code",
    "action",
    "callback_query_id",
    "url",
    "secret_token",
    "name",
}
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: The methods whose uploads (multipart requests) the fake takes.
_UPLOADS = {"sendvoice"}
#: Telegram's default and limits for a webhook's simultaneous connections.
DEFAULT_MAX_CONNECTIONS = 40
MAX_CONNECTIONS_RANGE = range(1, 101)
_ENTITY = re.compile(
    r"(?<![\w/@])(/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?|@[A-Za-z0-9_]{5,32})"
)


class Call(NamedTuple):
    """One API call: method name as sent, decoded parameters, ``time.monotonic()`` on arrival."""

    method: str
    params: dict
    at: float


@dataclass
class SentMessage:
    """A message the bot sent; ``text`` is the raw text and follows later edits."""

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    entities: list | None
    reply_markup: dict | None
    at: float
    deleted: bool = False
    message_thread_id: int | None = None  # the forum topic it went to

    @property
    def visible_text(self) -> str:
        if (self.parse_mode or "").upper() == "HTML":
            return telegram_html.visible_text(self.text)
        return self.text


@dataclass
class Edit:
    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict | None
    at: float


@dataclass
class Draft:
    chat_id: int
    draft_id: int
    text: str
    parse_mode: str | None
    at: float


@dataclass
class _Fault:
    method: str
    error: ApiError
    chat_id: int | str | None
    remaining: int


@dataclass
class _Delay:
    method: str
    seconds: float
    chat_id: int | str | None
    remaining: int


@dataclass
class Webhook:
    """A webhook as set by setWebhook, with what Telegram last reported about delivering."""

    url: str
    secret_token: str | None
    allowed_updates: list | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _PendingUpdate:
    update_id: int
    payload: dict
    forced: bool = False  # a redelivery, returned once whatever the offset


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_and_mention_entities(text: str) -> list[dict]:
    """Entities Telegram adds to incoming text: /commands and @mentions (UTF-16 offsets)."""
    return [
        {
            "type": "bot_command" if m[0].startswith("/") else "mention",
            "offset": _utf16_len(text[: m.start()]),
            "length": _utf16_len(m[0]),
        }
        for m in _ENTITY.finditer(text)
    ]


def _decode_form_value(name: str, value: str):
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class _State:
    """Everything one bot's side of the fake remembers; guarded by ``FakeBot._cond``."""

    updates: list = field(default_factory=list)
    history: dict = field(default_factory=dict)
    poll_generation: int = 0
    last_message_id: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)
    chats: dict = field(default_factory=dict)
    sent: list = field(default_factory=list)
    edits: list = field(default_factory=list)
    drafts: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    commands: dict = field(default_factory=dict)
    faults: list = field(default_factory=list)
    delays: list = field(default_factory=list)
    callback_ids: set = field(default_factory=set)
    delivered_at: dict = field(default_factory=dict)
    webhook: Webhook | None = None
    forums: dict = field(default_factory=dict)  # chat id -> telegram_forum.Forum
    files: dict = field(default_factory=dict)  # file id -> telegram_files.StoredFile
    downloads: list = field(default_factory=list)
    voices: list = field(default_factory=list)


def _bot_user(token: str, username: str) -> dict:
    """The User getMe answers with: the id is the token's number, as in Telegram."""
    return {
        "id": int(token.split(":", 1)[0]),
        "is_bot": True,
        "first_name": "Fake Bot",
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


class FakeBot(ForumTopics, Files):
    """One bot as the fake serves it: its own updates, chats, messages, commands and webhook.

    ``FakeTelegram`` is the first bot and hands out more with ``add_bot``. All public methods
    are thread-safe. ``closing`` is the server's: set, it ends long polls.
    """

    def __init__(self, token: str, bot_user: dict, closing: threading.Event):
        self.token = token
        self.bot_user = bot_user
        self.closing = closing
        self._cond = threading.Condition(threading.RLock())
        self._state = _State()
        self._ids = itertools.count(1)
        self._methods = {
            name[len("_api_") :].lower(): getattr(self, name)
            for name in dir(self)
            if name.startswith("_api_")
        }

    def _call(self, method: str, params: dict):
        with self._cond:
            self._state.calls.append(Call(method, params, time.monotonic()))
            self._cond.notify_all()
            fault = self._take_fault(method, params)
        if fault:
            raise fault
        handler = self._methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(params)

    def _answer_delay(self, method: str, params: dict) -> float:
        """Seconds to hold back the answer to a call already carried out (``answer_late``)."""
        with self._cond:
            delay = self._take_matching(self._state.delays, method, params)
        return delay.seconds if delay else 0.0

    # ---- fault injection ----------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ):
        """Make the next ``times`` calls of ``method`` (optionally only for ``chat_id``) fail."""
        if description is None:
            description = _DEFAULT_DESCRIPTIONS.get(error_code, "Internal Server Error")
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after or 1}"
        if error_code == 429 and retry_after is None:
            retry_after = 1
        error = ApiError(error_code, description, retry_after)
        with self._cond:
            self._state.faults.append(_Fault(method.lower(), error, chat_id, times))

    def answer_late(
        self, method: str, seconds: float, chat_id: int | str | None = None, times: int = 1
    ):
        """Carry out the next ``times`` calls of ``method`` but answer only after ``seconds``.

        This is how a slow Telegram looks to a client whose read timeout is shorter: the
        message arrives, the client never learns it did.
        """
        with self._cond:
            self._state.delays.append(_Delay(method.lower(), seconds, chat_id, times))

    def _take_fault(self, method: str, params: dict) -> ApiError | None:
        fault = self._take_matching(self._state.faults, method, params)
        return fault.error if fault else None

    @staticmethod
    def _take_matching(planned: list, method: str, params: dict):
        for plan in planned:
            if plan.method != method.lower():
                continue
            if plan.chat_id is not None and str(params.get("chat_id")) != str(plan.chat_id):
                continue
            plan.remaining -= 1
            if plan.remaining <= 0:
                planned.remove(plan)
            return plan
        return None

    # ---- Bot API methods ----------------------------------------------------------------------

    def _api_getMe(self, params):
        return self.bot_user

    def _api_setWebhook(self, params):
        url = params.get("url") or ""
        if not url:
            return self._api_deleteWebhook(params)
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = int(params.get("max_connections") or DEFAULT_MAX_CONNECTIONS)
        if max_connections not in MAX_CONNECTIONS_RANGE:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        with self._cond:
            previous = self._state.webhook
            allowed = params.get("allowed_updates")
            if allowed is None and previous is not None:
                allowed = previous.allowed_updates  # Telegram keeps the earlier setting
            self._state.webhook = Webhook(url, secret, allowed, max_connections)
            if params.get("drop_pending_updates"):
                self._state.updates.clear()
            self._cond.notify_all()  # a long poll in progress ends with 409
        return True

    def _api_deleteWebhook(self, params):
        with self._cond:
            self._state.webhook = None
            if params.get("drop_pending_updates"):
                self._state.updates.clear()
        return True

    def _api_getWebhookInfo(self, params):
        with self._cond:
            info = {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._state.updates),
            }
            webhook = self._state.webhook
            if webhook is None:
                return info
            info.update(url=webhook.url, max_connections=webhook.max_connections)
            optional = {
                "allowed_updates": webhook.allowed_updates,
                "last_error_date": webhook.last_error_date,
                "last_error_message": webhook.last_error_message,
            }
            info.update({name: value for name, value in optional.items() if value is not None})
            return info

    def _api_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        with self._cond:
            state = self._state
            state.poll_generation += 1
            generation = state.poll_generation
            self._refuse_while_webhook_is_set()
            if offset:
                state.updates = [u for u in state.updates if u.forced or u.update_id >= offset]
            self._cond.notify_all()
            self._cond.wait_for(
                lambda: state.updates
                or generation != state.poll_generation
                or state.webhook is not None
                or self.closing.is_set(),
                timeout,
            )
            self._refuse_while_webhook_is_set()
            if generation != state.poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = state.updates[:limit]
            now = time.monotonic()
            for update in batch:
                state.delivered_at.setdefault(update.update_id, now)
            delivered = {id(u) for u in batch}
            state.updates = [u for u in state.updates if not (u.forced and id(u) in delivered)]
            return [copy.deepcopy(u.payload) for u in batch]

    def _refuse_while_webhook_is_set(self):
        if self._state.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )

    def _api_setMyCommands(self, params):
        with self._cond:
            self._state.commands[self._commands_key(params)] = list(params.get("commands") or [])
            self._cond.notify_all()
        return True

    def _api_deleteMyCommands(self, params):
        with self._cond:
            self._state.commands.pop(self._commands_key(params), None)
        return True

    def _api_getMyCommands(self, params):
        with self._cond:
            return self._state.commands.get(self._commands_key(params), [])

    @staticmethod
    def _commands_key(params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _api_sendChatAction(self, params):
        self._chat(params)
        return True

    def _api_answerCallbackQuery(self, params):
        with self._cond:
            if params.get("callback_query_id") not in self._state.callback_ids:
                raise bad_request(
                    "query is too old and response timeout expired or query ID is invalid"
                )
        return True

    def _api_sendMessage(self, params):
        chat = self._chat(params)
        text = self._checked_text(params)
        with self._cond:
            topic = self._topic_of_new_message(chat["id"], params.get("message_thread_id"))
            content = {"text": text, **topic}
            markup = params.get("reply_markup")
            if markup and "inline_keyboard" in markup:
                content["reply_markup"] = markup  # kept: a button press carries its message
            replied = (params.get("reply_parameters") or {}).get("message_id")
            if replied:
                content["reply_to_message"] = self._message_for_reply(chat["id"], replied)
            message = self._new_message(chat, self.bot_user, **content)
            self._state.sent.append(
                SentMessage(
                    chat["id"],
                    message["message_id"],
                    params["text"],
                    params.get("parse_mode"),
                    params.get("entities"),
                    markup,
                    time.monotonic(),
                    message_thread_id=topic.get("message_thread_id"),
                )
            )
            self._cond.notify_all()
            return message

    def _api_editMessageText(self, params):
        if "inline_message_id" in params:
            raise bad_request("the fake Bot API does not emulate inline messages")
        chat = self._chat(params)
        text = self._checked_text(params)
        with self._cond:
            sent = self._find_sent(chat["id"], params.get("message_id"), "message to edit")
            new = (params["text"], params.get("parse_mode"), params.get("entities"))
            markup = params.get("reply_markup")
            if new == (sent.text, sent.parse_mode, sent.entities) and markup == sent.reply_markup:
                raise bad_request(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            sent.text, sent.parse_mode, sent.entities = new
            sent.reply_markup = markup
            now = time.monotonic()
            self._state.edits.append(
                Edit(chat["id"], sent.message_id, sent.text, sent.parse_mode, markup, now)
            )
            message = self._state.messages[(chat["id"], sent.message_id)]
            message.update(text=text, edit_date=int(time.time()))
            message.pop("reply_markup", None)
            if markup and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            self._cond.notify_all()
            return copy.deepcopy(message)

    def _api_editMessageReplyMarkup(self, params):
        """New buttons under a message (none: the buttons taken away)."""
        chat = self._chat(params)
        with self._cond:
            sent = self._find_sent(chat["id"], params.get("message_id"), "message to edit")
            markup = params.get("reply_markup")
            if markup == sent.reply_markup:
                raise bad_request(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            sent.reply_markup = markup
            message = self._state.messages[(chat["id"], sent.message_id)]
            message.pop("reply_markup", None)
            if markup:
                message["reply_markup"] = markup
            self._cond.notify_all()
            return copy.deepcopy(message)

    def _api_sendMessageDraft(self, params):
        chat = self._chat(params)
        if chat["type"] != "private":
            raise bad_request("message drafts can be sent only to private chats")
        if not params.get("draft_id"):
            raise bad_request("draft_id must be non-zero")
        if params.get("text"):
            self._checked_text(params)
        with self._cond:
            self._state.drafts.append(
                Draft(
                    chat["id"],
                    int(params["draft_id"]),
                    params.get("text") or "",
                    params.get("parse_mode"),
                    time.monotonic(),
                )
            )
            self._cond.notify_all()
        return True

    def _api_deleteMessage(self, params):
        chat = self._chat(params)
        key = (chat["id"], params.get("message_id"))
        with self._cond:
            if self._state.messages.pop(key, None) is None:
                raise bad_request("message to delete not found")
            for sent in self._state.sent:
                if (sent.chat_id, sent.message_id) == key:
                    sent.deleted = True
            self._cond.notify_all()
        return True

    # ---- method helpers -----------------------------------------------------------------------

    def _chat(self, params) -> dict:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        with self._cond:
            if chat_id not in self._state.chats:
                kind = "private" if chat_id > 0 else "group"
                self._state.chats[chat_id] = self._chat_dict(chat_id, kind, {"first_name": "?"})
            return self._state.chats[chat_id]

    @staticmethod
    def _checked_text(params) -> str:
        """Validate ``text`` as Telegram does; return the text the user would see."""
        text = params.get("text") or ""
        if not text.strip():
            raise bad_request("message text is empty")
        if (params.get("parse_mode") or "").upper() == "HTML":
            error = telegram_html.parse_error(text)
            if error:
                raise bad_request(f"can't parse entities: {error}")
            text = telegram_html.visible_text(text)
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text

    def _find_sent(self, chat_id: int, message_id, what: str) -> SentMessage:
        for sent in self._state.sent:
            if (sent.chat_id, sent.message_id) == (chat_id, message_id) and not sent.deleted:
                return sent
        raise bad_request(f"{what} not found")

    def _next_message_id(self, chat_id: int, explicit: int | None = None) -> int:
        last = self._state.last_message_id.get(chat_id, 0)
        message_id = explicit if explicit is not None else last + 1
        self._state.last_message_id[chat_id] = max(last, message_id)
        return message_id

    def _new_message(self, chat: dict, sender: dict, message_id=None, **content) -> dict:
        message = {
            "message_id": self._next_message_id(chat["id"], message_id),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            **content,
        }
        self._state.messages[(chat["id"], message["message_id"])] = message
        return copy.deepcopy(message)

    def _message_for_reply(self, chat_id: int, message_id: int) -> dict:
        stored = self._state.messages.get((chat_id, message_id))
        if stored is None:
            chat = self._state.chats[chat_id]
            return {"message_id": message_id, "date": int(time.time()), "chat": chat}
        message = copy.deepcopy(stored)
        message.pop("reply_to_message", None)  # Telegram does not nest replies further
        return message

    # ---- update builders ----------------------------------------------------------------------

    @staticmethod
    def _chat_dict(chat_id: int, chat_type: str, user: dict) -> dict:
        if chat_type == "private":
            names = {k: user[k] for k in ("first_name", "last_name", "username") if k in user}
            return {"id": chat_id, "type": "private", **names}
        return {"id": chat_id, "type": chat_type, "title": "Test group"}

    @staticmethod
    def _user_dict(user_id: int, language_code: str | None, user: dict | None) -> dict:
        base = {
            "id": user_id,
            "is_bot": False,
            "first_name": "Test",
            "last_name": "User",
            "username": f"user{user_id}",
        }
        if language_code:
            base["language_code"] = language_code
        return {**base, **(user or {})}

    def _push(self, kind: str, payload: dict) -> int:
        with self._cond:
            update_id = next(self._ids)
            update = {"update_id": update_id, kind: payload}
            self._state.history[update_id] = update
            self._state.updates.append(_PendingUpdate(update_id, update))
            self._cond.notify_all()
        return update_id

    def _push_message(
        self,
        chat_id: int,
        *,
        kind: str = "message",
        user: dict | None = None,
        chat_type: str = "private",
        language_code: str | None = "ru",
        message_id: int | None = None,
        reply_to_message: int | dict | None = None,
        message_thread_id: int | None = None,
        **content,
    ) -> int:
        with self._cond:
            forum = self._state.forums.get(chat_id)
            user_id = chat_id if chat_type == "private" and not forum else 424242
            sender = self._user_dict(user_id, language_code, user)
            chat = forum.chat if forum else self._chat_dict(chat_id, chat_type, sender)
            self._state.chats[chat_id] = chat
            if message_thread_id is not None:
                topic = self._live_topic(chat_id, message_thread_id)
                content.update(self._topic_fields(chat_id, topic))
            if isinstance(reply_to_message, int):
                content["reply_to_message"] = self._message_for_reply(chat_id, reply_to_message)
            elif reply_to_message is not None:
                content["reply_to_message"] = reply_to_message
            message = self._new_message(chat, sender, message_id, **content)
            return self._push(kind, message)

    def _file(self, **fields) -> dict:
        number = next(self._ids)
        return {"file_id": f"fake-file-{number}", "file_unique_id": f"u{number}", **fields}

    def push_message(self, chat_id: int, text: str, *, entities: list | None = None, **options):
        """A text message; /commands and @mentions get entities as Telegram adds them.

        ``options``: user (dict merged into the default sender), chat_type ("private",
        "group", "supergroup"; a forum is always its supergroup), language_code, message_id,
        reply_to_message (id or dict), message_thread_id (a topic of a forum: the message is
        a topic message replying to the topic's first message, unless it replies to another).
        """
        if entities is None:
            entities = command_and_mention_entities(text)
        if entities:
            options["entities"] = entities
        return self._push_message(chat_id, text=text, **options)

    def push_edited_message(self, chat_id: int, message_id: int, text: str, **options):
        options.update(edit_date=int(time.time()), kind="edited_message")
        return self._push_message(chat_id, message_id=message_id, text=text, **options)

    def push_contact(self, chat_id: int, phone_number: str, contact_user_id=None, **options):
        """A shared contact; by default the sender's own (as the "share my phone" button does)."""
        user_id = chat_id if contact_user_id is None else contact_user_id
        contact = {"phone_number": phone_number, "first_name": "Test", "user_id": user_id}
        return self._push_message(chat_id, contact=contact, **options)

    def push_sticker(self, chat_id: int, emoji: str = "👍", **options):
        sticker = self._file(
            type="regular", width=512, height=512, is_animated=False, is_video=False, emoji=emoji
        )
        return self._push_message(chat_id, sticker=sticker, **options)

    def push_photo(self, chat_id: int, caption: str | None = None, **options):
        photo = [self._file(width=90, height=90, file_size=1200)]
        extra = {"caption": caption} if caption else {}
        return self._push_message(chat_id, photo=photo, **extra, **options)

    def push_document(
        self,
        chat_id: int,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        **options,
    ):
        document = self._file(file_name=file_name, mime_type=mime_type, file_size=2048)
        extra = {"caption": caption} if caption else {}
        return self._push_message(chat_id, document=document, **extra, **options)

    def push_location(self, chat_id: int, latitude=55.7558, longitude=37.6173, **options):
        location = {"latitude": latitude, "longitude": longitude}
        return self._push_message(chat_id, location=location, **options)

    def push_callback_query(
        self, chat_id: int, data: str, message_id: int, *, user=None, language_code="ru"
    ):
        """A button press on message ``message_id`` (normally one the bot sent)."""
        sender = self._user_dict(chat_id, language_code, user)
        with self._cond:
            self._state.chats.setdefault(chat_id, self._chat_dict(chat_id, "private", sender))
            message = self._message_for_reply(chat_id, message_id)
            query_id = str(next(self._ids))
            self._state.callback_ids.add(query_id)
            query = {
                "id": query_id,
                "from": sender,
                "message": message,
                "chat_instance": f"ci{chat_id}",
                "data": data,
            }
            return self._push("callback_query", query)

    def push_raw(self, update: dict) -> int:
        """Any update shape; an ``update_id`` is assigned when missing."""
        kind, payload = next((k, v) for k, v in update.items() if k != "update_id")
        if "update_id" not in update:
            return self._push(kind, payload)
        with self._cond:
            self._state.history[update["update_id"]] = update
            self._state.updates.append(_PendingUpdate(update["update_id"], update))
            self._cond.notify_all()
        return update["update_id"]

    def push_same_update_again(self, update_id: int) -> int:
        """Deliver an update once more, as Telegram does when a bot failed to confirm it."""
        with self._cond:
            update = self._state.history[update_id]
            self._state.updates.append(_PendingUpdate(update_id, update, forced=True))
            self._cond.notify_all()
        return update_id

    def hand_out(self, update_id: int) -> dict:
        """Take a pending update out of the queue, as Telegram does when it posts the update to
        a webhook (the caller does the posting): ``delivered_at`` records the time, and
        getUpdates will not return it."""
        with self._cond:
            update = next(u for u in self._state.updates if u.update_id == update_id)
            self._state.updates.remove(update)
            self._state.delivered_at.setdefault(update_id, time.monotonic())
            return copy.deepcopy(update.payload)

    def webhook_delivery_failed(self, message: str) -> None:
        """Record what Telegram reports after it could not deliver to the webhook (this fake
        delivers nothing itself): getWebhookInfo shows the error with its time."""
        with self._cond:
            if self._state.webhook is None:
                raise AssertionError("no webhook is set, so nothing was delivered")
            self._state.webhook.last_error_date = int(time.time())
            self._state.webhook.last_error_message = message

    # ---- inspection ---------------------------------------------------------------------------

    @property
    def webhook(self) -> Webhook | None:
        """The webhook as set (a copy), or None."""
        with self._cond:
            return copy.copy(self._state.webhook)

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._state.calls)

    @property
    def delivered_at(self) -> dict[int, float]:
        """``time.monotonic()`` when getUpdates first handed out each update, by update id."""
        with self._cond:
            return dict(self._state.delivered_at)

    def pending_update_count(self) -> int:
        """Updates the bot has not confirmed yet (Telegram would send them again)."""
        with self._cond:
            return len(self._state.updates)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int, include_deleted: bool = False) -> list[SentMessage]:
        with self._cond:
            return [
                m
                for m in self._state.sent
                if m.chat_id == chat_id and (include_deleted or not m.deleted)
            ]

    def edits(self, chat_id: int) -> list[Edit]:
        with self._cond:
            return [e for e in self._state.edits if e.chat_id == chat_id]

    def drafts(self, chat_id: int) -> list[Draft]:
        with self._cond:
            return [d for d in self._state.drafts if d.chat_id == chat_id]

    def commands(self, language_code: str = "", scope: dict | None = None) -> list[dict]:
        return self._api_getMyCommands({"language_code": language_code, "scope": scope})

    def pending_update_ids(self) -> list[int]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return [u.update_id for u in self._state.updates]

    # ---- waiting ------------------------------------------------------------------------------

    def wait_for(self, predicate, timeout: float = 5.0, what: str = "condition"):
        """Block this thread until ``predicate()`` is true; fail the test after ``timeout``.

        Blocks the calling thread: from an async test whose event loop runs the bot, use
        ``await fake.wait_for_async(...)`` instead.
        """
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise AssertionError(f"{what} not met within {timeout}s; {self._summary()}")
        return True

    async def wait_for_async(self, predicate, timeout: float = 5.0, what: str = "condition"):
        """Like ``wait_for`` but yields to the event loop between checks."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not met within {timeout}s; {self._summary()}")
            await asyncio.sleep(0.005)
        return True

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 5.0):
        self.wait_for(lambda: len(self.sent_messages(chat_id)) >= count, timeout, "messages")
        return self.sent_messages(chat_id)

    async def wait_for_messages_async(self, chat_id: int, count: int, timeout: float = 5.0):
        await self.wait_for_async(
            lambda: len(self.sent_messages(chat_id)) >= count, timeout, "messages"
        )
        return self.sent_messages(chat_id)

    def _summary(self) -> str:
        return "calls so far: " + ", ".join(c.method for c in self.calls[-20:])

    def _notify_waiters(self):
        with self._cond:
            self._cond.notify_all()


class FakeTelegram(LoopbackServer, FakeBot):
    """The Bot API server on 127.0.0.1 and its first bot (``TOKEN``, @fake_test_bot); see the
    module docstring. More bots at the same URL come from ``add_bot``."""

    def __init__(self, token: str = TOKEN, bot_user: dict | None = None):
        LoopbackServer.__init__(self)
        bot_user = bot_user or _bot_user(token, "fake_test_bot")
        FakeBot.__init__(self, token, bot_user, self.closing)
        self._bots = {token: self}

    def add_bot(self, token: str, *, username: str) -> FakeBot:
        """Serve one more bot at this URL; its handle has the same per-bot API as this fake."""
        if token in self._bots:
            raise ValueError(f"a bot with token {token!r} is served already")
        bot = FakeBot(token, _bot_user(token, username), self.closing)
        self._bots[token] = bot
        return bot

    @property
    def base_url(self) -> str:
        """Server root; PTB's ``base_url`` is ``fake.api_url`` (= this + "/bot")."""
        return self.root_url

    @property
    def api_url(self) -> str:
        return f"{self.root_url}/bot"

    def handle(self, exchange):
        parts = urlsplit(exchange.path)
        body = exchange.read_body()
        download = re.fullmatch(r"/file/bot([^/]+)/(.+)", parts.path)
        if download is not None:
            self._serve_download(exchange, unquote(download[1]), unquote(download[2]))
            return
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", parts.path)
        try:
            if match is None:
                raise ApiError(404, "Not Found")
            bot = self._bots.get(match[1])
            if bot is None:
                raise ApiError(401, "Unauthorized")
            method = match[2]
            content_type = exchange.headers.get("Content-Type", "")
            if content_type.startswith("multipart/") and method.lower() not in _UPLOADS:
                raise bad_request("the fake Bot API does not emulate this file upload")
            params = self._params(content_type, body, parts.query)
            result = bot._call(method, params)
        except ApiError as error:
            exchange.send_json(error.error_code, error.payload())
            return
        time.sleep(bot._answer_delay(method, params))  # carried out already; only the answer waits
        exchange.send_json(200, {"ok": True, "result": result})

    def _serve_download(self, exchange, token: str, file_path: str):
        bot = self._bots.get(token)
        content = bot.download(file_path) if bot is not None else None
        if content is None:
            exchange.send_json(404, ApiError(404, "Not Found").payload())
        else:
            exchange.send_bytes(200, content, "application/octet-stream")

    @staticmethod
    def _params(content_type: str, body: bytes, query: str) -> dict:
        params = {k: _decode_form_value(k, v) for k, v in parse_qsl(query)}
        if content_type.startswith("application/json"):
            try:
                params.update(json.loads(body or b"{}"))
            except ValueError:
                raise bad_request("request body is not valid JSON") from None
        elif content_type.startswith("multipart/"):
            fields = parse_multipart(content_type, body)
            params.update(
                {
                    k: v if isinstance(v, dict) else _decode_form_value(k, v)
                    for k, v in fields.items()
                }
            )
        else:
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
            params.update({k: _decode_form_value(k, v) for k, v in pairs})
        return params

    def _wake_waiters(self):
        for bot in list(self._bots.values()):
            bot._notify_waiters()
