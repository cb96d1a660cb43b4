import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assistant', '0004_move_logentry_to_core'),
        ('conversations', '0009_contact_phone_trigram_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='ModelChoice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('contact', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='model_choice', to='conversations.contact', verbose_name='lead')),
                ('model', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='assistant.llmmodel', verbose_name='chosen model')),
            ],
            options={
                'verbose_name': 'chosen model',
                'verbose_name_plural': 'chosen models',
            },
        ),
    ]
