"""Reinstalls the triggers of ``treatments.triggers``: plans, session records and their items,
reactions and concern ratings become write-once (UPDATE and DELETE refused, except anonymisation
blanking notes), the safety guards watch inserts only, and a plan or session record must name
the patient's latest screening when it is inserted."""

from django.db import migrations

from treatments import triggers


def reinstall(apps, schema_editor):
    triggers.uninstall(schema_editor)
    triggers.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0010_patient_phones_e164"),
        ("treatments", "0014_electrical_adjuncts_named_tens"),
    ]
    operations = [migrations.RunPython(reinstall, reinstall)]
