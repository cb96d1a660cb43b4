"""The bot of TELEGRAM_BOT_TOKEN becomes the first `Bot`, and the Telegram leads become its own.

Before several bots there was one, named by `TELEGRAM_BOT_TOKEN`. Its leads (and through them
their conversations and messages) now belong to it, and the staff users who worked with it are
its staff. Prompts and scenarios stay shared: they apply to it as before, and to any bot added
later until it has its own; so does TELEGRAM_STAFF_CHAT_ID, the staff chat of every bot
without one of its own. Without the variable set no bot is made here; `runbot` makes it at
its first start, and the leads without a bot become its own then (`bot.registry`).
"""

import re

from django.conf import settings
from django.db import migrations

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")


def first_bot(apps, schema_editor):
    token = settings.TELEGRAM_BOT_TOKEN
    if not TOKEN_PATTERN.match(token or ""):
        return
    Bot = apps.get_model("bots", "Bot")
    Contact = apps.get_model("conversations", "Contact")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    bot, _created = Bot.objects.get_or_create(
        telegram_id=int(token.split(":", 1)[0]),
        defaults={"name": "Telegram", "token_variable": "TELEGRAM_BOT_TOKEN"},
    )
    Contact.objects.filter(bot__isnull=True, channel="telegram").update(bot=bot)
    bot.staff.add(*User.objects.filter(is_staff=True, is_superuser=False))


def leads_without_bot(apps, schema_editor):
    """Back: the leads of every bot but the first would clash; refuse rather than lose them."""
    Contact = apps.get_model("conversations", "Contact")
    bots = Contact.objects.exclude(bot__isnull=True).values("bot").distinct().count()
    if bots > 1:
        raise RuntimeError("Leads of several bots cannot go back to one bot; nothing changed.")
    Contact.objects.update(bot=None)


class Migration(migrations.Migration):

    dependencies = [
        ("bots", "0001_bots"),
        ("conversations", "0012_leads_and_prompts_per_bot"),
        ("discovery", "0006_scenarios_per_bot"),
        ("catalog", "0004_services_per_bot"),
        ("assistant", "0007_models_per_bot"),
    ]

    operations = [migrations.RunPython(first_bot, leads_without_bot)]
