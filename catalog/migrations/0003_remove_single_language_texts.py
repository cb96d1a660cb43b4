"""The single-language texts go; their content is in the language maps since 0002."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_service_texts_per_language"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="service",
            options={
                "ordering": ["position", "id"],
                "verbose_name": "service",
                "verbose_name_plural": "services",
            },
        ),
        # A default lets the column come back on a reverse migration, filled by 0002's reverse.
        migrations.AlterField(
            model_name="service",
            name="title",
            field=models.CharField(default="", max_length=200, verbose_name="title"),
        ),
        migrations.RemoveField(model_name="service", name="title"),
        migrations.RemoveField(model_name="service", name="short_description"),
        migrations.RemoveField(model_name="service", name="description"),
        migrations.RemoveField(model_name="service", name="duration"),
    ]
