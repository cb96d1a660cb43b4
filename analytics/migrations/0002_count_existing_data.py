"""Counted the leads, conversations, messages and runs stored before the rollup existed.

It called the rollup's own rebuild, which reads and writes the current models; since the rollup
counts per bot (migration 0003) they have a column this migration's tables do not, so the
counting moved to 0003, which runs once that column is there. Kept so the migration graph of
existing databases stays whole.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("discovery", "0002_extractionrun_tokens_estimated"),
    ]

    operations = []
