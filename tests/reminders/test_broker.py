"""Fault cases on the real broker: Redis from REDIS_URL and a real Celery worker in this process
(``celery.contrib.testing.worker``), with time travel. Every case counts the e-mails that reached
the mail folder by Message-ID. The cases that kill or restart worker processes are in
test_worker_processes.py.
"""

import datetime as dt

import pytest

from scheduling import reminders
from scheduling.booking import visit_move
from scheduling.models import Reminder
from tests.reminders.conftest import emails, settle
from tests.reminders.factories import book_visit
from tests.scheduling.factories import at

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def sweep(frozen, when: dt.datetime) -> list[int]:
    """Beat's job at ``when``: one dispatch, then wait for the worker to finish what it queued."""
    frozen.move_to(when)
    queued = reminders.reminders_dispatch()
    settle()
    return queued


def test_a_booked_visit_gets_exactly_one_reminder_at_the_right_time(frozen, clinic, lin, worker, mail_dir):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    reminder = Reminder.objects.get(visit=visit)
    assert reminder.due_at == at("2026-03-03", "10:00")  # 48 hours before

    sweep(frozen, at("2026-03-03", "09:59"))
    assert emails(mail_dir) == []
    sweep(frozen, at("2026-03-03", "10:00"))
    assert emails(mail_dir) == [reminder.message_id]
    for later in (at("2026-03-03", "10:01"), at("2026-03-04", "10:00")):
        sweep(frozen, later)
    assert emails(mail_dir) == [reminder.message_id]
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts, reminder.sent_at) == ("sent", 1, at("2026-03-03", "10:00"))


def test_a_moved_visit_never_gets_its_old_reminder(frozen, clinic, lin, worker, mail_dir):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    old = Reminder.objects.get(visit=visit)
    visit_move(visit=visit, starts_at=at("2026-03-06", "15:00"), by=None)

    sweep(frozen, at("2026-03-03", "10:00"))
    assert emails(mail_dir) == []
    sweep(frozen, at("2026-03-04", "15:00"))
    new = Reminder.objects.get(visit=visit, state="sent")
    assert emails(mail_dir) == [new.message_id]
    old.refresh_from_db()
    assert (old.state, old.sent_at) == ("cancelled", None)
