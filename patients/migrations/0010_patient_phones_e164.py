"""Stores every patient phone number in E.164, read in the clinic's region (settings.PHONE_REGION).

Until now intake kept the digits as typed ("07700900123", "+4402079460958"), so the same number
was stored several ways and search missed some. A number that cannot be read as a phone number is
kept exactly as it was, for staff to correct on the patient's page; reversing keeps E.164.
"""

from django.db import migrations

from patients.phones import to_e164

PHONE_FIELDS = ("phone", "emergency_contact_phone", "guardian_phone")


def phones_to_e164(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    changed = []
    for patient in Patient.objects.only(*PHONE_FIELDS).iterator(chunk_size=500):
        updated = False
        for field in PHONE_FIELDS:
            value = getattr(patient, field)
            if value and (e164 := to_e164(value)) is not None and e164 != value:
                setattr(patient, field, e164)
                updated = True
        if updated:
            changed.append(patient)
    Patient.objects.bulk_update(changed, PHONE_FIELDS, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("patients", "0009_patient_data_rights")]

    operations = [migrations.RunPython(phones_to_e164, migrations.RunPython.noop, elidable=True)]
