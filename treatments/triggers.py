"""The database triggers that hold the absolute safety rules below the ORM (PostgreSQL and SQLite).

``PlanItem.save()`` / ``SessionItem.save()`` check every rule with clear messages; these triggers
hold the ones that must never be broken, even by raw SQL or a catalogue edit:

* no point forbidden in pregnancy in a plan or session record whose screening says pregnant or
  trying — forbidden by its code or region (``treatments.hard_rules``), whatever the catalogue's
  editable flags say (the flags can only add points: an admin's extra caution also holds);
* no electrical adjunct (marked so, or named so: microcurrent, electro-, galvanic) when the
  screening reports a pacemaker or implanted device;
* no plan or record against another patient's screening, one that blocks facial treatment, or
  one older than the patient's latest screening (checked at insert, when the row is written);
* no catalogue edit that takes a point out of the hard pregnancy set (renaming LI4, moving an
  abdominal point elsewhere) or an adjunct out of the electrical ones.

Plans, session records and their items, reactions and concern ratings are clinical history, and
so are the corrections, which are new rows: addenda and photo versions. ``HISTORY_TABLES`` makes
them write-once (``staff.write_once``: no UPDATE or DELETE, even in raw SQL, except anonymisation
blanking free text and, on PostgreSQL, removing the photos of an anonymised patient). So the
guards above only need to watch inserts.

The SQL is generated from ``treatments.hard_rules`` so the code and the database hold the same
set. Migrations call ``install``/``uninstall`` (guards and write-once triggers together); if the
hard rules change, add a migration that runs ``uninstall`` and ``install`` again, and run them
around any change to these tables (on SQLite a table rebuild drops its triggers, see 0013). A
refused write raises IntegrityError.
"""

from __future__ import annotations

import re

from staff import write_once
from treatments import hard_rules

ITEM_MESSAGE = (
    "treatments: this point is never used in pregnancy, and no electrical adjunct is used with an implanted device"
)
PARENT_MESSAGE = (
    "treatments: the screening belongs to another patient, is not their latest, blocks facial "
    "treatment, or rules out a point or adjunct of the {what}"
)
POINT_MESSAGE = "treatments: a point forbidden in pregnancy by its code or region stays forbidden"
ADJUNCT_MESSAGE = "treatments: an electrical adjunct stays electrical"
# Catalogue tables whose guards only watch updates (rows there are not clinical records).
CATALOGUE_TABLES = ("treatments_point", "treatments_adjunct")

HISTORY_TABLES = (
    write_once.HistoryTable("treatments_plan", redactable=("notes",)),
    write_once.HistoryTable("treatments_planitem"),
    write_once.HistoryTable("treatments_sessionrecord", redactable=("notes",)),
    write_once.HistoryTable("treatments_sessionitem"),
    write_once.HistoryTable("treatments_reaction", redactable=("note",)),
    write_once.HistoryTable("treatments_concernrating"),
    # Corrections (0018/0019): an addendum under a record, a photo's next version.
    write_once.HistoryTable("treatments_sessionaddendum", redactable=("text",)),
    write_once.HistoryTable(
        "treatments_sessionphoto",
        # Photos show the face: patients.rights.patient_anonymise marks the patient anonymised,
        # then deletes their photos in the same transaction.
        deletable_when=(
            "EXISTS (SELECT 1 FROM patients_patient p WHERE p.id = OLD.patient_id AND p.anonymised_at IS NOT NULL)"
        ),
        refusal="rows are never changed, and deleted only when their patient is anonymised",
    ),
)

# (item table, parent table, the item's column naming its parent, what the parent is called)
GUARDED = (
    ("treatments_planitem", "treatments_plan", "plan_id", "plan"),
    ("treatments_sessionitem", "treatments_sessionrecord", "record_id", "session"),
)


def _checked(value: str) -> str:
    # The constants are codes and plain words; anything else must not reach SQL text.
    if not re.fullmatch(r"[A-Za-z0-9 -]+", value):
        raise ValueError(f"unexpected character in hard rule value {value!r}")
    return value


def hard_forbidden(point: str) -> str:
    """SQL: the point row ``point`` is in the hard pregnancy set (by code or region only)."""
    codes = ", ".join(f"'{_checked(code)}'" for code in sorted(hard_rules.PREGNANCY_FORBIDDEN_CODES))
    regions = " OR ".join(
        f"LOWER({point}.region) LIKE '%{_checked(word)}%'" for word in hard_rules.PREGNANCY_FORBIDDEN_REGION_WORDS
    )
    return f"(UPPER(TRIM({point}.code)) IN ({codes}) OR {regions})"


def forbidden_in_pregnancy(point: str) -> str:
    """SQL: the hard set, plus any caution the clinic added in the catalogue."""
    return f"({hard_forbidden(point)} OR {point}.avoid_in_pregnancy OR {point}.lower_abdominal)"


def electrical(adjunct: str) -> str:
    """SQL: the adjunct row ``adjunct`` is electrical, by its mark or by its name."""
    words = " OR ".join(
        f"LOWER({adjunct}.name) || ' ' LIKE '%{_checked(word)}%'" for word in hard_rules.ELECTRICAL_NAME_WORDS
    )
    return f"({adjunct}.electrical OR {words})"


def _item_refused(item_table: str, parent_table: str, fk: str) -> str:
    return f"""
    SELECT 1 FROM {parent_table} p JOIN patients_screening s ON s.id = p.screening_id
    WHERE p.id = NEW.{fk} AND (
      (s.pregnant_or_trying AND EXISTS (
         SELECT 1 FROM treatments_point pt WHERE pt.id = NEW.point_id AND {forbidden_in_pregnancy("pt")}))
      OR (s.implanted_device AND EXISTS (
         SELECT 1 FROM treatments_adjunct a WHERE a.id = NEW.adjunct_id AND {electrical("a")})))
    """


def _parent_refused(item_table: str, fk: str) -> str:
    # "Newer" orders as Screening.objects.latest_for does: answered_at, then id.
    return f"""
    SELECT 1 FROM patients_screening s
    WHERE s.id = NEW.screening_id AND (
      s.patient_id <> NEW.patient_id OR s.active_skin_infection OR s.facial_wound_or_rash
      OR EXISTS (
          SELECT 1 FROM patients_screening newer WHERE newer.patient_id = s.patient_id
          AND (newer.answered_at > s.answered_at OR (newer.answered_at = s.answered_at AND newer.id > s.id)))
      OR (s.pregnant_or_trying AND EXISTS (
          SELECT 1 FROM {item_table} i JOIN treatments_point pt ON pt.id = i.point_id
          WHERE i.{fk} = NEW.id AND {forbidden_in_pregnancy("pt")}))
      OR (s.implanted_device AND EXISTS (
          SELECT 1 FROM {item_table} i JOIN treatments_adjunct a ON a.id = i.adjunct_id
          WHERE i.{fk} = NEW.id AND {electrical("a")})))
    """


def _point_refused() -> str:
    return f"SELECT 1 WHERE {hard_forbidden('OLD')} AND NOT {hard_forbidden('NEW')}"


def _adjunct_refused() -> str:
    return f"SELECT 1 WHERE {electrical('OLD')} AND NOT {electrical('NEW')}"


def _guards() -> list[tuple[str, str, str, str]]:
    """(trigger name, table, condition SQL, message) for every guard."""
    guards = []
    for item_table, parent_table, fk, what in GUARDED:
        guards.append((f"{item_table}_guard", item_table, _item_refused(item_table, parent_table, fk), ITEM_MESSAGE))
        guards.append((f"{parent_table}_guard", parent_table, _parent_refused(item_table, fk), PARENT_MESSAGE.format(what=what)))
    guards.append(("treatments_point_hard_rules", "treatments_point", _point_refused(), POINT_MESSAGE))
    guards.append(("treatments_adjunct_electrical", "treatments_adjunct", _adjunct_refused(), ADJUNCT_MESSAGE))
    return guards


def _postgres_install() -> list[str]:
    statements = []
    for name, table, condition, message in _guards():
        events = " OR ".join(_events(table))
        statements += [
            f"""CREATE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
              IF EXISTS ({condition}) THEN
                RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""",
            f"CREATE TRIGGER {name} BEFORE {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
    return statements


def _events(table: str) -> tuple[str, ...]:
    # Catalogue rows are watched when edited; history rows when inserted (never updated after).
    return ("UPDATE",) if table in CATALOGUE_TABLES else ("INSERT",)


def _postgres_uninstall() -> list[str]:
    return [
        statement
        for name, table, _, _ in _guards()
        for statement in (f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()")
    ]


def _sqlite_install() -> list[str]:
    return [
        f"""CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table}
            WHEN EXISTS ({condition})
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        for name, table, condition, message in _guards()
        for event in _events(table)
    ]


def _sqlite_uninstall() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name}_{event}"
        for name, _, _, _ in _guards()
        for event in ("insert", "update")  # those of earlier versions too
    ]


def install(schema_editor) -> None:
    """Creates the triggers on the migration's database (PostgreSQL or SQLite)."""
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": _postgres_install, "sqlite": _sqlite_install}.get(vendor, list)():
        schema_editor.execute(sql, None)  # no parameters: the "%" of LIKE is literal
    write_once.install(schema_editor, HISTORY_TABLES)


def uninstall(schema_editor) -> None:
    """Drops the triggers (also those of migrations 0003 and 0005, which have the same names)."""
    vendor = schema_editor.connection.vendor
    write_once.uninstall(schema_editor, HISTORY_TABLES)
    for sql in {"postgresql": _postgres_uninstall, "sqlite": _sqlite_uninstall}.get(vendor, list)():
        schema_editor.execute(sql)
