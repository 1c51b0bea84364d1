"""Addenda and photos become write-once (``treatments.triggers.HISTORY_TABLES``): an addendum is
never changed or deleted (anonymisation may blank its text), a photo never changed, and deleted
only with its patient's anonymisation (on PostgreSQL). After 0017, which rebuilds the photo table
on SQLite.

This migration first installed the triggers of a separate generator (``treatments.append_only``,
triggers named ``*_kept``), since folded into ``staff.write_once``; it now reinstalls
``treatments.triggers``, and 0019 replaces the ``*_kept`` triggers where this ran before, so a
fresh database and an upgraded one end the same."""

from django.db import migrations

from treatments import triggers


def reinstall(apps, schema_editor):
    triggers.uninstall(schema_editor)
    triggers.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0017_photo_versions"), ("patients", "0009_patient_data_rights")]
    operations = [migrations.RunPython(reinstall, reinstall)]
