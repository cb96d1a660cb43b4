from django.db import migrations, models


def create_rule(apps, schema_editor):
    """One delivery failed for good is worth telling: staff send it again from admin."""
    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertRule.objects.get_or_create(
        kind="crm_dead", defaults={"threshold": 1.0, "window_minutes": 5, "is_active": True}
    )


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0003_sync_failed_rule'),
    ]

    operations = [
        migrations.AlterField(
            model_name='alertrule',
            name='kind',
            field=models.CharField(choices=[('llm_error_rate', 'LLM error rate'), ('model_failing', 'A model failing every call'), ('queue_lag', 'Updates waiting too long'), ('telegram_429', 'Telegram asks to slow down'), ('no_updates', 'No updates during business hours'), ('undelivered', 'Replies not delivered'), ('sync_failed', 'A sync source failing'), ('crm_dead', 'CRM deliveries failed for good')], max_length=20, unique=True, verbose_name='condition'),
        ),
        migrations.AlterField(
            model_name='alertrule',
            name='threshold',
            field=models.FloatField(help_text='LLM error rate: percent of failed calls; a model failing: failed calls with none answered; updates waiting: seconds; Telegram: 429 answers; no updates: minutes; replies not delivered: count; a sync source failing: not used; CRM deliveries: count.', verbose_name='threshold'),
        ),
        migrations.RunPython(create_rule, migrations.RunPython.noop),
    ]
