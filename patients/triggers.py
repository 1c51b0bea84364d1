"""The patients app's clinical history held write-once by database triggers (``staff.write_once``):
screenings and consents are never changed or deleted, even in raw SQL; anonymisation may only
blank a screening's free text. A new answer is a new row.

Migrations call ``install``/``uninstall``; a migration that changes one of these tables must run
them again at its end (on SQLite a table rebuild drops its triggers: see ``staff.write_once``).
"""

from staff import write_once

HISTORY_TABLES = (
    write_once.HistoryTable("patients_screening", redactable=("allergies", "medications", "notes")),
    write_once.HistoryTable("patients_consent"),
)


def install(schema_editor) -> None:
    write_once.install(schema_editor, HISTORY_TABLES)


def uninstall(schema_editor) -> None:
    write_once.uninstall(schema_editor, HISTORY_TABLES)
