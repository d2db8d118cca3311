from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Execution",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("dispatch_id", models.CharField(db_index=True, max_length=64)),
                ("task", models.CharField(max_length=32)),
                ("worker_pid", models.IntegerField()),
                ("backend_pid", models.IntegerField(null=True)),
                ("started", models.FloatField()),
                ("finished", models.FloatField()),
                ("error", models.TextField(blank=True, default="")),
            ],
            options={"db_table": "ledger_execution"},
        ),
    ]
