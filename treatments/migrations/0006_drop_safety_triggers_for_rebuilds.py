"""Drops the safety triggers of 0003 and 0005 while the catalogue and screening tables change.

On SQLite, Django changes a table by rebuilding it (copy, drop, rename), and SQLite refuses to
rename a table while a trigger on another table names it. The screening (patients 0005–0007)
and catalogue (0007–0009) tables are rebuilt, so this runs before them and 0010 installs the
new triggers (by code and region) at the end. PostgreSQL does not need it, but gets the same
sequence so both databases go through the same states.
"""

from django.db import migrations

from treatments import triggers


def drop(apps, schema_editor):
    triggers.uninstall(schema_editor)


def restore(apps, schema_editor):
    triggers.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0005_session_safety_triggers")]
    run_before = [("patients", "0005_screening_per_procedure_fields")]
    operations = [migrations.RunPython(drop, restore)]
