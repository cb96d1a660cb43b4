"""Service texts per language: today's texts move into the site language (`LANGUAGE_CODE`)."""

import core.languages
from django.conf import settings
from django.db import migrations, models

TEXTS = {
    "title": "titles",
    "short_description": "short_descriptions",
    "description": "descriptions",
    "duration": "durations",
}


def into_site_language(apps, schema_editor):
    Service = apps.get_model("catalog", "Service")
    for service in Service.objects.all():
        for old, new in TEXTS.items():
            text = getattr(service, old)
            setattr(service, new, {settings.LANGUAGE_CODE: text} if text else {})
        service.save(update_fields=list(TEXTS.values()))


def out_of_site_language(apps, schema_editor):
    """Back to one text each: the site language's, else any language's."""
    Service = apps.get_model("catalog", "Service")
    for service in Service.objects.all():
        for old, new in TEXTS.items():
            texts = getattr(service, new) or {}
            text = texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()), "")
            setattr(service, old, text[: Service._meta.get_field(old).max_length])
        service.save(update_fields=list(TEXTS))


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="titles",
            field=models.JSONField(
                blank=True,
                default=dict,
                validators=[core.languages.TextsMaxLength(200)],
                verbose_name="title",
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="short_descriptions",
            field=models.JSONField(
                blank=True,
                default=dict,
                validators=[core.languages.TextsMaxLength(300)],
                verbose_name="short description",
            ),
        ),
        migrations.AddField(
            model_name="service",
            name="descriptions",
            field=models.JSONField(blank=True, default=dict, verbose_name="full description"),
        ),
        migrations.AddField(
            model_name="service",
            name="durations",
            field=models.JSONField(
                blank=True,
                default=dict,
                validators=[core.languages.TextsMaxLength(100)],
                verbose_name="duration",
            ),
        ),
        migrations.RunPython(into_site_language, out_of_site_language),
    ]
