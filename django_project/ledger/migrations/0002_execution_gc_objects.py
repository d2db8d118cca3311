from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [
        migrations.AddField(model_name="execution", name="gc_objects", field=models.IntegerField(null=True)),
    ]
