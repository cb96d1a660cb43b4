"""Forum supergroups and their topics in the fake Bot API: the forum half of ``FakeBot``.

A mixin, so the Bot API methods sit with the others and share the bot's state (``_state``) and
lock (``_cond``). The rules are TDLib's and the Bot API server's (``ForumTopicManager.cpp``,
``Client.cpp``): the bot may edit, close, reopen and delete the topics it created whatever its
rights, and others' topics only with ``can_manage_topics`` (``can_delete_messages`` to delete);
a closed topic takes messages only from its creator and from holders of ``can_manage_topics``.
"""

import copy
from dataclasses import dataclass, field

from tests.fakes.telegram_errors import bad_request

#: The "General" topic's thread id; sending with it is refused (post into General without one).
GENERAL_TOPIC_ID = 1
#: Icon colour of a topic created without one (the first of the six the Bot API lists).
DEFAULT_ICON_COLOR = 0x6FB9F0
_THREAD_NOT_FOUND = "message thread not found"


@dataclass
class Topic:
    """A forum topic; its id is the id of the service message that created it."""

    message_thread_id: int
    name: str
    icon_color: int
    created_by_bot: bool
    closed: bool = False
    deleted: bool = False

    def as_forum_topic(self) -> dict:
        """The ForumTopic object createForumTopic answers with."""
        return {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }


@dataclass
class Forum:
    """A supergroup with topics, and the administrator rights the bot holds there."""

    chat: dict
    bot_rights: dict
    topics: dict = field(default_factory=dict)  # message_thread_id -> Topic

    def bot_may(self, right: str, topic: Topic) -> bool:
        return topic.created_by_bot or bool(self.bot_rights.get(right))


class ForumTopics:
    """Forums for ``FakeBot``: topic methods of the Bot API, a person's topic actions, and
    inspection."""

    # ---- set-up and a person's actions --------------------------------------------------------

    def make_forum(self, chat_id: int, *, title: str = "Staff", bot_rights: dict | None = None):
        """Make ``chat_id`` a forum supergroup where the bot is an administrator with
        ``bot_rights`` (names as in ChatAdministratorRights; by default only
        ``can_manage_topics``). Its "General" topic takes message id 1. Called again, it keeps
        the topics: as when the owner changes the bot's rights."""
        chat = {"id": chat_id, "type": "supergroup", "title": title, "is_forum": True}
        rights = {"can_manage_topics": True} if bot_rights is None else dict(bot_rights)
        with self._cond:
            earlier = self._state.forums.get(chat_id)
            topics = earlier.topics if earlier else {}
            self._state.chats[chat_id] = chat
            self._state.forums[chat_id] = Forum(chat, rights, topics)
            self._next_message_id(chat_id, GENERAL_TOPIC_ID)

    def push_topic_created(
        self, chat_id: int, name: str, *, icon_color: int = DEFAULT_ICON_COLOR, **options
    ) -> int:
        """A person creates a topic: the bot gets the "forum_topic_created" service message.
        Returns the topic's message_thread_id; ``options`` as for ``push_message``."""
        with self._cond:
            topic = self._add_topic(self._state.forums[chat_id], name, icon_color, False)
            thread_id = topic.message_thread_id
            created = {"name": name, "icon_color": icon_color}
            self._push_message(
                chat_id,
                message_id=thread_id,
                message_thread_id=thread_id,
                forum_topic_created=created,
                **options,
            )
        return thread_id

    def push_topic_closed(self, chat_id: int, message_thread_id: int, **options) -> int:
        """A person closes a topic: the bot gets the "forum_topic_closed" service message."""
        with self._cond:
            self._live_topic(chat_id, message_thread_id).closed = True
            return self._push_message(
                chat_id, message_thread_id=message_thread_id, forum_topic_closed={}, **options
            )

    def delete_topic(self, chat_id: int, message_thread_id: int) -> None:
        """A person deletes a topic with all its messages; Telegram tells the bot nothing."""
        with self._cond:
            self._remove_topic(chat_id, self._live_topic(chat_id, message_thread_id))

    # ---- Bot API methods ----------------------------------------------------------------------

    def _api_createForumTopic(self, params):
        with self._cond:
            chat_id = self._forum_chat_id(params)
            forum = self._state.forums[chat_id]
            if not forum.bot_rights.get("can_manage_topics"):
                raise bad_request("not enough rights to create a topic")
            name = self._topic_name(params)
            icon_color = params.get("icon_color") or DEFAULT_ICON_COLOR
            topic = self._add_topic(forum, name, icon_color, True)
            created = {"name": topic.name, "icon_color": topic.icon_color}
            self._post_in_topic(
                chat_id, topic, message_id=topic.message_thread_id, forum_topic_created=created
            )
            return topic.as_forum_topic()

    def _api_editForumTopic(self, params):
        """Only the name is emulated; without one nothing changes, as TDLib answers."""
        with self._cond:
            chat_id, topic = self._topic_to_manage(
                params, "can_manage_topics", "not enough rights to edit the topic"
            )
            if not params.get("name"):
                return True
            name = self._topic_name(params)
            if name == topic.name:
                raise bad_request("TOPIC_NOT_MODIFIED")
            topic.name = name
            self._post_in_topic(chat_id, topic, forum_topic_edited={"name": name})
        return True

    def _api_closeForumTopic(self, params):
        return self._set_topic_closed(params, closed=True)

    def _api_reopenForumTopic(self, params):
        return self._set_topic_closed(params, closed=False)

    def _api_deleteForumTopic(self, params):
        with self._cond:
            chat_id, topic = self._topic_to_manage(
                params, "can_delete_messages", "not enough rights to delete the topic"
            )
            self._remove_topic(chat_id, topic)
        return True

    # ---- helpers (called with ``_cond`` held) ---------------------------------------------------

    def _forum_chat_id(self, params) -> int:
        chat_id = self._chat(params)["id"]
        if chat_id not in self._state.forums:
            raise bad_request("the chat is not a forum")
        return chat_id

    @staticmethod
    def _topic_name(params) -> str:
        name = str(params.get("name") or "").strip()
        if not name:
            raise bad_request("title must be non-empty")
        return name

    def _add_topic(self, forum: Forum, name: str, icon_color: int, created_by_bot: bool) -> Topic:
        thread_id = self._next_message_id(forum.chat["id"])
        topic = Topic(thread_id, name, icon_color, created_by_bot)
        forum.topics[thread_id] = topic
        return topic

    def _live_topic(self, chat_id: int, message_thread_id, missing=_THREAD_NOT_FOUND) -> Topic:
        topic = self._state.forums[chat_id].topics.get(message_thread_id)
        if topic is None or topic.deleted:
            raise bad_request(missing)
        return topic

    def _topic_to_manage(self, params, right: str, refusal: str) -> tuple[int, Topic]:
        chat_id = self._forum_chat_id(params)
        topic = self._live_topic(chat_id, params.get("message_thread_id"), "TOPIC_ID_INVALID")
        if not self._state.forums[chat_id].bot_may(right, topic):
            raise bad_request(refusal)
        return chat_id, topic

    def _set_topic_closed(self, params, closed: bool):
        with self._cond:
            chat_id, topic = self._topic_to_manage(
                params, "can_manage_topics", "not enough rights to close or open the topic"
            )
            if topic.closed == closed:
                raise bad_request("TOPIC_NOT_MODIFIED")
            topic.closed = closed
            event = "forum_topic_closed" if closed else "forum_topic_reopened"
            self._post_in_topic(chat_id, topic, **{event: {}})
        return True

    def _topic_fields(self, chat_id: int, topic: Topic) -> dict:
        """What every message in a topic carries; all but the creation message also reply to
        it, as the Bot API shows them."""
        thread_id = topic.message_thread_id
        fields = {"message_thread_id": thread_id, "is_topic_message": True}
        if (chat_id, thread_id) in self._state.messages:
            fields["reply_to_message"] = self._message_for_reply(chat_id, thread_id)
        return fields

    def _post_in_topic(self, chat_id: int, topic: Topic, **content) -> dict:
        """A service message of the bot's own (it gets no update for it)."""
        chat = self._state.chats[chat_id]
        fields = self._topic_fields(chat_id, topic)
        return self._new_message(chat, self.bot_user, **fields, **content)

    def _topic_of_new_message(self, chat_id: int, message_thread_id) -> dict:
        """The topic fields of a message the bot sends; outside forums the thread is ignored,
        as the Bot API does."""
        if not message_thread_id or chat_id not in self._state.forums:
            return {}
        topic = self._live_topic(chat_id, message_thread_id)
        if topic.closed and not self._state.forums[chat_id].bot_may("can_manage_topics", topic):
            raise bad_request("TOPIC_CLOSED")
        return self._topic_fields(chat_id, topic)

    def _remove_topic(self, chat_id: int, topic: Topic) -> None:
        topic.deleted = True
        thread_id = topic.message_thread_id
        for key, message in list(self._state.messages.items()):
            if key[0] == chat_id and message.get("message_thread_id") == thread_id:
                del self._state.messages[key]
        for sent in self._state.sent:
            if (sent.chat_id, sent.message_thread_id) == (chat_id, thread_id):
                sent.deleted = True
        self._cond.notify_all()

    # ---- inspection ---------------------------------------------------------------------------

    def topics(self, chat_id: int) -> list[Topic]:
        """The forum's topics (copies), deleted ones included, oldest first."""
        with self._cond:
            return [copy.copy(t) for t in self._state.forums[chat_id].topics.values()]

    def topic_messages(self, chat_id: int, message_thread_id: int) -> list:
        """What the bot sent into one topic and is still there (``SentMessage``s)."""
        return [m for m in self.sent_messages(chat_id) if m.message_thread_id == message_thread_id]
