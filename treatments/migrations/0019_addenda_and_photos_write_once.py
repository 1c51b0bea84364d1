"""The addenda and photos are held by the write-once triggers of ``treatments.triggers`` (the same
rules): drops the triggers ``treatments.append_only`` installed in 0018 before it was folded into
``staff.write_once``, then reinstalls. On a database created after the fold there is nothing to
drop. Backwards the write-once triggers stay, as the new 0018 leaves them."""

from django.db import migrations

from staff import write_once
from treatments import triggers

RETIRED = ("treatments_sessionaddendum_kept", "treatments_sessionphoto_kept")


def _drop_retired(schema_editor):
    for name in RETIRED:
        write_once.drop(schema_editor, table=name.removesuffix("_kept"), name=name)


def replace(apps, schema_editor):
    _drop_retired(schema_editor)
    reinstall(apps, schema_editor)


def reinstall(apps, schema_editor):
    triggers.uninstall(schema_editor)
    triggers.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0018_append_only_addenda_and_photos")]
    operations = [migrations.RunPython(replace, reinstall)]
