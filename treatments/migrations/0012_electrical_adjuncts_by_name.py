"""Reinstalls the safety triggers (treatments.triggers) so that an adjunct is electrical by its
mark or by its name (microcurrent, electro-, galvanic) and an electrical adjunct stays so."""

from django.db import migrations

from treatments import triggers


def reinstall(apps, schema_editor):
    triggers.uninstall(schema_editor)
    triggers.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0011_anatomical_face_positions")]
    operations = [migrations.RunPython(reinstall, reinstall)]
