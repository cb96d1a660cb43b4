"""Every number is counted under its lead's bot too; then everything stored is counted anew.

The recount calls the rollup's own rebuild (`manage.py rebuild_analytics`), which reads the
current models: after the migrations this one depends on, they have every column it reads
(the leads' bot, given to the Telegram leads by `bots 0002`). A new database has nothing to
count and skips it. This also counts what was stored before the rollup existed (which
migration 0002 did until the rollup had a bot).
"""

from django.db import migrations, models


def count_existing_data(apps, schema_editor):
    if not apps.get_model("conversations", "Contact").objects.exists():
        return
    from analytics.rollup import rollup_rebuild

    rollup_rebuild()


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0002_count_existing_data'),
        ('bots', '0002_first_bot'),
        ('conversations', '0014_person_first_in_lead_key'),
        ('discovery', '0006_scenarios_per_bot'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='dailyconversations',
            name='daily_conversations_key',
        ),
        migrations.RemoveConstraint(
            model_name='dailylatency',
            name='daily_latency_key',
        ),
        migrations.RemoveConstraint(
            model_name='dailyleads',
            name='daily_leads_key',
        ),
        migrations.RemoveConstraint(
            model_name='dailyusage',
            name='daily_usage_key',
        ),
        migrations.AddField(
            model_name='countedconversation',
            name='bot_id',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='countedlead',
            name='bot_id',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='dailyconversations',
            name='bot_id',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='dailylatency',
            name='bot_id',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='dailyleads',
            name='bot_id',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='dailyusage',
            name='bot_id',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name='dailyconversations',
            constraint=models.UniqueConstraint(fields=('day', 'bot_id', 'source', 'messages'), name='daily_conversations_key'),
        ),
        migrations.AddConstraint(
            model_name='dailylatency',
            constraint=models.UniqueConstraint(fields=('day', 'bot_id', 'source', 'bucket'), name='daily_latency_key'),
        ),
        migrations.AddConstraint(
            model_name='dailyleads',
            constraint=models.UniqueConstraint(fields=('day', 'bot_id', 'source', 'stage'), name='daily_leads_key'),
        ),
        migrations.AddConstraint(
            model_name='dailyusage',
            constraint=models.UniqueConstraint(fields=('day', 'bot_id', 'source', 'kind', 'model_name'), name='daily_usage_key'),
        ),
        migrations.RunPython(count_existing_data, migrations.RunPython.noop),
    ]
