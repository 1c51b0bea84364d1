import pytest
import time_machine

from clinic.celery import app
from tests.factories import PatientFactory
from tests.scheduling.factories import NOW, Clinic, practitioner


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller

@pytest.fixture
def clinic(db):
    return Clinic()

@pytest.fixture
def lin(db):
    return practitioner(display_name="Lin Zhao")

@pytest.fixture
def sara(db):
    return practitioner(display_name="Sara Okafor")

@pytest.fixture
def patient(db):
    return PatientFactory()



@pytest.fixture
def eager():
    """Celery tasks run in this process when published (after-commit callbacks still decide when)."""
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield
    app.conf.task_always_eager = previous
