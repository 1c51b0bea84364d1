from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("staff", "0002_roles")]
    operations = [
        migrations.AddField(model_name="auditevent", name="changes", field=models.JSONField(default=dict, blank=True)),
    ]
