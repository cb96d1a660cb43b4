"""The model each lead chose moves from the lead to this app; going back copies it back.

Few leads ever choose a model, and there are few models: forward the choices are written in
batches, back with one update per model.
"""

from django.db import migrations


def move_to_the_assistant(apps, schema_editor):
    db = schema_editor.connection.alias
    Contact = apps.get_model("conversations", "Contact")
    ModelChoice = apps.get_model("assistant", "ModelChoice")
    chosen = Contact.objects.using(db).exclude(chosen_model=None).order_by("pk")
    ModelChoice.objects.using(db).bulk_create(
        (
            ModelChoice(contact_id=contact_id, model_id=model_id)
            for contact_id, model_id in chosen.values_list("pk", "chosen_model_id")
        ),
        batch_size=1000,
    )


def move_back_to_the_lead(apps, schema_editor):
    db = schema_editor.connection.alias
    Contact = apps.get_model("conversations", "Contact")
    choices = apps.get_model("assistant", "ModelChoice").objects.using(db)
    for model_id in choices.values_list("model_id", flat=True).distinct().order_by():
        contacts = choices.filter(model_id=model_id).values("contact_id")
        Contact.objects.using(db).filter(pk__in=contacts).update(chosen_model_id=model_id)


class Migration(migrations.Migration):

    dependencies = [
        ("assistant", "0005_model_choice"),
    ]

    operations = [migrations.RunPython(move_to_the_assistant, move_back_to_the_lead)]
