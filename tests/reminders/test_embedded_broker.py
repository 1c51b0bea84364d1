"""The embedded default (no REDIS_URL): a worker on the filesystem broker sends due reminders."""

import pytest
from celery import Celery

from clinic.celery import app
from scheduling import tasks
from scheduling.models import Reminder
from tests.reminders.conftest import emails, settle, worker_in_thread
from tests.reminders.factories import book_visit

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def filesystem_app(tmp_path):
    """A Celery app configured like settings.py does without REDIS_URL, on folders of its own."""
    folders = {name: tmp_path / "broker" / name for name in ("out", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    embedded = Celery("embedded", set_as_current=False)
    embedded.config_from_object("django.conf:settings", namespace="CELERY")
    embedded.conf.update(
        broker_url="filesystem://",
        broker_transport="clinic.broker:Transport",
        broker_transport_options={
            "data_folder_in": str(folders["out"]), "data_folder_out": str(folders["out"]),
            "processed_folder": str(folders["processed"]), "control_folder": str(folders["control"]),
            "store_processed": False,
        },
    )
    # The dispatcher publishes through the current app; the test worker also makes its app the
    # default for every thread. Both go back to the project's app afterwards.
    embedded.set_current()
    yield embedded
    app.set_current()
    app.set_default()


def test_a_worker_on_the_filesystem_broker_sends_due_reminders(frozen, clinic, lin, mail_dir, filesystem_app,
                                                              record_emails):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-03", "10:00"))  # due at once
    with worker_in_thread(filesystem_app):
        assert len(tasks.reminders_sweep()) == 1
        settle()
    assert emails(mail_dir) == [Reminder.objects.get(visit=visit).message_id]
    record_emails(len(emails(mail_dir)), "embedded default: filesystem broker")
