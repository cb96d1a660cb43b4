"""A lead's scenario, card confirmation, interests and chosen model now live in the apps that
use them (discovery 0005 and assistant 0006 copied them there first)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0009_contact_phone_trigram_index'),
        ('discovery', '0005_keep_lead_discovery_and_interests'),
        ('assistant', '0006_keep_model_choices'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='contact',
            name='card_confirmed_at',
        ),
        migrations.RemoveField(
            model_name='contact',
            name='chosen_model',
        ),
        migrations.RemoveField(
            model_name='contact',
            name='interested_in',
        ),
        migrations.RemoveField(
            model_name='contact',
            name='scenario',
        ),
    ]
