"""LogEntry moves to core: the table is renamed, its rows and permissions stay.

The model leaves this app's state only; `core` 0001 takes it up (state only) after this runs.
Its content type is relabelled too, so staff keep the permissions granted on log entries.
"""

from django.db import migrations


def relabel_log_entry_type(from_app, to_app):
    def relabel(apps, schema_editor):
        types = apps.get_model("contenttypes", "ContentType").objects.using(
            schema_editor.connection.alias
        )
        if not types.filter(app_label=to_app, model="logentry").exists():
            types.filter(app_label=from_app, model="logentry").update(app_label=to_app)

    return relabel


class Migration(migrations.Migration):

    dependencies = [
        ("assistant", "0003_provider_api_key_variable"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="logentry", table="core_logentry"),
            ],
            state_operations=[migrations.DeleteModel(name="LogEntry")],
        ),
        migrations.RunPython(
            relabel_log_entry_type("assistant", "core"),
            relabel_log_entry_type("core", "assistant"),
        ),
    ]
