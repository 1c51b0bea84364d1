from importlib import import_module

import pytest
import time_machine
from django.apps import apps

from staff.roles import sync_roles_after_migrate

from tests.factories import intake_patient
from tests.scheduling.factories import Clinic
from tests.treatments.factories import book_treatment_series, saved_plan

@pytest.fixture
def traveller():
    """Time pinned to 08:00 on Monday 2 March 2026 (London); tests move it with ``.move_to``."""
    from tests.scheduling.factories import NOW

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clinic(db):
    return Clinic()


@pytest.fixture
def patient(traveller):
    return intake_patient(concerns={"fine-lines": 7, "puffiness": 5})


@pytest.fixture
def plan(patient, acupuncturist, traveller):
    return saved_plan(patient, by=acupuncturist)


@pytest.fixture
def series(patient, plan, acupuncturist, clinic, traveller):
    """Six weekly sessions on Mondays at 10:00 from 2 March 2026, with the acupuncturist."""
    return book_treatment_series(patient, user=acupuncturist, clinic=clinic)


@pytest.fixture
def reference_data(transactional_db):
    """Roles, concerns and the point catalogue, as migrate leaves them.

    A transactional test that ran earlier flushed the tables, and with live_server on SQLite
    serialized_rollback does not bring them back; the data migrations' own loaders (idempotent)
    and the roles sync do.
    """
    sync_roles_after_migrate(sender=None)
    for app, migration in (("patients", "0002_concern_catalogue"), ("treatments", "0002_catalogue")):
        import_module(f"{app}.migrations.{migration}").load(apps, None)
