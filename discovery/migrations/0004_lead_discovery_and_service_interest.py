import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_remove_single_language_texts'),
        ('conversations', '0009_contact_phone_trigram_index'),
        ('discovery', '0003_extractionrun_model_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='LeadDiscovery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('card_confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='lead card confirmed')),
                ('contact', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='discovery', to='conversations.contact', verbose_name='lead')),
                ('scenario', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='discovery.scenario', verbose_name='scenario')),
            ],
            options={
                'verbose_name': 'need discovery',
                'verbose_name_plural': 'need discovery',
            },
        ),
        migrations.CreateModel(
            name='ServiceInterest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='time')),
                ('contact', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='service_interests', to='conversations.contact', verbose_name='lead')),
                ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interests', to='catalog.service', verbose_name='service')),
            ],
            options={
                'verbose_name': 'interest in a service',
                'verbose_name_plural': 'interests in services',
                'constraints': [models.UniqueConstraint(fields=('contact', 'service'), name='uniq_service_interest')],
            },
        ),
    ]
