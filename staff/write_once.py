"""Write-once history tables, held by database triggers (PostgreSQL and SQLite).

Each app lists its clinical history tables (``patients.triggers``, ``treatments.triggers``) as
``HistoryTable`` rows; this module generates the triggers that refuse every DELETE and every
UPDATE of them, even in raw SQL. One UPDATE passes: redaction by anonymisation
(``patients.rights``), where each free-text column listed as ``redactable`` keeps its value or
becomes '' or ``REMOVED``, and every other column keeps its value. So no statement changes a
clinical fact, deletes a row or puts words in a record: the most it can do is blank a note.
One DELETE may pass where a table says so (``deletable_when``, on PostgreSQL only: a session
photo once its patient is anonymised). The SQLite triggers name no other table, so rebuilding
another table on SQLite never trips on them.

PostgreSQL compares whole rows (``to_jsonb(NEW) - redactable``), so a column added later is
covered without a new trigger. SQLite has no row values: its trigger names every column as the
table has them when the trigger is installed, so a migration that changes a history table must
install the triggers again at its end — and on SQLite, Django rebuilds a table for most schema
changes (copy, drop, rename), which silently drops the table's triggers anyway. The migrations
of ``treatments`` do it with ``treatments.triggers.uninstall``/``install`` around such changes
(0013); ``tests/treatments/test_history_triggers.py`` fails when a history table lacks its
triggers or a column is not held. Old migrations run today's lists: ``install`` skips a table the
database does not have yet (on a fresh database, treatments 0010 runs before 0016 creates the
addenda); the migration after the table's creation installs its triggers.

A refused write raises IntegrityError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a free-text field holds after anonymisation when it held something (a blank would break
# "say what it was" constraints, and staff see that a note existed).
REMOVED = "[removed]"


@dataclass(frozen=True)
class HistoryTable:
    table: str
    # Free-text columns anonymisation may blank.
    redactable: tuple[str, ...] = ()
    # SQL about OLD: on PostgreSQL a DELETE passes where it holds. SQLite then gets no DELETE
    # trigger for the table at all: the condition names another table (the photos' names
    # patients_patient), and SQLite refuses to rebuild a table that some trigger names (renaming
    # the rebuilt copy fails), so every migration changing that other table would break.
    deletable_when: str = ""
    # What the refusal says after "<table> is clinical history: ".
    refusal: str = "rows are never changed or deleted"

    def __post_init__(self) -> None:
        for name in (self.table, *self.redactable):
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ValueError(f"unexpected table or column name {name!r}")
        if not re.fullmatch(r"[A-Za-z ,.;-]+", self.refusal):  # it is put inside SQL quotes
            raise ValueError(f"unexpected character in refusal {self.refusal!r}")

    @property
    def message(self) -> str:
        return f"{self.table} is clinical history: {self.refusal}"


def _redaction_only(table: HistoryTable) -> str:
    """SQL: each redactable column keeps its value or is blanked."""
    return " AND ".join(
        f"(NEW.{column} = OLD.{column} OR NEW.{column} IN ('', '{REMOVED}'))" for column in table.redactable
    )


def _postgres_install(table: HistoryTable) -> list[str]:
    name = f"{table.table}_write_once"
    allowed = []
    if table.redactable:
        kept = "ARRAY[" + ", ".join(f"'{column}'" for column in table.redactable) + "]::text[]"
        allowed.append(
            f"IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - {kept}) = (to_jsonb(OLD) - {kept}) "
            f"AND {_redaction_only(table)} THEN RETURN NEW; END IF;"
        )
    if table.deletable_when:
        allowed.append(f"IF TG_OP = 'DELETE' AND ({table.deletable_when}) THEN RETURN OLD; END IF;")
    passes = "\n          ".join(allowed)
    return [
        f"""CREATE FUNCTION {name}() RETURNS trigger AS $$
        BEGIN
          {passes}
          RAISE EXCEPTION '{table.message}: % refused', TG_OP USING ERRCODE = 'check_violation';
        END $$ LANGUAGE plpgsql""",
        f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table.table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def _sqlite_install(table: HistoryTable, columns: list[str]) -> list[str]:
    unchanged = [f"NEW.{column} IS OLD.{column}" for column in columns if column not in table.redactable]
    allowed = " AND ".join(unchanged + ([_redaction_only(table)] if table.redactable else ["0"]))
    update = f"""CREATE TRIGGER {table.table}_write_once_update BEFORE UPDATE ON {table.table}
            WHEN NOT ({allowed})
            BEGIN SELECT RAISE(ABORT, '{table.message}: UPDATE refused'); END"""
    if table.deletable_when:  # no DELETE guard on SQLite (see HistoryTable.deletable_when)
        return [update]
    return [
        update,
        f"""CREATE TRIGGER {table.table}_write_once_delete BEFORE DELETE ON {table.table}
            BEGIN SELECT RAISE(ABORT, '{table.message}: DELETE refused'); END""",
    ]


def _columns(schema_editor, table: str) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        return [column.name for column in connection.introspection.get_table_description(cursor, table)]


def _existing(schema_editor) -> set[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def install(schema_editor, tables: tuple[HistoryTable, ...]) -> None:
    """Creates the write-once triggers of ``tables`` on the migration's database, skipping a table
    it does not have yet (see the module's docstring)."""
    vendor = schema_editor.connection.vendor
    existing = _existing(schema_editor)
    for table in tables:
        if table.table not in existing:
            continue
        if vendor == "postgresql":
            statements = _postgres_install(table)
        elif vendor == "sqlite":
            statements = _sqlite_install(table, _columns(schema_editor, table.table))
        else:
            statements = []
        for sql in statements:
            schema_editor.execute(sql, None)


def uninstall(schema_editor, tables: tuple[HistoryTable, ...]) -> None:
    for table in tables:
        drop(schema_editor, table=table.table, name=f"{table.table}_write_once")


def drop(schema_editor, *, table: str, name: str) -> None:
    """Drops the guard ``name`` of ``table`` if it exists: on PostgreSQL the trigger and its
    function, on SQLite the UPDATE and DELETE triggers (``<name>_update``, ``<name>_delete``)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
    elif vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name}_update", f"DROP TRIGGER IF EXISTS {name}_delete"]
    else:
        statements = []
    for sql in statements:
        schema_editor.execute(sql, None)
