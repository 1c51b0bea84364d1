"""Who gave a screening's answers: staff, or the patient through an e-mail link.

On SQLite the column is added with ALTER TABLE ADD COLUMN rather than Django's table rebuild:
SQLite refuses to rebuild (rename) a table that the treatment safety triggers name (see
treatments/migrations/0006). PostgreSQL takes Django's usual AddField.
The write-once triggers (0011) name each column on SQLite, so they are installed again around the
change and the new column is guarded too.
"""

from django.db import migrations, models

from patients import triggers

SOURCES = [
    ("staff", "Recorded by staff"),
    ("patient_intake", "Reported by the patient (online intake)"),
    ("patient_check", "Reported by the patient (health check)"),
]


def _field() -> models.CharField:
    field = models.CharField(choices=SOURCES, default="staff", max_length=20)
    field.set_attributes_from_name("source")
    return field


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ALTER TABLE patients_screening ADD COLUMN source varchar(20) NOT NULL DEFAULT 'staff'")
    else:
        schema_editor.add_field(apps.get_model("patients", "Screening"), _field())


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ALTER TABLE patients_screening DROP COLUMN source")
    else:
        schema_editor.remove_field(apps.get_model("patients", "Screening"), _field())


def triggers_install(apps, schema_editor):
    triggers.install(schema_editor)


def triggers_uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("patients", "0011_screening_and_consent_write_once"),
    ]

    operations = [
        migrations.RunPython(triggers_uninstall, triggers_install),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField(model_name="screening", name="source", field=_field())],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.RunPython(triggers_install, triggers_uninstall),
    ]
