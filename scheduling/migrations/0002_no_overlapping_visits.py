"""No two overlapping active visits for one practitioner, room or patient — held by PostgreSQL.

Exclusion constraints over the half-open range [starts_at, ends_at) (so 10:00–11:00 and
11:00–12:00 both fit), only for visits that hold their time (booked, arrived, completed: a
cancelled visit or a no-show frees its slot). btree_gist lets the equality on the id share the
GiST index with the range overlap.

They are plain SQL run only on PostgreSQL, not ``ExclusionConstraint`` in the model's Meta,
because the embedded default database is SQLite, which has no such constraints: there, booking
relies on serialized write transactions (``transaction_mode: IMMEDIATE``) with the overlap check
made inside the same transaction (scheduling/booking.py).
"""

from django.db import migrations

COLUMNS = ("practitioner_id", "room_id", "patient_id")
BLOCKING = "status IN ('booked', 'arrived', 'completed')"


def name(column: str) -> str:
    return f"visit_no_overlap_{column.removesuffix('_id')}"


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for column in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE scheduling_visit ADD CONSTRAINT {name(column)} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE ({BLOCKING})"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"ALTER TABLE scheduling_visit DROP CONSTRAINT IF EXISTS {name(column)}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(add_constraints, drop_constraints)]
