"""Trigram indexes for the patient search (name, e-mail, phone as any substring), so a picker
searching as you type stays fast with tens of thousands of patients.

PostgreSQL only (``pg_trgm``, GIN): the search's ``icontains`` is ``UPPER(column) LIKE
UPPER('%…%')`` and ``contains`` on the phone ``LIKE '%…%'``, which these indexes serve. SQLite
has no trigram index; it keeps the plain indexes of 0001 (lower-cased name and e-mail, phone).
"""

from django.db import migrations

INDEXES = {
    "patient_first_name_trgm": 'UPPER("first_name"::text)',
    "patient_last_name_trgm": 'UPPER("last_name"::text)',
    "patient_email_trgm": 'UPPER("email"::text)',
    "patient_phone_trgm": '"phone"',
}


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient USING gin (({expression}) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_screening_drop_combined_procedure_answers")]

    operations = [migrations.RunPython(add_indexes, drop_indexes)]
