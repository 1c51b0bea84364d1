"""Database triggers for session records: the absolute rules of migration 0003, below the ORM.

``SessionRecord.save()`` and ``SessionItem.save()`` check every rule with clear messages
(treatments.models). These triggers hold the two that must never be broken, even by raw SQL:

* a session item cannot be a pregnancy-cautioned or lower-abdominal point when the record's
  screening says pregnant or trying;
* a session record cannot be written against a screening of another patient, or one that reports
  an active facial infection, open wound or rash (facial treatment blocked).

A refused write raises IntegrityError. PostgreSQL and SQLite get the same rules in their dialects.
"""

from django.db import migrations

PREGNANT_ITEM = """
    SELECT 1 FROM treatments_sessionrecord r
    JOIN patients_screening s ON s.id = r.screening_id
    JOIN treatments_point pt ON pt.id = NEW.point_id
    WHERE r.id = NEW.record_id AND s.pregnant_or_trying AND (pt.avoid_in_pregnancy OR pt.lower_abdominal)
"""
BAD_RECORD = """
    SELECT 1 FROM patients_screening s
    WHERE s.id = NEW.screening_id
      AND (s.patient_id <> NEW.patient_id OR s.active_skin_infection OR s.facial_wound_or_rash
           OR (s.pregnant_or_trying AND EXISTS (
               SELECT 1 FROM treatments_sessionitem i JOIN treatments_point pt ON pt.id = i.point_id
               WHERE i.record_id = NEW.id AND (pt.avoid_in_pregnancy OR pt.lower_abdominal))))
"""
ITEM_MESSAGE = "treatments: this point is never used in pregnancy"
RECORD_MESSAGE = "treatments: the screening belongs to another patient, blocks facial treatment, or rules out a point of the session"

POSTGRES = [
    f"""
    CREATE FUNCTION treatments_sessionitem_guard() RETURNS trigger AS $$
    BEGIN
      IF EXISTS ({PREGNANT_ITEM}) THEN
        RAISE EXCEPTION '{ITEM_MESSAGE}' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """CREATE TRIGGER treatments_sessionitem_guard BEFORE INSERT OR UPDATE ON treatments_sessionitem
       FOR EACH ROW EXECUTE FUNCTION treatments_sessionitem_guard()""",
    f"""
    CREATE FUNCTION treatments_sessionrecord_guard() RETURNS trigger AS $$
    BEGIN
      IF EXISTS ({BAD_RECORD}) THEN
        RAISE EXCEPTION '{RECORD_MESSAGE}' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """CREATE TRIGGER treatments_sessionrecord_guard BEFORE INSERT OR UPDATE ON treatments_sessionrecord
       FOR EACH ROW EXECUTE FUNCTION treatments_sessionrecord_guard()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS treatments_sessionitem_guard ON treatments_sessionitem",
    "DROP FUNCTION IF EXISTS treatments_sessionitem_guard()",
    "DROP TRIGGER IF EXISTS treatments_sessionrecord_guard ON treatments_sessionrecord",
    "DROP FUNCTION IF EXISTS treatments_sessionrecord_guard()",
]

SQLITE = [
    f"""CREATE TRIGGER treatments_sessionitem_guard_{event.lower()} BEFORE {event} ON treatments_sessionitem
        WHEN EXISTS ({PREGNANT_ITEM})
        BEGIN SELECT RAISE(ABORT, '{ITEM_MESSAGE}'); END"""
    for event in ("INSERT", "UPDATE")
] + [
    f"""CREATE TRIGGER treatments_sessionrecord_guard_{event.lower()} BEFORE {event} ON treatments_sessionrecord
        WHEN EXISTS ({BAD_RECORD})
        BEGIN SELECT RAISE(ABORT, '{RECORD_MESSAGE}'); END"""
    for event in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS treatments_{table}_guard_{event}"
    for table in ("sessionitem", "sessionrecord")
    for event in ("insert", "update")
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("treatments", "0004_session_records")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
