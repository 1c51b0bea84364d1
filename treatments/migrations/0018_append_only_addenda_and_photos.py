"""Triggers (PostgreSQL and SQLite, ``treatments.append_only``): addenda are never changed or
deleted (anonymisation may blank their text), photos never changed, and deleted only with their
patient's anonymisation (on PostgreSQL). After 0016, which rebuilds the photo table on SQLite."""

from django.db import migrations

from treatments import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor)


def uninstall(apps, schema_editor):
    append_only.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0017_photo_versions"), ("patients", "0009_patient_data_rights")]
    operations = [migrations.RunPython(install, uninstall)]
