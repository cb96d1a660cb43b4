"""A bot's own default and fallback models, chosen on the bot's page among the active models."""

import pytest
from django.urls import reverse

from assistant.models import BotModels
from tests.admin_forms import change_form_data
from tests.factories import BotFactory, LLMModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def bot_page(client, bot):
    return client.get(reverse("admin:bots_bot_change", args=[bot.pk]))


def offered(page, field: str) -> list:
    inline = page.context["inline_admin_formsets"][0]
    return list(inline.formset.forms[0].fields[field].queryset)


def test_a_bots_models_are_chosen_on_its_page(admin_client):
    bot = BotFactory()
    default, fallback = LLMModelFactory(), LLMModelFactory()
    data = change_form_data(bot_page(admin_client, bot))
    data.update({"models-0-default_model": default.pk, "models-0-fallback_model": fallback.pk})

    response = admin_client.post(reverse("admin:bots_bot_change", args=[bot.pk]), data)

    assert response.status_code == 302
    chosen = BotModels.objects.get(bot=bot)
    assert (chosen.default_model, chosen.fallback_model) == (default, fallback)


def test_only_active_models_are_offered(admin_client):
    bot = BotFactory()
    active, switched_off = LLMModelFactory(), LLMModelFactory(is_active=False)
    data = change_form_data(bot_page(admin_client, bot))
    data["models-0-default_model"] = switched_off.pk

    response = admin_client.post(reverse("admin:bots_bot_change", args=[bot.pk]), data)

    assert offered(bot_page(admin_client, bot), "default_model") == [active]
    assert response.status_code == 200
    assert not BotModels.objects.exists()


def test_a_model_switched_off_after_it_was_chosen_stays_chosen(admin_client):
    bot = BotFactory()
    chosen = LLMModelFactory()
    BotModels.objects.create(bot=bot, default_model=chosen)
    chosen.is_active = False
    chosen.save()
    page = bot_page(admin_client, bot)

    response = admin_client.post(
        reverse("admin:bots_bot_change", args=[bot.pk]), change_form_data(page)
    )

    assert offered(page, "default_model") == [chosen]
    assert offered(page, "fallback_model") == []
    assert response.status_code == 302
    assert BotModels.objects.get(bot=bot).default_model == chosen
