"""Fault cases with real ``celery -A clinic worker`` processes (prefork pool) on Redis and the
test database: a worker stopped while reminders fall due, a worker SIGKILLed mid-batch, and two
workers with overlapping sweeps. The workers run on the real clock, so these tests make
reminders due at the real present (time travel here only dates the bookings)."""

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.utils import timezone

from scheduling import tasks
from scheduling.models import Reminder
from scheduling.reminders import outbox
from scheduling.reminders.outbox import QUEUED_STALE_AFTER, SENDING_STALE_AFTER
from tests.reminders.conftest import emails, settle
from tests.reminders.factories import due_visit_reminders
from tests.scheduling.factories import Clinic, practitioner

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def around_the_clock(db):
    """A clinic and practitioner open all day, so visits can sit at any real time of day."""
    return Clinic(opens=dt.time(0), closes=dt.time(23, 59)), practitioner(starts=dt.time(0), ends=dt.time(23, 59))


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_reminders_that_fall_due_while_the_worker_is_stopped_go_out_once_when_it_is_back(
    around_the_clock, worker_processes, mail_dir, record_emails
):
    clinic, who = around_the_clock
    worker = worker_processes("stopped").start()
    worker.stop()

    now = timezone.now()
    # Booked three days ago; while the worker was down, all these reminders fell due, and two
    # of the visits have taken place meanwhile.
    with time_machine.travel(now - dt.timedelta(days=3), tick=False):
        ahead = due_visit_reminders(clinic=clinic, practitioner=who, count=4, start=now + dt.timedelta(hours=2))
        past = due_visit_reminders(clinic=clinic, practitioner=who, count=2, start=now - dt.timedelta(hours=4))
    # Beat kept running: a sweep queued every reminder, and more sweeps wait on the broker.
    assert len(tasks.reminders_sweep()) == 6
    tasks.dispatch_reminders.delay()
    tasks.dispatch_reminders.delay()

    worker.start()
    settle()
    worker.stop()
    assert sorted(emails(mail_dir)) == sorted(r.message_id for r in ahead)
    assert set(Reminder.objects.filter(pk__in=[r.pk for r in ahead]).values_list("state", flat=True)) == {"sent"}
    assert set(Reminder.objects.filter(pk__in=[r.pk for r in past]).values_list("state", flat=True)) == {"expired"}
    record_emails(len(emails(mail_dir)), "4 visits ahead sent, 2 past visits expired")


def test_a_worker_killed_mid_batch_loses_nothing(around_the_clock, worker_processes, mail_dir, record_emails):
    clinic, who = around_the_clock
    due = due_visit_reminders(clinic=clinic, practitioner=who, count=20, start=timezone.now() + dt.timedelta(hours=1))
    tasks.reminders_sweep()
    # A slow mail server (0.3 s a message), so the kill lands while messages are on their way.
    slow = worker_processes("killed", concurrency=2, env={"REMINDER_TEST_MAIL_DELAY": "0.3"}).start()
    wait_for(lambda: len(emails(mail_dir)) >= 6)
    time.sleep(0.15)
    slow.kill()

    delivered = set(emails(mail_dir))
    in_flight = Reminder.objects.filter(state="sending")
    # The one window no design closes: the mail server took the message, the worker died before
    # marking the row. Those (if the kill landed there) are the only ones that may go twice.
    window = {r.message_id for r in in_flight if r.message_id in delivered}
    assert 6 <= len(delivered) < 20
    assert in_flight.exists() or Reminder.objects.filter(state="queued").exists()

    # Ten minutes pass (on the rows' clocks): the sweep finds the rows the dead worker held.
    Reminder.objects.filter(state="sending").update(claimed_at=F("claimed_at") - SENDING_STALE_AFTER - dt.timedelta(minutes=1))
    Reminder.objects.filter(state="queued").update(queued_at=F("queued_at") - QUEUED_STALE_AFTER - dt.timedelta(minutes=1))
    worker_processes("recovery").start()
    tasks.reminders_sweep()
    settle()

    sent = emails(mail_dir)
    assert sorted(set(sent)) == sorted(r.message_id for r in due)
    assert len(sent) == 20 + len(window)
    assert set(Reminder.objects.values_list("state", flat=True)) == {"sent"}
    record_emails(len(sent), f"20 reminders; {len(delivered)} sent before the kill, {len(window)} in the duplicate window")


def test_500_due_reminders_with_two_workers_and_overlapping_sweeps_give_500_emails(
    around_the_clock, worker_processes, mail_dir, record_emails
):
    clinic, who = around_the_clock
    # Visits one an hour for 500 hours: a lead time long enough that every reminder is due now.
    clinic.settings.visit_reminder_hours = 600
    clinic.settings.save()
    due = due_visit_reminders(clinic=clinic, practitioner=who, count=500, start=timezone.now() + dt.timedelta(hours=1))
    worker_processes("one", concurrency=2).start()
    worker_processes("two", concurrency=2).start()

    # Three beats sweeping in small batches at the same time, and sweeps run by the workers too.
    def beat():
        for _ in range(6):
            outbox.reminders_dispatch(publish=tasks.publish_send, limit=40)
            tasks.dispatch_reminders.delay()
        connection.close()

    beats = [threading.Thread(target=beat) for _ in range(3)]
    for thread in beats:
        thread.start()
    for thread in beats:
        thread.join()
    settle(timeout=120)

    sent = emails(mail_dir)
    assert len(sent) == 500
    assert sorted(sent) == sorted(r.message_id for r in due)
    assert set(Reminder.objects.values_list("state", "attempts")) == {("sent", 1)}
    record_emails(len(sent), "500 reminders, 2 worker processes, 3 beats + worker sweeps")
