"""Database triggers for the absolute safety rules, below the ORM.

``Plan.save()`` and ``PlanItem.save()`` check every rule with clear messages (treatments.models).
These triggers hold the two rules that must never be broken, even by raw SQL:

* a plan item cannot be a pregnancy-cautioned or lower-abdominal point when the plan's screening
  says pregnant or trying (checked when an item is written, and when a plan's screening changes);
* a plan cannot be written against a screening of another patient, or one that reports an active
  facial infection, open wound or rash (facial treatment blocked).

A refused write raises IntegrityError. PostgreSQL and SQLite get the same rules in their dialects.
"""

from django.db import migrations

PREGNANT_ITEM = """
    SELECT 1 FROM treatments_plan p
    JOIN patients_screening s ON s.id = p.screening_id
    JOIN treatments_point pt ON pt.id = {item}.point_id
    WHERE p.id = {item}.plan_id AND s.pregnant_or_trying AND (pt.avoid_in_pregnancy OR pt.lower_abdominal)
"""
BAD_PLAN = """
    SELECT 1 FROM patients_screening s
    WHERE s.id = NEW.screening_id
      AND (s.patient_id <> NEW.patient_id OR s.active_skin_infection OR s.facial_wound_or_rash
           OR (s.pregnant_or_trying AND EXISTS (
               SELECT 1 FROM treatments_planitem i JOIN treatments_point pt ON pt.id = i.point_id
               WHERE i.plan_id = NEW.id AND (pt.avoid_in_pregnancy OR pt.lower_abdominal))))
"""

POSTGRES = [
    f"""
    CREATE FUNCTION treatments_planitem_guard() RETURNS trigger AS $$
    BEGIN
      IF EXISTS ({PREGNANT_ITEM.format(item="NEW")}) THEN
        RAISE EXCEPTION 'treatments: this point is never used in pregnancy' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """CREATE TRIGGER treatments_planitem_guard BEFORE INSERT OR UPDATE ON treatments_planitem
       FOR EACH ROW EXECUTE FUNCTION treatments_planitem_guard()""",
    f"""
    CREATE FUNCTION treatments_plan_guard() RETURNS trigger AS $$
    BEGIN
      IF EXISTS ({BAD_PLAN}) THEN
        RAISE EXCEPTION 'treatments: the screening belongs to another patient, blocks facial treatment, or rules out a point of the plan'
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """CREATE TRIGGER treatments_plan_guard BEFORE INSERT OR UPDATE ON treatments_plan
       FOR EACH ROW EXECUTE FUNCTION treatments_plan_guard()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS treatments_planitem_guard ON treatments_planitem",
    "DROP FUNCTION IF EXISTS treatments_planitem_guard()",
    "DROP TRIGGER IF EXISTS treatments_plan_guard ON treatments_plan",
    "DROP FUNCTION IF EXISTS treatments_plan_guard()",
]

SQLITE = [
    f"""CREATE TRIGGER treatments_planitem_guard_{event.lower()} BEFORE {event} ON treatments_planitem
        WHEN EXISTS ({PREGNANT_ITEM.format(item="NEW")})
        BEGIN SELECT RAISE(ABORT, 'treatments: this point is never used in pregnancy'); END"""
    for event in ("INSERT", "UPDATE")
] + [
    f"""CREATE TRIGGER treatments_plan_guard_{event.lower()} BEFORE {event} ON treatments_plan
        WHEN EXISTS ({BAD_PLAN})
        BEGIN SELECT RAISE(ABORT, 'treatments: the screening belongs to another patient, blocks facial treatment, or rules out a point of the plan'); END"""
    for event in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS treatments_{table}_guard_{event}"
    for table in ("planitem", "plan")
    for event in ("insert", "update")
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("treatments", "0002_catalogue")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
