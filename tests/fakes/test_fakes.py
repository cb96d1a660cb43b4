"""The fakes behave like the real services as seen through the real clients."""

import asyncio
import contextlib
import threading
import time

import httpx
import openai
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, MessageHandler, filters
from telegram.request import HTTPXRequest

from tests.fakes import telegram_html
from tests.fakes.openai_server import (
    BrokenStream,
    Fail,
    FakeOpenAI,
    Reply,
    Stall,
    ToolCall,
    echo_last_user_message,
)
from tests.fakes.telegram_server import TOKEN, FakeTelegram

CHAT = 1001
FORUM = -1001234
SECOND_TOKEN = "987654321:TEST-second-token"
USER_MESSAGE = [{"role": "user", "content": "Hi"}]


def _in_background(request):
    """Run a blocking request in a thread; the fake stopping under it is the point."""

    def run():
        with contextlib.suppress(httpx.HTTPError):
            request()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _loopback_request():
    """Plain HTTP on 127.0.0.1: skip loading CA certificates, which dominates setup time."""
    return HTTPXRequest(httpx_kwargs={"verify": False})


def _ptb_bot(token: str, fake: FakeTelegram) -> Bot:
    requests = {"request": _loopback_request(), "get_updates_request": _loopback_request()}
    return Bot(token, base_url=fake.base_url + "/bot", **requests)


@pytest.fixture
async def bot(fake_telegram):
    async with _ptb_bot(TOKEN, fake_telegram) as bot:
        yield bot


@pytest.fixture
def second_fake(fake_telegram):
    """The fake's side of a second bot served at the same URL."""
    return fake_telegram.add_bot(SECOND_TOKEN, username="second_test_bot")


@pytest.fixture
async def second_bot(fake_telegram, second_fake):
    async with _ptb_bot(SECOND_TOKEN, fake_telegram) as bot:
        yield bot


@pytest.fixture
async def llm(fake_openai):
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield client
    await client.close()


# ---- Telegram: plain Bot calls ------------------------------------------------------------------


async def test_get_me_returns_the_fake_bot(bot, fake_telegram):
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123456789, "fake_test_bot", True)


async def test_sent_messages_get_increasing_ids_and_are_recorded(bot, fake_telegram):
    first = await bot.send_message(CHAT, "<b>Hello</b>", parse_mode="HTML")
    second = await bot.send_message(CHAT, "Again")

    assert second.message_id == first.message_id + 1
    assert (first.chat.id, first.from_user.id, first.text) == (CHAT, 123456789, "Hello")
    assert [m.text for m in fake_telegram.sent_messages(CHAT)] == ["<b>Hello</b>", "Again"]
    assert fake_telegram.sent_messages(CHAT)[0].visible_text == "Hello"


async def test_replies_carry_the_message_they_answer(bot, fake_telegram):
    fake_telegram.push_message(CHAT, "Price?", message_id=40)

    answer = await bot.send_message(CHAT, "100", reply_to_message_id=40)

    assert answer.reply_to_message.text == "Price?"
    assert answer.message_id == 41


async def test_unknown_chat_usernames_are_not_found(bot):
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message("@nobody", "Hi")


async def test_uploads_other_than_voice_are_refused_as_not_emulated(bot):
    with pytest.raises(BadRequest, match="does not emulate this file upload"):
        await bot.send_document(CHAT, document=b"%PDF", filename="a.pdf")


async def test_inline_keyboard_is_recorded_and_returned(bot, fake_telegram):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])

    message = await bot.send_message(CHAT, "Sure?", reply_markup=keyboard)

    assert message.reply_markup == keyboard
    recorded = fake_telegram.sent_messages(CHAT)[0].reply_markup
    assert recorded["inline_keyboard"][0][0]["callback_data"] == "yes"


async def test_wrong_token_is_refused(fake_telegram):
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=fake_telegram.api_url):
            pass


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_injected_429_raises_retry_after_with_the_delay(bot, fake_telegram):
    fake_telegram.fail_next("sendMessage", error_code=429, retry_after=2)

    with pytest.raises(RetryAfter, match="Retry in 2"):
        await bot.send_message(CHAT, "Hi")
    assert (await bot.send_message(CHAT, "Hi")).text == "Hi"


def test_injected_429_has_the_bot_api_error_shape(fake_telegram):
    fake_telegram.fail_next("getMe", error_code=429)

    response = httpx.get(f"{fake_telegram.base_url}/bot{TOKEN}/getMe")

    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }


async def test_injected_403_raises_forbidden(bot, fake_telegram):
    fake_telegram.fail_next("sendMessage", error_code=403)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "Hi")


async def test_injected_fault_hits_only_the_given_chat(bot, fake_telegram):
    fake_telegram.fail_next(
        "sendMessage", error_code=400, description="Bad Request: gone", chat_id=7
    )

    await bot.send_message(CHAT, "Other chat is fine")
    with pytest.raises(BadRequest, match="Gone"):
        await bot.send_message(7, "Hi")


async def test_empty_text_is_a_bad_request(bot):
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(CHAT, "  ")


async def test_text_longer_than_4096_visible_characters_is_too_long(bot):
    await bot.send_message(CHAT, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")

    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(CHAT, "a" * 4097)


async def test_malformed_html_cannot_be_parsed(bot, fake_telegram):
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(CHAT, "line<br>break", parse_mode="HTML")

    assert fake_telegram.sent_messages(CHAT) == []


@pytest.mark.parametrize(
    "text",
    [
        "<b>never closed",
        "<b><i>crossed</b></i>",
        "1 < 2",
        "<span>no class</span>",
        "stray </b>",
        "<tg-emoji>x</tg-emoji>",
        "<b unclosed",
    ],
)
def test_html_that_telegram_rejects_is_reported(text):
    assert telegram_html.parse_error(text) is not None


def test_every_tag_telegram_documents_is_accepted():
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>s</strike>"
        '<del>d</del><span class="tg-spoiler">s</span><tg-spoiler>s</tg-spoiler>'
        '<a href="https://example.com/?a=1&amp;b=2">l</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote expandable>q</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> AT&T 1 &lt; 2'
    )

    assert telegram_html.parse_error(text) is None


async def test_editing_changes_the_text_and_is_recorded(bot, fake_telegram):
    sent = await bot.send_message(CHAT, "Draft")

    edited = await bot.edit_message_text("Final", chat_id=CHAT, message_id=sent.message_id)

    assert edited.text == "Final"
    assert fake_telegram.sent_messages(CHAT)[0].text == "Final"
    assert [e.text for e in fake_telegram.edits(CHAT)] == ["Final"]


async def test_editing_only_the_keyboard_is_a_modification(bot, fake_telegram):
    sent = await bot.send_message(CHAT, "Pick")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])

    edited = await bot.edit_message_text(
        "Pick", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard
    )

    assert edited.reply_markup == keyboard
    assert fake_telegram.edits(CHAT)[0].reply_markup["inline_keyboard"][0][0]["text"] == "A"


async def test_editing_with_identical_text_is_not_modified(bot):
    sent = await bot.send_message(CHAT, "Same")

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Same", chat_id=CHAT, message_id=sent.message_id)


async def test_editing_inline_messages_is_refused_as_not_emulated(bot):
    with pytest.raises(BadRequest, match="does not emulate inline messages"):
        await bot.edit_message_text("Text", inline_message_id="abc")


async def test_editing_an_unknown_message_is_a_bad_request(bot):
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Text", chat_id=CHAT, message_id=999)


async def test_message_drafts_are_recorded(bot, fake_telegram):
    assert await bot.send_message_draft(CHAT, draft_id=5, text="Par", parse_mode="HTML")
    assert await bot.send_message_draft(CHAT, draft_id=5, text="Partial")

    assert [(d.draft_id, d.text) for d in fake_telegram.drafts(CHAT)] == [
        (5, "Par"),
        (5, "Partial"),
    ]


async def test_message_drafts_need_a_nonzero_id(bot):
    with pytest.raises(BadRequest, match="must be non-zero"):
        await bot.send_message_draft(CHAT, draft_id=0, text="Par")


async def test_message_drafts_are_refused_in_groups(bot):
    with pytest.raises(BadRequest, match="private chats"):
        await bot.send_message_draft(-100, draft_id=5, text="Par")


async def test_commands_are_kept_per_scope_and_language(bot, fake_telegram):
    await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
    await bot.set_my_commands([BotCommand("help", "Help")], scope=BotCommandScopeChat(CHAT))

    assert fake_telegram.commands("ru") == [{"command": "start", "description": "Начать"}]
    assert fake_telegram.commands(scope={"type": "chat", "chat_id": CHAT})[0]["command"] == "help"
    assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["start"]
    assert await bot.get_my_commands() == ()


async def test_deleted_commands_are_gone(bot, fake_telegram):
    await bot.set_my_commands([BotCommand("start", "Start")])

    await bot.delete_my_commands()

    assert fake_telegram.commands() == []


async def test_drop_pending_updates_discards_queued_updates(bot, fake_telegram):
    fake_telegram.push_message(CHAT, "old")
    assert (await bot.get_webhook_info()).pending_update_count == 1

    await bot.delete_webhook(drop_pending_updates=True)

    assert await bot.get_updates() == ()


async def test_a_webhook_is_kept_and_reported_with_its_settings(bot, fake_telegram):
    await bot.set_webhook(
        "https://bot.example.com/hook/",
        secret_token="s3cret_-X",
        allowed_updates=["message"],
        max_connections=10,
    )

    info = await bot.get_webhook_info()
    assert (info.url, info.max_connections, info.allowed_updates) == (
        "https://bot.example.com/hook/",
        10,
        ("message",),
    )
    assert fake_telegram.webhook.secret_token == "s3cret_-X"
    assert info.last_error_date is None


async def test_setting_a_webhook_again_keeps_its_allowed_updates_and_may_drop_updates(
    bot, fake_telegram
):
    await bot.set_webhook("https://bot.example.com/hook/", allowed_updates=["message"])
    fake_telegram.push_message(CHAT, "waiting")

    await bot.set_webhook("https://bot.example.com/other/", drop_pending_updates=True)

    info = await bot.get_webhook_info()
    assert (info.url, info.max_connections) == ("https://bot.example.com/other/", 40)
    assert (info.allowed_updates, info.pending_update_count) == (("message",), 0)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"secret_token": "no spaces"}, "secret token contains unallowed characters"),
        ({"max_connections": 101}, "max_connections must be between 1 and 100"),
    ],
)
async def test_a_webhook_telegram_would_refuse_is_a_bad_request(bot, options, error):
    with pytest.raises(BadRequest, match=f"(?i){error}"):  # PTB capitalises the description
        await bot.set_webhook("https://bot.example.com/hook/", **options)


async def test_get_updates_is_refused_while_a_webhook_is_set(bot, fake_telegram):
    fake_telegram.push_message(CHAT, "waiting")
    await bot.set_webhook("https://bot.example.com/hook/")

    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()

    await bot.delete_webhook()
    assert len(await bot.get_updates()) == 1


async def test_a_long_poll_ends_with_conflict_when_a_webhook_is_set(bot, fake_telegram):
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("getUpdates"))

    async with Bot(TOKEN, base_url=fake_telegram.api_url) as other:
        await other.set_webhook("https://bot.example.com/hook/")

    with pytest.raises(Conflict, match="webhook is active"):
        await polling


async def test_set_webhook_with_an_empty_url_removes_it(bot, fake_telegram):
    await bot.set_webhook("https://bot.example.com/hook/")

    assert await bot.set_webhook("")

    assert (await bot.get_webhook_info()).url == ""
    assert fake_telegram.webhook is None


async def test_a_failed_delivery_shows_in_webhook_info(bot, fake_telegram):
    with pytest.raises(AssertionError, match="no webhook is set"):
        fake_telegram.webhook_delivery_failed("Connection refused")
    await bot.set_webhook("https://bot.example.com/hook/")

    fake_telegram.webhook_delivery_failed("Wrong response from the webhook: 503")

    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 503"
    assert abs(info.last_error_date.timestamp() - time.time()) < 60


async def test_deleted_messages_disappear_and_cannot_be_deleted_twice(bot, fake_telegram):
    sent = await bot.send_message(CHAT, "Oops")

    assert await bot.delete_message(CHAT, sent.message_id)
    assert fake_telegram.sent_messages(CHAT) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)


async def test_chat_actions_are_recorded(bot, fake_telegram):
    assert await bot.send_chat_action(CHAT, "typing")

    assert fake_telegram.calls_of("sendChatAction")[0].params == {
        "chat_id": CHAT,
        "action": "typing",
    }


async def test_callback_queries_can_be_answered_once_pushed(bot, fake_telegram):
    sent = await bot.send_message(CHAT, "Pick")
    fake_telegram.push_callback_query(CHAT, "pick:1", sent.message_id)
    (update,) = await bot.get_updates()

    assert update.callback_query.message.text == "Pick"
    assert await update.callback_query.answer()


async def test_callback_queries_on_unknown_messages_still_parse(bot, fake_telegram):
    fake_telegram.push_callback_query(CHAT, "old", 999)

    (update,) = await bot.get_updates()

    assert update.callback_query.message.message_id == 999


async def test_unknown_callback_query_ids_cannot_be_answered(bot):
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("unknown")


async def test_pushed_updates_parse_into_real_objects(bot, fake_telegram):
    fake_telegram.push_message(CHAT, "/start@fake_test_bot hi @someone")
    fake_telegram.push_contact(CHAT, "+79991234567")
    fake_telegram.push_sticker(CHAT)
    fake_telegram.push_photo(CHAT, caption="look")
    fake_telegram.push_document(CHAT, file_name="price.xlsx", mime_type="application/x")
    fake_telegram.push_voice(CHAT, duration=4)
    fake_telegram.push_location(CHAT, 1.5, 2.5)
    fake_telegram.push_edited_message(CHAT, 1, "/start edited")

    text, contact, sticker, photo, document, voice, location, edited = await bot.get_updates()

    assert [e.type for e in text.message.entities] == ["bot_command", "mention"]
    assert text.message.parse_entities()[text.message.entities[1]] == "@someone"
    assert text.effective_user.language_code == "ru"
    assert contact.message.contact.user_id == CHAT
    assert sticker.message.sticker.emoji == "👍"
    assert photo.message.caption == "look" and photo.message.photo
    assert document.message.document.file_name == "price.xlsx"
    assert voice.message.voice.mime_type == "audio/ogg"
    assert (location.message.location.latitude, location.message.location.longitude) == (1.5, 2.5)
    assert edited.edited_message.text == "/start edited" and edited.edited_message.message_id == 1


async def test_group_messages_and_replies_have_real_shapes(bot, fake_telegram):
    fake_telegram.push_message(-500, "first", chat_type="supergroup", user={"first_name": "Ann"})
    fake_telegram.push_message(-500, "second", chat_type="supergroup", reply_to_message=1)

    first, second = await bot.get_updates()

    assert first.effective_chat.type == "supergroup" and first.effective_user.first_name == "Ann"
    assert second.message.reply_to_message.text == "first"


async def test_replied_messages_can_be_given_whole(bot, fake_telegram):
    original = {"message_id": 7, "date": 0, "chat": {"id": CHAT, "type": "private"}, "text": "x"}

    fake_telegram.push_message(CHAT, "reply", reply_to_message=original)

    (update,) = await bot.get_updates()
    assert update.message.reply_to_message.text == "x"


async def test_raw_updates_are_delivered_as_given(bot, fake_telegram):
    raw = {"message": {"message_id": 3, "date": 0, "chat": {"id": 9, "type": "private"}}}

    update_id = fake_telegram.push_raw(raw)
    fake_telegram.push_raw({"update_id": 50, **raw})

    assert [u.update_id for u in await bot.get_updates()] == [update_id, 50]


async def test_confirmed_updates_are_dropped_and_redelivery_is_forced(bot, fake_telegram):
    update_id = fake_telegram.push_message(CHAT, "hi")
    await bot.get_updates()
    await bot.get_updates(offset=update_id + 1)
    assert fake_telegram.pending_update_ids() == []

    fake_telegram.push_same_update_again(update_id)

    assert [u.update_id for u in await bot.get_updates(offset=update_id + 1)] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == ()


async def test_delivery_time_is_when_get_updates_first_handed_the_update_out(bot, fake_telegram):
    update_id = fake_telegram.push_message(CHAT, "hi")
    assert fake_telegram.delivered_at == {}
    before = time.monotonic()

    await bot.get_updates()
    first = fake_telegram.delivered_at[update_id]
    await bot.get_updates()  # not confirmed yet, so handed out again

    assert before <= first <= time.monotonic()
    assert fake_telegram.delivered_at == {update_id: first}


async def test_an_update_handed_out_for_a_webhook_is_no_longer_polled(bot, fake_telegram):
    first = fake_telegram.push_message(CHAT, "hi")
    second = fake_telegram.push_message(CHAT, "there")
    before = time.monotonic()

    update = fake_telegram.hand_out(first)

    assert (update["update_id"], update["message"]["text"]) == (first, "hi")
    assert before <= fake_telegram.delivered_at[first] <= time.monotonic()
    assert [u.update_id for u in await bot.get_updates()] == [second]


async def test_long_poll_answers_as_soon_as_an_update_arrives(bot, fake_telegram):
    poll = asyncio.create_task(bot.get_updates(timeout=600, read_timeout=700))
    await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("getUpdates"))

    fake_telegram.push_message(CHAT, "hi")

    # Far below the poll's own timeout: only an early answer can arrive in time.
    assert len(await asyncio.wait_for(poll, timeout=60)) == 1


async def test_long_poll_without_updates_waits_for_its_timeout(bot, fake_telegram):
    started = time.monotonic()

    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.3


async def test_a_newer_poll_terminates_the_older_one_with_conflict(bot, fake_telegram):
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("getUpdates"))

    async with Bot(TOKEN, base_url=fake_telegram.api_url) as second_instance:
        await second_instance.get_updates(timeout=0)

    with pytest.raises(Conflict):
        await older


async def test_application_polling_runs_handlers_for_pushed_messages(fake_telegram):
    async def start(update, context):
        await update.message.reply_text(f"Hello, {update.effective_user.first_name}")

    async def echo(update, context):
        await update.message.reply_text(update.message.text)

    app = ApplicationBuilder().token(TOKEN).base_url(fake_telegram.api_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        fake_telegram.push_message(CHAT, "/start", user={"first_name": "Ann"})
        fake_telegram.push_message(CHAT, "ping")
        replies = await fake_telegram.wait_for_messages_async(CHAT, 2)
        await app.updater.stop()
        await app.stop()

    assert [m.text for m in replies] == ["Hello, Ann", "ping"]
    assert fake_telegram.pending_update_ids() == []


async def test_json_and_query_string_requests_are_understood(fake_telegram):
    url = f"{fake_telegram.api_url}{TOKEN}"
    async with httpx.AsyncClient() as client:
        by_json = await client.post(f"{url}/sendMessage", json={"chat_id": CHAT, "text": "1"})
        by_query = await client.get(f"{url}/sendMessage?chat_id={CHAT}&text=2")
        unknown = await client.post(f"{url}/sendPoll", json={})

    assert by_json.json()["result"]["text"] == "1"
    assert by_query.json()["result"]["text"] == "2"
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_unknown_paths_and_broken_json_are_refused(fake_telegram):
    async with httpx.AsyncClient() as client:
        bad_path = await client.get(f"{fake_telegram.base_url}/nothing")
        bad_json = await client.post(
            f"{fake_telegram.api_url}{TOKEN}/getMe",
            content=b"{",
            headers={"Content-Type": "application/json"},
        )

    assert bad_path.status_code == 404
    assert bad_json.json()["description"] == "Bad Request: request body is not valid JSON"


def test_wait_for_returns_once_messages_arrive(fake_telegram):
    url = f"{fake_telegram.api_url}{TOKEN}/sendMessage"
    _in_background(lambda: httpx.post(url, json={"chat_id": CHAT, "text": "hi"}))

    (message,) = fake_telegram.wait_for_messages(CHAT, 1)

    assert message.text == "hi"


def test_wait_for_fails_the_test_when_the_condition_never_holds(fake_telegram):
    with pytest.raises(AssertionError, match=r"messages not met within 0\.05s"):
        fake_telegram.wait_for_messages(CHAT, 1, timeout=0.05)


async def test_async_wait_fails_the_test_when_the_condition_never_holds(fake_telegram):
    with pytest.raises(AssertionError, match="messages not met"):
        await fake_telegram.wait_for_messages_async(CHAT, 1, timeout=0.05)


def test_stopping_leaves_no_threads_even_with_a_pending_long_poll():
    before = threading.active_count()
    fake = FakeTelegram().start()
    client = httpx.Client()
    poll = _in_background(lambda: client.get(f"{fake.api_url}{TOKEN}/getUpdates?timeout=30"))
    fake.wait_for(lambda: fake.calls_of("getUpdates"))

    fake.stop()
    poll.join(timeout=5)
    client.close()

    assert threading.active_count() == before


# ---- Telegram: several bots at one URL ----------------------------------------------------------


async def test_each_bot_answers_get_me_with_its_own_user(bot, second_bot):
    first, second = await bot.get_me(), await second_bot.get_me()

    assert (first.id, first.username) == (123456789, "fake_test_bot")
    assert (second.id, second.username, second.is_bot) == (987654321, "second_test_bot", True)


async def test_each_bot_gets_only_the_updates_pushed_to_it(bot, second_bot, second_fake):
    second_fake.push_message(CHAT, "for the second bot")

    assert await bot.get_updates() == ()
    (update,) = await second_bot.get_updates()
    assert update.message.text == "for the second bot"


async def test_each_bot_records_only_its_own_sends_with_its_own_message_ids(
    bot, second_bot, fake_telegram, second_fake
):
    await bot.send_message(CHAT, "from the first")

    sent = await second_bot.send_message(CHAT, "from the second")

    assert (sent.message_id, sent.from_user.username) == (1, "second_test_bot")
    assert [m.text for m in fake_telegram.sent_messages(CHAT)] == ["from the first"]
    assert [m.text for m in second_fake.wait_for_messages(CHAT, 1)] == ["from the second"]
    assert [c.method for c in second_fake.calls_of("sendMessage")] == ["sendMessage"]


async def test_one_bots_webhook_and_commands_leave_the_other_bot_alone(
    bot, second_bot, fake_telegram, second_fake
):
    await second_bot.set_webhook("https://bot.example.com/second/")
    await second_bot.set_my_commands([BotCommand("release", "Release")])
    fake_telegram.push_message(CHAT, "still polled")

    assert len(await bot.get_updates()) == 1
    assert fake_telegram.webhook is None and fake_telegram.commands() == []
    assert second_fake.webhook.url == "https://bot.example.com/second/"
    assert second_fake.commands()[0]["command"] == "release"


async def test_one_bots_poll_does_not_end_the_other_bots_long_poll(bot, second_bot, fake_telegram):
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await fake_telegram.wait_for_async(lambda: fake_telegram.calls_of("getUpdates"))

    await second_bot.get_updates(timeout=0)
    fake_telegram.push_message(CHAT, "hi")

    assert [u.message.text for u in await polling] == ["hi"]


async def test_a_fault_planned_for_one_bot_hits_only_that_bot(bot, second_bot, second_fake):
    second_fake.fail_next("sendMessage", error_code=403)

    assert (await bot.send_message(CHAT, "fine")).text == "fine"
    with pytest.raises(Forbidden):
        await second_bot.send_message(CHAT, "blocked")


def test_a_token_is_served_by_one_bot_only(fake_telegram):
    with pytest.raises(ValueError, match="served already"):
        fake_telegram.add_bot(TOKEN, username="again_test_bot")


def test_stopping_ends_the_long_polls_of_every_bot():
    fake = FakeTelegram().start()
    second = fake.add_bot(SECOND_TOKEN, username="second_test_bot")
    client = httpx.Client()
    url = f"{fake.api_url}{SECOND_TOKEN}/getUpdates?timeout=600"
    poll = _in_background(lambda: client.get(url, timeout=700))
    second.wait_for(lambda: second.calls_of("getUpdates"))

    stopping = threading.Thread(target=fake.stop, daemon=True)
    stopping.start()
    stopping.join(timeout=60)  # far below the poll's own timeout: only an ended poll lets it stop

    poll.join(timeout=5)
    client.close()
    assert not stopping.is_alive()


# ---- Telegram: forum topics ----------------------------------------------------------------------


@pytest.fixture
def forum(fake_telegram):
    fake_telegram.make_forum(FORUM, title="Staff", bot_rights={"can_manage_topics": True})
    return FORUM


@pytest.fixture
def persons_topic(fake_telegram, forum):
    """A topic a staff member created in the Telegram app, not the bot."""
    return fake_telegram.push_topic_created(FORUM, "Questions", user={"first_name": "Olga"})


async def test_created_topics_are_numbered_by_the_message_that_created_them(
    bot, fake_telegram, forum
):
    first = await bot.create_forum_topic(FORUM, "Anna, +7 912")
    second = await bot.create_forum_topic(FORUM, "Boris", icon_color=0xFB6F5F)

    assert (first.message_thread_id, first.name, first.icon_color) == (2, "Anna, +7 912", 0x6FB9F0)
    assert (second.message_thread_id, second.icon_color) == (3, 0xFB6F5F)
    assert [(t.name, t.created_by_bot) for t in fake_telegram.topics(FORUM)] == [
        ("Anna, +7 912", True),
        ("Boris", True),
    ]


async def test_messages_sent_into_a_topic_carry_it_and_are_listed_by_topic(
    bot, fake_telegram, forum
):
    topic = (await bot.create_forum_topic(FORUM, "Anna")).message_thread_id

    sent = await bot.send_message(FORUM, "New lead", message_thread_id=topic)
    general = await bot.send_message(FORUM, "Good morning")

    assert (sent.message_thread_id, sent.is_topic_message) == (topic, True)
    assert sent.chat.is_forum
    assert sent.reply_to_message.forum_topic_created.name == "Anna"
    assert (general.message_thread_id, general.is_topic_message) == (None, None)
    assert [m.text for m in fake_telegram.topic_messages(FORUM, topic)] == ["New lead"]
    assert len(fake_telegram.sent_messages(FORUM)) == 2


async def test_an_edited_topic_message_stays_in_its_topic(bot, forum):
    topic = (await bot.create_forum_topic(FORUM, "Anna")).message_thread_id
    sent = await bot.send_message(FORUM, "Draft", message_thread_id=topic)

    edited = await bot.edit_message_text("Final", chat_id=FORUM, message_id=sent.message_id)

    assert (edited.text, edited.message_thread_id) == ("Final", topic)


async def test_a_thread_outside_a_forum_is_ignored_as_telegram_does(bot):
    sent = await bot.send_message(-500, "Hi", message_thread_id=7)

    assert sent.message_thread_id is None


async def test_chat_actions_in_a_topic_are_recorded_with_the_thread(bot, fake_telegram, forum):
    assert await bot.send_chat_action(FORUM, "typing", message_thread_id=5)

    assert fake_telegram.calls_of("sendChatAction")[0].params["message_thread_id"] == 5


async def test_topics_exist_only_in_forums(bot):
    with pytest.raises(BadRequest, match="The chat is not a forum"):
        await bot.create_forum_topic(-500, "Anna")


async def test_creating_a_topic_needs_the_right_to_manage_topics(bot, fake_telegram):
    fake_telegram.make_forum(FORUM, title="Staff", bot_rights={"can_delete_messages": True})

    with pytest.raises(BadRequest, match="Not enough rights to create a topic"):
        await bot.create_forum_topic(FORUM, "Anna")


async def test_a_topic_needs_a_name(bot, forum):
    with pytest.raises(BadRequest, match="Title must be non-empty"):
        await bot.create_forum_topic(FORUM, "  ")


@pytest.mark.parametrize("thread", ["unknown", "general", "deleted"])
async def test_sending_into_a_thread_that_is_no_topic_is_not_found(bot, forum, thread):
    topic = (await bot.create_forum_topic(FORUM, "Anna")).message_thread_id
    await bot.delete_forum_topic(FORUM, topic)
    thread_id = {"unknown": 999, "general": 1, "deleted": topic}[thread]

    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(FORUM, "Hi", message_thread_id=thread_id)


async def test_closing_and_reopening_twice_is_not_modified(bot, fake_telegram, forum):
    topic = (await bot.create_forum_topic(FORUM, "Anna")).message_thread_id

    assert await bot.close_forum_topic(FORUM, topic)
    assert fake_telegram.topics(FORUM)[0].closed
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(FORUM, topic)
    assert await bot.reopen_forum_topic(FORUM, topic)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await bot.reopen_forum_topic(FORUM, topic)
    assert not fake_telegram.topics(FORUM)[0].closed


async def test_the_bot_still_writes_into_a_closed_topic_it_created(bot, fake_telegram):
    fake_telegram.make_forum(FORUM, title="Staff")
    topic = (await bot.create_forum_topic(FORUM, "Anna")).message_thread_id
    fake_telegram.make_forum(FORUM, title="Staff", bot_rights={})  # the right taken back later
    fake_telegram.push_topic_closed(FORUM, topic)

    assert (await bot.send_message(FORUM, "Still here", message_thread_id=topic)).text


@pytest.mark.parametrize(
    ("bot_rights", "refused"), [({}, True), ({"can_manage_topics": True}, False)]
)
async def test_a_persons_closed_topic_takes_messages_only_from_a_bot_that_manages_topics(
    bot, fake_telegram, bot_rights, refused
):
    fake_telegram.make_forum(FORUM, title="Staff", bot_rights=bot_rights)
    topic = fake_telegram.push_topic_created(FORUM, "Questions")
    fake_telegram.push_topic_closed(FORUM, topic)

    send = bot.send_message(FORUM, "Hi", message_thread_id=topic)

    if refused:
        with pytest.raises(BadRequest, match=r"(?i)TOPIC_CLOSED"):
            await send
    else:
        assert (await send).message_thread_id == topic


@pytest.mark.parametrize(
    ("manage", "refusal"),
    [
        (lambda bot, topic: bot.edit_forum_topic(FORUM, topic, name="X"), "edit the topic"),
        (lambda bot, topic: bot.close_forum_topic(FORUM, topic), "close or open the topic"),
        (lambda bot, topic: bot.delete_forum_topic(FORUM, topic), "delete the topic"),
    ],
)
async def test_a_persons_topic_is_managed_only_with_the_rights(bot, fake_telegram, manage, refusal):
    fake_telegram.make_forum(FORUM, title="Staff", bot_rights={})
    topic = fake_telegram.push_topic_created(FORUM, "Questions")

    with pytest.raises(BadRequest, match=f"Not enough rights to {refusal}"):
        await manage(bot, topic)


async def test_a_persons_topic_is_managed_with_the_rights(bot, fake_telegram, persons_topic):
    fake_telegram.make_forum(
        FORUM, title="Staff", bot_rights={"can_manage_topics": True, "can_delete_messages": True}
    )

    assert await bot.close_forum_topic(FORUM, persons_topic)
    assert await bot.delete_forum_topic(FORUM, persons_topic)


async def test_renaming_a_topic_changes_its_name_once(bot, fake_telegram, forum):
    topic = (await bot.create_forum_topic(FORUM, "Anna")).message_thread_id

    assert await bot.edit_forum_topic(FORUM, topic, name="Anna, paid")
    assert await bot.edit_forum_topic(FORUM, topic)  # nothing to change: no error either

    assert fake_telegram.topics(FORUM)[0].name == "Anna, paid"
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await bot.edit_forum_topic(FORUM, topic, name="Anna, paid")


async def test_deleting_a_topic_deletes_its_messages(bot, fake_telegram, forum):
    topic = (await bot.create_forum_topic(FORUM, "Anna")).message_thread_id
    in_topic = await bot.send_message(FORUM, "In the topic", message_thread_id=topic)
    await bot.send_message(FORUM, "In General")

    assert await bot.delete_forum_topic(FORUM, topic)

    assert fake_telegram.topics(FORUM)[0].deleted
    assert [m.text for m in fake_telegram.sent_messages(FORUM)] == ["In General"]
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(FORUM, in_topic.message_id)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_ID_INVALID"):
        await bot.close_forum_topic(FORUM, topic)


async def test_a_topic_a_person_deleted_is_gone_for_the_bot(bot, fake_telegram, forum):
    topic = (await bot.create_forum_topic(FORUM, "Anna")).message_thread_id

    fake_telegram.delete_topic(FORUM, topic)

    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(FORUM, "Hi", message_thread_id=topic)


async def test_a_staff_message_in_a_topic_reads_as_a_topic_message(
    bot, fake_telegram, persons_topic
):
    fake_telegram.push_message(
        FORUM, "Call her back", message_thread_id=persons_topic, user={"id": 555}
    )

    created, message = [u.message for u in await bot.get_updates()]

    assert created.forum_topic_created.name == "Questions"
    assert created.message_thread_id == persons_topic and created.reply_to_message is None
    assert (message.message_thread_id, message.is_topic_message) == (persons_topic, True)
    assert (message.chat.type, message.chat.is_forum, message.from_user.id) == (
        "supergroup",
        True,
        555,
    )
    assert message.reply_to_message.message_id == persons_topic


async def test_a_topic_closed_by_a_person_reaches_the_bot(bot, fake_telegram, persons_topic):
    fake_telegram.push_topic_closed(FORUM, persons_topic)

    closed = (await bot.get_updates())[-1].message

    assert closed.forum_topic_closed is not None
    assert closed.message_thread_id == persons_topic


async def test_staff_commands_in_a_topic_reach_the_bot_and_its_replies_stay_there(
    fake_telegram, persons_topic
):
    async def release(update, context):
        await update.message.reply_text("Released")

    async def note(update, context):
        await update.message.reply_text(f"Noted: {' '.join(context.args)}")

    app = ApplicationBuilder().token(TOKEN).base_url(fake_telegram.api_url).build()
    app.add_handler(CommandHandler("release", release))
    app.add_handler(CommandHandler("note", note))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        for text in ("/release@second_test_bot", "/release@fake_test_bot", "/note call at 5"):
            fake_telegram.push_message(FORUM, text, message_thread_id=persons_topic)
        await fake_telegram.wait_for_messages_async(FORUM, 2)
        await app.updater.stop()
        await app.stop()

    replies = fake_telegram.topic_messages(FORUM, persons_topic)
    assert [m.text for m in replies] == ["Released", "Noted: call at 5"]


# ---- OpenAI ------------------------------------------------------------------------------


async def test_streaming_yields_the_text_in_chunks_and_then_usage(llm, fake_openai):
    fake_openai.queue(Reply(text="Hello world", chunk_size=4, usage=(12, 3)))

    stream = await llm.chat.completions.create(
        model="m", messages=USER_MESSAGE, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]

    pieces = [c.choices[0].delta.content for c in chunks if c.choices]
    assert pieces == ["", "Hell", "o wo", "rld", None]
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (12, 3)


async def test_a_reply_cut_at_the_token_limit_says_length(llm, fake_openai):
    fake_openai.queue(Reply(text="Hello world", chunk_size=4, finish_reason="length"))

    stream = await llm.chat.completions.create(model="m", messages=USER_MESSAGE, stream=True)
    chunks = [chunk async for chunk in stream]

    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello world"
    assert chunks[-1].choices[0].finish_reason == "length"


async def test_a_reply_without_a_finish_reason_just_ends_after_the_text(llm, fake_openai):
    fake_openai.queue(Reply(text="Hello world", chunk_size=4, finish_reason=None))

    stream = await llm.chat.completions.create(
        model="m", messages=USER_MESSAGE, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]

    assert [c.choices[0].delta.content for c in chunks] == ["", "Hell", "o wo", "rld"]
    assert {c.choices[0].finish_reason for c in chunks} == {None}
    assert {c.usage for c in chunks} == {None}


async def test_a_plain_completion_can_lack_a_finish_reason(llm, fake_openai):
    fake_openai.queue(Reply(text="Hi", finish_reason=None))

    completion = await llm.chat.completions.create(model="m", messages=USER_MESSAGE)

    assert completion.choices[0].finish_reason is None


async def test_first_streamed_text_is_timestamped_before_the_next_piece_is_sent(llm, fake_openai):
    fake_openai.queue(Reply(text="Hello world", chunk_size=4, delay_between_chunks=0.05))
    arrivals = []

    stream = await llm.chat.completions.create(model="m", messages=USER_MESSAGE, stream=True)
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic())

    request = fake_openai.completion_requests()[0]
    assert request.at <= request.first_chunk_at <= arrivals[1]


async def test_broken_stream_timestamps_its_partial_text(llm, fake_openai):
    fake_openai.queue(BrokenStream(text_before="Part"))

    stream = await llm.chat.completions.create(model="m", messages=USER_MESSAGE, stream=True)
    with pytest.raises(openai.APIConnectionError):
        [chunk async for chunk in stream]

    assert fake_openai.completion_requests()[0].first_chunk_at is not None


async def test_answers_without_streamed_text_have_no_first_chunk_time(llm, fake_openai):
    fake_openai.queue(Reply(text="Hi"))

    await llm.chat.completions.create(model="m", messages=USER_MESSAGE)

    assert fake_openai.completion_requests()[0].first_chunk_at is None


async def test_streaming_without_include_usage_sends_no_usage(llm, fake_openai):
    stream = await llm.chat.completions.create(model="m", messages=USER_MESSAGE, stream=True)

    assert {chunk.usage async for chunk in stream} == {None}


async def test_a_server_that_reports_no_usage_streams_none_even_when_asked(llm, fake_openai):
    fake_openai.report_usage = False

    stream = await llm.chat.completions.create(
        model="m", messages=USER_MESSAGE, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "Hello from the fake model."
    )
    assert {chunk.usage for chunk in chunks} == {None}


async def test_a_server_that_reports_no_usage_answers_plainly_without_it(llm, fake_openai):
    fake_openai.report_usage = False
    fake_openai.queue(ToolCall("record", '{"a": 1}'))

    completion = await llm.chat.completions.create(model="m", messages=USER_MESSAGE)

    assert completion.choices[0].message.tool_calls[0].function.arguments == '{"a": 1}'
    assert completion.usage is None


async def test_plain_completion_returns_text_and_usage(llm, fake_openai):
    fake_openai.queue(Reply(text="Whole answer"))

    completion = await llm.chat.completions.create(model="my-model", messages=USER_MESSAGE)

    assert completion.choices[0].message.content == "Whole answer"
    assert completion.model == "my-model" and completion.usage.total_tokens > 0


async def test_empty_reply_streams_no_content(llm, fake_openai):
    fake_openai.queue(Reply(text=""))

    stream = await llm.chat.completions.create(model="m", messages=USER_MESSAGE, stream=True)

    assert "".join([c.choices[0].delta.content or "" async for c in stream]) == ""


async def test_tool_calls_stream_their_arguments(llm, fake_openai):
    fake_openai.queue(ToolCall(name="save_lead", arguments_json='{"phone": "+7999"}'))

    stream = await llm.chat.completions.create(model="m", messages=USER_MESSAGE, stream=True)
    chunks = [c async for c in stream]

    calls = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].function.name == "save_lead"
    assert "".join(tc.function.arguments for tc in calls) == '{"phone": "+7999"}'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_tool_calls_come_whole_without_streaming(llm, fake_openai):
    fake_openai.queue(ToolCall(name="save_lead", arguments_json="{}"))

    completion = await llm.chat.completions.create(model="m", messages=USER_MESSAGE)

    (call,) = completion.choices[0].message.tool_calls
    assert (call.function.name, call.function.arguments) == ("save_lead", "{}")


async def test_429_raises_rate_limit_error_with_retry_after(llm, fake_openai):
    fake_openai.queue(Fail(status=429, retry_after=1))

    with pytest.raises(openai.RateLimitError) as caught:
        await llm.chat.completions.create(model="m", messages=USER_MESSAGE)

    assert caught.value.response.headers["retry-after"] == "1"


async def test_500_raises_internal_server_error(llm, fake_openai):
    fake_openai.queue(Fail(status=500))

    with pytest.raises(openai.InternalServerError):
        await llm.chat.completions.create(model="m", messages=USER_MESSAGE, stream=True)


async def test_stall_trips_the_client_timeout(llm, fake_openai):
    fake_openai.queue(Stall(seconds=3))

    with pytest.raises(openai.APITimeoutError):
        await llm.with_options(timeout=0.2).chat.completions.create(
            model="m", messages=USER_MESSAGE
        )


async def test_stall_shorter_than_the_timeout_then_answers(llm, fake_openai):
    fake_openai.queue(Stall(seconds=0.1, then=Reply(text="late")))

    completion = await llm.chat.completions.create(model="m", messages=USER_MESSAGE)

    assert completion.choices[0].message.content == "late"


async def test_broken_stream_fails_after_the_partial_text(llm, fake_openai):
    fake_openai.queue(BrokenStream(text_before="Partial ans"))
    received = []

    stream = await llm.chat.completions.create(model="m", messages=USER_MESSAGE, stream=True)
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content)

    assert "".join(received) == "Partial ans"


async def test_broken_plain_response_is_a_connection_error(llm, fake_openai):
    fake_openai.queue(BrokenStream())

    with pytest.raises(openai.APIConnectionError):
        await llm.chat.completions.create(model="m", messages=USER_MESSAGE)


async def test_default_responder_can_echo_the_request(llm, fake_openai):
    fake_openai.default = echo_last_user_message

    completion = await llm.chat.completions.create(model="m", messages=USER_MESSAGE)

    assert completion.choices[0].message.content == "echo: Hi"


async def test_echo_reads_text_parts(llm, fake_openai):
    fake_openai.default = echo_last_user_message
    parts = [{"role": "user", "content": [{"type": "text", "text": "in parts"}]}]

    completion = await llm.chat.completions.create(model="m", messages=parts)

    assert completion.choices[0].message.content == "echo: in parts"


def test_waiting_for_requests_that_never_come_fails_the_test(fake_openai):
    with pytest.raises(AssertionError, match="1 requests not received"):
        fake_openai.wait_for_requests(1, timeout=0.05)


async def test_requests_are_recorded_with_headers_and_arrival_time(llm, fake_openai):
    before = time.monotonic()

    await llm.chat.completions.create(model="m", messages=USER_MESSAGE)

    (request,) = fake_openai.completion_requests()
    assert request.body["messages"] == USER_MESSAGE
    assert request.headers["authorization"] == "Bearer test"
    assert request.at >= before


async def test_models_are_listed(llm, fake_openai):
    assert [m.id async for m in llm.models.list()] == ["fake-model"]


async def test_unknown_paths_are_not_found(llm):
    with pytest.raises(openai.NotFoundError):
        await llm.moderations.create(model="m", input="x")


async def test_embeddings_are_one_vector_per_input_near_for_shared_words(llm, fake_openai):
    fake_openai.queue_embeddings(Fail(status=429))
    with pytest.raises(openai.RateLimitError):
        await llm.embeddings.create(model="m", input="x")

    response = await llm.embeddings.create(
        model="m", input=["стрижка женская", "женскую стрижку", "parking"]
    )

    haircut, haircut_again, parking = (item.embedding for item in response.data)
    assert len(haircut) == 256
    assert sum(a * b for a, b in zip(haircut, haircut_again, strict=True)) >= 0.5
    assert sum(a * b for a, b in zip(haircut, parking, strict=True)) < 0.2
    assert fake_openai.embedding_requests()[-1].body["input"][2] == "parking"


async def test_two_hundred_concurrent_streams_are_all_served(llm, fake_openai):
    fake_openai.default = echo_last_user_message

    async def ask(number):
        messages = [{"role": "user", "content": str(number)}]
        stream = await llm.chat.completions.create(model="m", messages=messages, stream=True)
        return "".join([c.choices[0].delta.content or "" async for c in stream])

    answers = await asyncio.gather(*(ask(n) for n in range(200)))

    assert answers == [f"echo: {n}" for n in range(200)]


def test_openai_fake_stops_while_a_request_stalls():
    before = threading.active_count()
    fake = FakeOpenAI(default=Stall(seconds=30)).start()
    client = httpx.Client()
    request = _in_background(
        lambda: client.post(f"{fake.base_url}/chat/completions", json={}, timeout=60)
    )
    fake.wait_for_requests(1)

    fake.stop()
    request.join(timeout=5)
    client.close()
    fake.stop()  # a second stop is harmless

    assert threading.active_count() == before
