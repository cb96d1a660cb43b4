"""A trigram index on leads' phones, so the admin finds digits anywhere in a phone at once.

PostgreSQL only (`pg_trgm`, which the database's owner may install since PostgreSQL 13): it
serves `phone LIKE '%1234567%'` from the index instead of reading every lead. SQLite has no
such index and scans the phone index, which is quick there. The index is not in the model's
Meta because SQLite could not create it.
"""

from django.db import migrations

INDEX = "contact_phone_trigram"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON conversations_contact USING gin (phone gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0008_message_tokens_estimated")]

    operations = [migrations.RunPython(create_index, drop_index)]
