"""Model capabilities: chat models answer, transcription and speech models do their own jobs,
each chosen per bot or else the first active one; the admin and the models file say which."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.urls import reverse

from assistant.models import BotModels, LLMModel, VoiceChoice, validate_capabilities
from assistant.selectors import (
    default_model_spec,
    embedding_model_spec,
    speech_plan_for,
    transcription_model_spec,
    usable_model_specs,
)
from tests.admin_forms import change_form_data
from tests.factories import BotFactory, ContactFactory, LLMModelFactory, LLMProviderFactory
from tests.loading import command_output, write_source

pytestmark = pytest.mark.django_db

MODELS = reverse("admin:assistant_llmmodel_changelist")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.LLM_DEFAULT_MODEL = ""


def ears(**fields):
    return LLMModelFactory(capabilities=["transcription"], **fields)


def mouth(**fields):
    return LLMModelFactory(capabilities=["speech"], **fields)


def test_only_chat_models_answer_or_are_offered_by_model():
    ears(position=0)
    mouth(position=0)
    chat = LLMModelFactory(position=5)
    assert default_model_spec().pk == chat.pk
    assert [spec.pk for spec in usable_model_specs()] == [chat.pk]


def test_the_first_active_transcription_model_is_used_without_a_bots_own():
    LLMModelFactory()
    ears(is_active=False, position=0)
    first = ears(position=1)
    ears(position=2)
    assert transcription_model_spec().pk == first.pk


def test_a_bots_own_transcription_model_wins():
    bot = BotFactory()
    ears(position=0)
    own = ears(position=1)
    BotModels.objects.create(bot=bot, transcription_model=own)
    assert transcription_model_spec(bot.pk).pk == own.pk


def test_a_transcription_model_without_its_key_is_skipped(monkeypatch):
    monkeypatch.delenv("ABSENT_API_KEY", raising=False)
    ears(provider=LLMProviderFactory(api_key_env="ABSENT_API_KEY"))
    assert transcription_model_spec() is None


def test_the_knowledge_base_embeds_with_the_first_active_embedding_model_with_its_key(
    monkeypatch,
):
    monkeypatch.delenv("ABSENT_API_KEY", raising=False)
    LLMModelFactory(position=0)
    assert embedding_model_spec() is None
    LLMModelFactory(capabilities=["embedding"], is_active=False, position=1)
    LLMModelFactory(
        capabilities=["embedding"],
        provider=LLMProviderFactory(api_key_env="ABSENT_API_KEY"),
        position=2,
    )
    usable = LLMModelFactory(capabilities=["embedding"], position=3)
    assert embedding_model_spec().pk == usable.pk


def test_answers_are_spoken_when_the_bot_says_so_unless_the_lead_says_otherwise():
    bot = BotFactory()
    speaker = mouth()
    BotModels.objects.create(bot=bot, speaks_answers=True, speech_voice="nova")
    lead, quiet = ContactFactory(bot=bot), ContactFactory(bot=bot)
    VoiceChoice.objects.create(contact=quiet, speaks_answers=False)
    plan = speech_plan_for(contact_id=lead.pk, bot_id=bot.pk)
    assert (plan.model.pk, plan.voice) == (speaker.pk, "nova")
    assert speech_plan_for(contact_id=quiet.pk, bot_id=bot.pk) is None


def test_a_lead_who_asked_for_voice_gets_none_without_a_speech_model():
    lead = ContactFactory()
    VoiceChoice.objects.create(contact=lead, speaks_answers=True)
    assert speech_plan_for(contact_id=lead.pk) is None
    speaker = mouth()
    assert speech_plan_for(contact_id=lead.pk).model.pk == speaker.pk


@pytest.mark.parametrize("value", [[], ["chat", "chat"], ["dreaming"], "chat", None])
def test_capabilities_must_be_a_list_of_known_ones(value):
    with pytest.raises(ValidationError):
        validate_capabilities(value)


def test_the_models_list_shows_and_filters_capabilities(admin_client):
    LLMModelFactory(display_name="Talker")
    ears(display_name="Listener")
    page = admin_client.get(MODELS, {"capability": "transcription"})
    shown = [model.display_name for model in page.context["cl"].result_list]
    assert shown == ["Listener"]
    assert "transcription" in page.content.decode()
    assert len(admin_client.get(MODELS, {"capability": "nonsense"}).context["cl"].result_list) == 2


def test_capabilities_are_ticked_in_the_model_form(admin_client):
    model = LLMModelFactory()
    url = reverse("admin:assistant_llmmodel_change", args=[model.pk])
    data = change_form_data(admin_client.get(url))
    data["capabilities"] = ["transcription", "speech"]
    assert admin_client.post(url, data).status_code == 302
    model.refresh_from_db()
    assert model.capabilities == ["transcription", "speech"]


def test_a_bots_page_offers_each_job_only_its_models(admin_client):
    bot = BotFactory()
    chat, listener, speaker = LLMModelFactory(), ears(), mouth()
    page = admin_client.get(reverse("admin:bots_bot_change", args=[bot.pk]))
    form = page.context["inline_admin_formsets"][0].formset.forms[0]
    assert list(form.fields["default_model"].queryset) == [chat]
    assert list(form.fields["transcription_model"].queryset) == [listener]
    assert list(form.fields["speech_model"].queryset) == [speaker]


def test_a_leads_voice_choice_is_on_its_page(admin_client):
    lead = ContactFactory()
    VoiceChoice.objects.create(contact=lead, speaks_answers=True)
    page = admin_client.get(reverse("admin:conversations_contact_change", args=[lead.pk]))
    assert "answers also as voice messages" in page.content.decode().lower()
    assert str(VoiceChoice.objects.get()) == "on"


@pytest.mark.parametrize(
    ("written", "capabilities"),
    [
        ("capabilities: transcription", ["transcription"]),
        ("capabilities: chat, speech", ["chat", "speech"]),
        ("capabilities: [speech]", ["speech"]),
        ("display_name: Plain", ["chat"]),
    ],
)
def test_the_models_file_names_capabilities(tmp_path, written, capabilities):
    source = write_source(
        tmp_path,
        "m.yaml",
        "- name: Lab\n  base_url: http://127.0.0.1:8080/v1\n  models:\n"
        f"    - model_id: m\n      {written}\n",
    )
    command_output("load_models", "--source", source)
    assert LLMModel.objects.get(model_id="m").capabilities == capabilities


def test_the_models_file_refuses_an_unknown_capability(tmp_path):
    source = write_source(
        tmp_path,
        "m.yaml",
        "- name: Lab\n  base_url: http://127.0.0.1:8080/v1\n  models:\n"
        "    - model_id: m\n      capabilities: dreaming\n",
    )
    with pytest.raises(CommandError, match="List one or more of"):
        command_output("load_models", "--source", source)
