"""Screenings and consents become write-once in the database (``patients.triggers``): UPDATE and
DELETE refused on PostgreSQL and SQLite, except anonymisation blanking a screening's free text."""

from django.db import migrations

from patients import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor)


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("patients", "0010_patient_phones_e164")]
    operations = [migrations.RunPython(install, uninstall)]
