"""Append-only tables of the corrections (PostgreSQL and SQLite triggers): session addenda and photos.

A correction to clinical history is a new row, so these rows are never changed or deleted, even
by raw SQL:

* an addendum (``SessionAddendum``): no UPDATE except anonymisation blanking its text (to ''
  or ``patients.rights.REMOVED``, every other column unchanged), no DELETE;
* a photo (``SessionPhoto``): no UPDATE (a re-upload adds a version instead); on PostgreSQL no
  DELETE either unless the photo's patient is anonymised (``patients.rights.patient_anonymise``
  marks the patient, then removes the photos in the same transaction). SQLite gets no DELETE
  guard for photos: a trigger naming ``patients_patient`` would make every SQLite rebuild of that
  table (any migration adding a NOT NULL column to patients) fail.

The SQL is generated from ``KEPT`` for both databases; migrations call ``install`` and
``uninstall``. If a table here gains a column, or the redaction text changes, add a migration
that runs ``uninstall`` then ``install`` (a test compares ``KEPT`` with the models). On SQLite a
migration that rebuilds one of these tables (most ``AlterField``/constraint changes) drops its
triggers with the old table: run ``install`` again after it. A refused write raises
IntegrityError.
"""

from __future__ import annotations

from dataclasses import dataclass

from patients.rights import REMOVED

# What anonymisation may leave in a free-text column.
REDACTED = ("", REMOVED)


@dataclass(frozen=True)
class Kept:
    """An append-only table: ``fixed`` columns never change; ``redactable`` ones only to a
    ``REDACTED`` value (no fixed columns means no UPDATE at all); DELETE only where
    ``deletable_when`` (SQL about ``OLD``) holds."""

    table: str
    message: str
    fixed: tuple[str, ...] = ()
    redactable: tuple[str, ...] = ()
    deletable_when: str = "FALSE"
    # Whether SQLite gets the DELETE guard (see the module's docstring for why photos do not).
    sqlite_delete_guard: bool = True

    @property
    def name(self) -> str:
        return f"{self.table}_kept"


KEPT = (
    Kept(
        table="treatments_sessionaddendum",
        message="treatments: an addendum is never changed or deleted (anonymisation may only blank its text)",
        fixed=("id", "record_id", "author_id", "created_at"),
        redactable=("text",),
    ),
    Kept(
        table="treatments_sessionphoto",
        message="treatments: a photo is never changed, and deleted only when its patient is anonymised",
        deletable_when=(
            "EXISTS (SELECT 1 FROM patients_patient p WHERE p.id = OLD.patient_id AND p.anonymised_at IS NOT NULL)"
        ),
        sqlite_delete_guard=False,
    ),
)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def update_allowed(kept: Kept, *, same: str) -> str:
    """SQL: this UPDATE only redacts (``same`` is the dialect's null-safe equality)."""
    if not kept.fixed and not kept.redactable:
        return "FALSE"
    redacted = ", ".join(_quoted(value) for value in REDACTED)
    conditions = [f"NEW.{column} {same} OLD.{column}" for column in kept.fixed] + [
        f"(NEW.{column} {same} OLD.{column} OR NEW.{column} IN ({redacted}))" for column in kept.redactable
    ]
    return " AND ".join(conditions)


def _postgres_install() -> list[str]:
    statements = []
    for kept in KEPT:
        message = kept.message.replace("'", "''")
        statements += [
            f"""CREATE FUNCTION {kept.name}() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                IF NOT ({kept.deletable_when}) THEN
                  RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation';
                END IF;
                RETURN OLD;
              END IF;
              IF NOT ({update_allowed(kept, same="IS NOT DISTINCT FROM")}) THEN
                RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql""",
            f"CREATE TRIGGER {kept.name} BEFORE UPDATE OR DELETE ON {kept.table} FOR EACH ROW EXECUTE FUNCTION {kept.name}()",
        ]
    return statements


def _postgres_uninstall() -> list[str]:
    return [
        statement
        for kept in KEPT
        for statement in (f"DROP TRIGGER IF EXISTS {kept.name} ON {kept.table}", f"DROP FUNCTION IF EXISTS {kept.name}()")
    ]


def _sqlite_install() -> list[str]:
    statements = []
    for kept in KEPT:
        message = kept.message.replace("'", "''")
        statements.append(
            f"""CREATE TRIGGER {kept.name}_update BEFORE UPDATE ON {kept.table}
                WHEN NOT ({update_allowed(kept, same="IS")})
                BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        )
        if kept.sqlite_delete_guard:
            statements.append(
                f"""CREATE TRIGGER {kept.name}_delete BEFORE DELETE ON {kept.table}
                    WHEN NOT ({kept.deletable_when})
                    BEGIN SELECT RAISE(ABORT, '{message}'); END"""
            )
    return statements


def _sqlite_uninstall() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {kept.name}_{event}" for kept in KEPT for event in ("update", "delete")]


def install(schema_editor) -> None:
    """Creates the triggers on the migration's database (PostgreSQL or SQLite)."""
    for sql in {"postgresql": _postgres_install, "sqlite": _sqlite_install}.get(schema_editor.connection.vendor, list)():
        schema_editor.execute(sql, None)


def uninstall(schema_editor) -> None:
    for sql in {"postgresql": _postgres_uninstall, "sqlite": _sqlite_uninstall}.get(schema_editor.connection.vendor, list)():
        schema_editor.execute(sql, None)
