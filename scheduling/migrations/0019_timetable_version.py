"""The settings row's ``timetable_version`` and the triggers that change it whenever the
timetable changes (``scheduling.timetable``), so each process can keep the timetable it read."""

from django.db import migrations, models

import scheduling.models.clinic


def install(apps, schema_editor):
    from scheduling import timetable

    timetable.install(schema_editor)


def uninstall(apps, schema_editor):
    from scheduling import timetable

    timetable.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0018_closures_and_time_off_once")]

    operations = [
        migrations.AddField(
            model_name="clinicsettings",
            name="timetable_version",
            field=models.BigIntegerField(default=scheduling.models.clinic.new_timetable_version, editable=False),
        ),
        migrations.RunPython(install, uninstall),
    ]
