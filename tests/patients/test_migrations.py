"""Phones stored before E.164 (as typed, or with the "(0)" kept) are normalised by the data
migration; one that cannot be read is kept as it was."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_phones_become_e164_and_unreadable_ones_are_kept_as_they_were(db_owner):
    old = migrate([("patients", "0009_patient_data_rights")])
    Patient = old.get_model("patients", "Patient")
    typed = Patient.objects.create(
        first_name="Old", last_name="Typed", date_of_birth=dt.date(1980, 1, 1), phone="07700900777",
        emergency_contact_phone="+4402079460958", guardian_phone="",
    )
    unreadable = Patient.objects.create(
        first_name="Old", last_name="Odd", date_of_birth=dt.date(1980, 1, 1), phone="12-34", email="odd@example.com"
    )

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    Patient = new.get_model("patients", "Patient")
    typed = Patient.objects.get(pk=typed.pk)
    assert (typed.phone, typed.emergency_contact_phone, typed.guardian_phone) == ("+447700900777", "+442079460958", "")
    assert Patient.objects.get(pk=unreadable.pk).phone == "12-34"
