"""Installs the safety triggers of treatments.triggers (PostgreSQL and SQLite): pregnancy-forbidden
points refused by code and region from treatments.hard_rules (not only by the editable flags),
electrical adjuncts refused with an implanted device, and hard-forbidden points kept forbidden
in the catalogue. Replaces the triggers of 0003 and 0005 (dropped by 0006)."""

from django.db import migrations

from treatments import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor)


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0009_drop_coarse_areas_and_combined_waits")]
    operations = [migrations.RunPython(install, uninstall)]
