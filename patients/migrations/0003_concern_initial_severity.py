from django.db import migrations, models
from django.db.models import F


def copy_severity(apps, schema_editor):
    # Existing rows: the severity on file is the best baseline there is.
    apps.get_model("patients", "PatientConcern").objects.update(initial_severity=F("severity"))


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_concern_catalogue")]

    operations = [
        migrations.AddField(
            model_name="patientconcern",
            name="initial_severity",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.RunPython(copy_severity, migrations.RunPython.noop),
    ]
