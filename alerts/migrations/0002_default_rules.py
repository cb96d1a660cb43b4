"""One rule per condition, with thresholds a small business can start from; staff tune them
in admin. "No updates" is off: a quiet hour means nothing for a bot few people write to."""

from django.db import migrations

DEFAULTS = (
    # kind, threshold, window in minutes, active
    ("llm_error_rate", 20.0, 5, True),
    ("model_failing", 3.0, 5, True),
    ("queue_lag", 120.0, 5, True),
    ("telegram_429", 20.0, 5, True),
    ("no_updates", 60.0, 5, False),
    ("undelivered", 1.0, 5, True),
)


def create_rules(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for kind, threshold, window, active in DEFAULTS:
        AlertRule.objects.get_or_create(
            kind=kind,
            defaults={"threshold": threshold, "window_minutes": window, "is_active": active},
        )


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
