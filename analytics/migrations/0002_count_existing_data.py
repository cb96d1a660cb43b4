"""Count the leads, conversations, messages and runs stored before the rollup existed.

This calls the rollup's own rebuild (`manage.py rebuild_analytics`), which reads the current
models; after the migrations this one depends on, they have every column it reads. A new
database has nothing to count and skips it.
"""

from django.db import migrations


def count_existing_data(apps, schema_editor):
    if not apps.get_model("conversations", "Contact").objects.exists():
        return
    from analytics.rollup import rollup_rebuild

    rollup_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("discovery", "0002_extractionrun_tokens_estimated"),
    ]

    operations = [migrations.RunPython(count_existing_data, migrations.RunPython.noop)]
