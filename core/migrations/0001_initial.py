"""LogEntry, moved here from `assistant`: its table is already there (assistant 0004 renamed
it to core_logentry), so only the migration state learns of the model."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("assistant", "0004_move_logentry_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='LogEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(db_index=True, verbose_name='time')),
                        ('level', models.CharField(db_index=True, max_length=10, verbose_name='level')),
                        ('logger_name', models.CharField(db_index=True, max_length=200, verbose_name='logger')),
                        ('message', models.TextField(verbose_name='message')),
                        ('traceback', models.TextField(blank=True, verbose_name='traceback')),
                    ],
                    options={
                        'verbose_name': 'log entry',
                        'verbose_name_plural': 'log entries',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
        ),
    ]
