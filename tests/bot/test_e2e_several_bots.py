"""End-to-end: one `runbot` serves several bots at once, each with its own prompts, catalog,
model and leads; bots added, changed and switched off in admin take effect without a restart."""

import pytest
from asgiref.sync import sync_to_async

from assistant.models import BotModels
from bots.models import Bot
from conversations.models import Contact, Message
from core.config_cache import config_changed
from tests.bot.test_e2e_basics import wait_messages
from tests.bot.test_e2e_catalog_languages import buttons
from tests.discovery.test_e2e_discovery import until
from tests.factories import (
    BotFactory,
    LLMModelFactory,
    PromptFactory,
    ServiceFactory,
)
from tests.fakes.openai_server import Reply

SHOP_TOKEN = "555000111:SHOP-fake-token"
PERSON = 9301


@pytest.fixture
def shop(transactional_db, fake_telegram):
    """A second bot, "Shop": on the fake at the same URL, and registered as staff would."""
    fake = fake_telegram.add_bot(SHOP_TOKEN, username="shop_test_bot")
    bot = BotFactory(token=SHOP_TOKEN, name="Shop", username="shop_test_bot", languages=["en"])
    return bot, fake


def system_message(request) -> str:
    return request.body["messages"][0]["content"]


async def test_two_bots_answer_side_by_side_each_with_its_own_prompts_and_catalog(
    shop, running_bot, fake_telegram, fake_openai, telegram_bot
):
    shop_bot, shop_fake = shop
    await sync_to_async(PromptFactory)(
        key="greeting", language="en", bot=shop_bot, text="Welcome to the Shop!"
    )
    await sync_to_async(PromptFactory)(
        key="system", language="en", bot=shop_bot, text="You sell shoes only."
    )
    await sync_to_async(ServiceFactory)(titles={"ru": "Доставка", "en": "Delivery"})
    shoes = await sync_to_async(ServiceFactory)(titles={"ru": "Обувь", "en": "Shoes"})
    await sync_to_async(shoes.bots.set)([shop_bot])
    fake_openai.queue(Reply(text="Main bot answer"), Reply(text="Shop answer"))

    fake_telegram.push_message(PERSON, "/start", language_code="en")
    shop_fake.push_message(PERSON, "/start", language_code="en")
    main_greeting = (await wait_messages(fake_telegram, PERSON, 1))[0]
    shop_greeting = (await wait_messages(shop_fake, PERSON, 1))[0]
    fake_telegram.push_message(PERSON, "/services", language_code="en")
    shop_fake.push_message(PERSON, "/services", language_code="en")
    main_menu = (await wait_messages(fake_telegram, PERSON, 2))[1]
    shop_menu = (await wait_messages(shop_fake, PERSON, 2))[1]

    assert main_greeting.visible_text == "Hello! I will help you choose."
    assert shop_greeting.visible_text == "Welcome to the Shop!"
    assert buttons(main_menu) == ["Delivery"]
    assert buttons(shop_menu) == ["Delivery", "Shoes"]
    fake_telegram.push_message(PERSON, "Hello", language_code="en")
    await wait_messages(fake_telegram, PERSON, 3)
    shop_fake.push_message(PERSON, "Hello", language_code="en")
    await wait_messages(shop_fake, PERSON, 3)
    main_request, shop_request = fake_openai.completion_requests()
    assert "You are a polite consultant." in system_message(main_request)
    assert "You sell shoes only." in system_message(shop_request)
    assert "You are a polite consultant." not in system_message(shop_request)


async def test_one_person_writing_to_two_bots_is_two_leads_and_one_update_id_is_handled_twice(
    shop, running_bot, fake_telegram, telegram_bot
):
    """Each bot counts its own update ids: both first updates are number 1."""
    _shop_bot, shop_fake = shop
    first = fake_telegram.push_message(PERSON, "/help", language_code="en")
    second = shop_fake.push_message(PERSON, "/help", language_code="en")
    await wait_messages(fake_telegram, PERSON, 1)
    await wait_messages(shop_fake, PERSON, 1)

    assert first == second
    leads = await sync_to_async(list)(
        Contact.objects.filter(external_id=str(PERSON)).values_list("bot__name", flat=True)
    )
    assert sorted(leads) == ["Fake Bot", "Shop"]
    stored = await sync_to_async(list)(
        Message.objects.filter(role="user").values_list("telegram_update_id", flat=True)
    )
    assert stored == [first, first]


async def test_a_bot_added_in_admin_answers_without_a_restart_and_publishes_its_menu(
    running_bot, fake_telegram
):
    shop_fake = fake_telegram.add_bot(SHOP_TOKEN, username="shop_test_bot")
    shop_fake.push_message(PERSON, "/help", language_code="en")

    await sync_to_async(BotFactory)(token=SHOP_TOKEN, name="Shop", username="")

    [answer] = await wait_messages(shop_fake, PERSON, 1, timeout=15)
    assert answer.visible_text
    assert [command["command"] for command in shop_fake.commands("ru")][:1] == ["start"]
    bot = await Bot.objects.aget(name="Shop")
    assert bot.username == "shop_test_bot"


async def test_a_bot_switched_off_stops_answering_and_on_again_answers(
    shop, running_bots, fake_telegram
):
    shop_bot, shop_fake = shop
    shop_fake.push_message(PERSON, "/help", language_code="en")
    await wait_messages(shop_fake, PERSON, 1)

    shop_bot.is_active = False
    await shop_bot.asave()
    await until(lambda: running_bots.bots.get(shop_bot.telegram_id) is None, timeout=15)
    shop_fake.push_message(PERSON, "/help", language_code="en")
    fake_telegram.push_message(PERSON, "/help", language_code="en")
    await wait_messages(fake_telegram, PERSON, 1)
    assert len(shop_fake.sent_messages(PERSON)) == 1

    shop_bot.is_active = True
    await shop_bot.asave()
    shop_fake.push_message(PERSON, "/help", language_code="en")
    await wait_messages(shop_fake, PERSON, 2, timeout=15)


async def test_a_new_token_given_in_admin_restarts_the_bot_with_it(
    shop, running_bots, fake_telegram, caplog
):
    shop_bot, _shop_fake = shop
    served = running_bots.bots.get(shop_bot.telegram_id)
    await sync_to_async(Bot.objects.filter(pk=shop_bot.pk).update)(token_variable="SHOP_BOT_TOKEN")
    await sync_to_async(config_changed)()

    await until(lambda: "the variable SHOP_BOT_TOKEN is not set" in caplog.text, timeout=15)

    assert f"Bot {shop_bot.pk} (Shop) is no longer served here" in caplog.text
    assert running_bots.bots.get(shop_bot.telegram_id) is None
    assert served.application.bot.token not in caplog.text


async def test_each_bot_answers_with_its_own_default_model(
    shop, running_bot, fake_telegram, fake_openai, llm_model
):
    shop_bot, shop_fake = shop
    own = await sync_to_async(LLMModelFactory)(
        provider=llm_model.provider, model_id="shop-model", display_name="Shop Model"
    )
    await BotModels.objects.acreate(bot=shop_bot, default_model=own)
    fake_openai.queue(Reply(text="From the shop model"), Reply(text="From the default"))

    shop_fake.push_message(PERSON, "Hi", language_code="en")
    await wait_messages(shop_fake, PERSON, 1)
    fake_telegram.push_message(PERSON, "Hi", language_code="en")
    await wait_messages(fake_telegram, PERSON, 1)

    shop_request, main_request = fake_openai.completion_requests()
    assert (shop_request.body["model"], main_request.body["model"]) == ("shop-model", "fake-model")
