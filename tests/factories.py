"""factory_boy factories for every model the tests build."""

import factory
from django.conf import settings
from django.contrib.auth import get_user_model

from assistant.models import LLMModel, LLMProvider
from bots.models import Bot
from bots.tokens import encrypt_token
from catalog.models import Service
from conversations.models import Contact, Conversation, Message, Prompt
from discovery.models import LeadFieldValue, Scenario, ScenarioField, ServiceInterest
from integrations.models import FieldMapping, Integration


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")


class BotFactory(factory.django.DjangoModelFactory):
    """A bot whose token is stored encrypted (the suite's `BOT_TOKEN_KEYS`)."""

    class Meta:
        model = Bot
        django_get_or_create = ("telegram_id",)

    class Params:
        token = factory.Sequence(lambda n: f"{700000 + n}:AAFakeTokenForTestsOnly{n:06d}")

    name = factory.Sequence(lambda n: f"Bot {n}")
    username = factory.Sequence(lambda n: f"test{n}_bot")
    telegram_id = factory.LazyAttribute(lambda bot: int(bot.token.split(":")[0]))
    encrypted_token = factory.LazyAttribute(lambda bot: encrypt_token(bot.token))


class LLMProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LLMProvider

    name = factory.Sequence(lambda n: f"provider-{n}")
    base_url = "http://127.0.0.1:9/v1"
    api_key_env = ""  # a local server: no key needed


class LLMModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LLMModel

    provider = factory.SubFactory(LLMProviderFactory)
    model_id = factory.Sequence(lambda n: f"model-{n}")
    display_name = factory.LazyAttribute(lambda model: model.model_id.title())


def in_site_language(name):
    """A language map holding the text given as `name`, in the site language of the moment."""
    return factory.LazyAttribute(
        lambda built: {settings.LANGUAGE_CODE: getattr(built, name)} if getattr(built, name) else {}
    )


class ServiceFactory(factory.django.DjangoModelFactory):
    """`title=...` and the other texts are the site language's; `titles={...}` sets them all."""

    class Meta:
        model = Service

    class Params:
        title = factory.Sequence(lambda n: f"Service {n}")
        short_description = "A useful service"
        description = "What the service includes, in detail."
        duration = ""

    slug = factory.Sequence(lambda n: f"service-{n}")
    titles = in_site_language("title")
    short_descriptions = in_site_language("short_description")
    descriptions = in_site_language("description")
    durations = in_site_language("duration")
    price = 5000
    position = factory.Sequence(lambda n: n)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    external_id = factory.Sequence(lambda n: str(100000 + n))
    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Petrova{n}")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    contact = factory.SubFactory(ContactFactory)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    contact = factory.LazyAttribute(lambda message: message.conversation.contact)
    role = Message.Role.USER
    text = factory.Sequence(lambda n: f"Message number {n}")


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt
        django_get_or_create = ("key", "language", "bot")

    key = Prompt.Key.SYSTEM
    language = "ru"
    bot = None
    text = "You are a helpful consultant."


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scenario

    name = factory.Sequence(lambda n: f"Scenario {n}")
    slug = factory.Sequence(lambda n: f"scenario-{n}")
    guidance = factory.LazyFunction(lambda: {"ru": "Выясни задачу.", "en": "Find out the task."})


class ScenarioFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScenarioField

    scenario = factory.SubFactory(ScenarioFactory)
    key = factory.Sequence(lambda n: f"field_{n}")
    field_type = ScenarioField.Type.TEXT
    labels = factory.LazyAttribute(lambda field: {"ru": f"Поле {field.key}", "en": field.key})
    position = factory.Sequence(lambda n: n)


class LeadFieldValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadFieldValue

    contact = factory.SubFactory(ContactFactory)
    key = "name"
    value = factory.LazyAttribute(lambda value: value.display)
    display = "Anna"


def add_interests(contact, *services):
    """The lead pressed "I'm interested" on each of `services`, in that order."""
    for service in services:
        ServiceInterest.objects.create(contact=contact, service=service)


class IntegrationFactory(factory.django.DjangoModelFactory):
    """A webhook integration with its secret stored encrypted (pass `secret`, `kind`, `url`)."""

    class Meta:
        model = Integration

    class Params:
        secret = "webhook-secret-123"

    kind = Integration.Kind.WEBHOOK
    name = factory.Sequence(lambda n: f"CRM {n}")
    url = "http://127.0.0.1:9/hooks/leads"
    secret_encrypted = factory.LazyAttribute(lambda row: encrypt_token(row.secret))


class FieldMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FieldMapping

    integration = factory.SubFactory(IntegrationFactory)
    card_key = "budget"
    crm_field = "UF_CRM_BUDGET"
