import pytest
import time_machine

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

