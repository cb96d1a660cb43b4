"""The configuration version row that processes cache prompts, catalog, models and scenarios
under (see `core.config_cache`)."""

import uuid

from django.db import migrations, models


def create_version(apps, schema_editor):
    apps.get_model("core", "ConfigVersion").objects.create(pk=1, token=uuid.uuid4().hex)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConfigVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32)),
            ],
            options={
                "verbose_name": "configuration version",
                "verbose_name_plural": "configuration versions",
            },
        ),
        migrations.RunPython(create_version, migrations.RunPython.noop),
    ]
