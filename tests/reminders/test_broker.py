"""Fault cases on the real broker: Redis from REDIS_URL and a real Celery worker in this process
(``celery.contrib.testing.worker``), with time travel. Every case counts the e-mails that reached
the mail folder by Message-ID. The cases that kill or restart worker processes are in
test_worker_processes.py.
"""

import datetime as dt
import shutil
import socket
import subprocess
import threading
import time

import pytest
import redis
from django.db import connection
from django.utils import timezone

from patients.models import Patient
from scheduling import tasks
from scheduling.booking import visit_book, visit_move
from scheduling.clock import to_local
from scheduling.models import Reminder
from scheduling.reminders.upkeep import reminders_stop
from tests.conftest import skip_or_fail
from tests.factories import PatientFactory
from tests.reminders.conftest import broker_at, emails, settle, worker_in_thread
from tests.reminders.factories import book_visit
from tests.scheduling.factories import appointment_type, at

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def sweep(frozen, when: dt.datetime) -> list[int]:
    """Beat's job at ``when``: one dispatch, then wait for the worker to finish what it queued."""
    frozen.move_to(when)
    queued = tasks.reminders_sweep()
    settle()
    return queued


def test_a_booked_visit_gets_exactly_one_reminder_at_the_right_time(frozen, clinic, lin, worker, mail_dir, record_emails):
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
    record_emails(len(emails(mail_dir)), "1 visit, 4 sweeps around the due time")


def test_a_moved_visit_never_gets_its_old_reminder(frozen, clinic, lin, worker, mail_dir, record_emails):
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
    record_emails(len(emails(mail_dir)), "old reminder: 0, new time: 1")


def test_a_visit_moved_after_its_reminder_was_queued_never_gets_the_old_one(frozen, clinic, lin, broker, mail_dir,
                                                                            record_emails):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    old = Reminder.objects.get(visit=visit)
    # The sweep put the old reminder's task on the broker; no worker has taken it yet.
    assert sweep_without_worker(frozen, at("2026-03-03", "10:00")) == [old.pk]
    visit_move(visit=visit, starts_at=at("2026-03-06", "15:00"), by=None)

    with worker_in_thread():
        settle()
        assert emails(mail_dir) == []  # the task for the old reminder found it cancelled
        sweep(frozen, at("2026-03-04", "15:00"))
    new = Reminder.objects.get(visit=visit, state="sent")
    assert emails(mail_dir) == [new.message_id]
    old.refresh_from_db()
    assert old.state == "cancelled"
    record_emails(len(emails(mail_dir)), "old reminder queued on the broker when moved: 0, new time: 1")


def sweep_without_worker(frozen, when: dt.datetime) -> list[int]:
    frozen.move_to(when)
    return tasks.reminders_sweep()


def test_two_dispatchers_and_redelivered_tasks_send_each_reminder_once(frozen, clinic, lin, broker, mail_dir, record_emails):
    visits = [book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", f"{hour:02d}:00")) for hour in range(9, 19)]
    frozen.move_to(at("2026-03-04", "20:00"))  # all ten are due

    # Two beats sweep at the same moment, each with its own database connection.
    barrier, queued = threading.Barrier(2), []

    def beat():
        barrier.wait()
        queued.append(tasks.reminders_sweep())
        connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = sorted(Reminder.objects.values_list("pk", flat=True))
    assert sorted(queued[0] + queued[1]) == ids  # each row taken by one sweep only
    # And the broker delivers every task twice more (a lost ack, a restored message).
    for pk in ids * 2:
        tasks.send_reminders.delay([pk])

    with worker_in_thread(pool="threads", concurrency=4):
        settle()
    sent = emails(mail_dir)
    assert len(sent) == 10
    assert sorted(sent) == sorted(Reminder.objects.values_list("message_id", flat=True))
    assert set(Reminder.objects.values_list("state", "attempts")) == {("sent", 1)}
    assert [v.pk for v in visits] == list(Reminder.objects.order_by("visit_id").values_list("visit_id", flat=True))
    record_emails(len(sent), "10 reminders, 2 concurrent dispatchers, every task delivered 3 times")


def _redis_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.kill()
    raise AssertionError("redis-server did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_visit_booked_while_redis_is_down_gets_its_reminder_once_redis_is_back(
    frozen, clinic, lin, broker, mail_dir, record_emails
):
    if not shutil.which("redis-server"):
        skip_or_fail("needs redis-server to start a private Redis")
    port = _free_port()
    server = _redis_server(port)
    try:
        with broker_at(f"redis://127.0.0.1:{port}/0"):
            server.terminate()
            server.wait()
            # Within 48 hours, so its reminder is due at once.
            visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-03", "10:00"))
            reminder = Reminder.objects.get(visit=visit)
            assert tasks.reminders_sweep() == [reminder.pk]  # tried, but the broker is down
            reminder.refresh_from_db()
            assert reminder.state == "pending"

            server = _redis_server(port)
            frozen.shift(60)
            assert tasks.reminders_sweep() == [reminder.pk]
            with worker_in_thread():
                settle()
    finally:
        server.kill()
        server.wait()
    assert emails(mail_dir) == [reminder.message_id]
    record_emails(len(emails(mail_dir)), "1 visit booked while Redis was down")


def test_stepping_through_the_repeated_hour_sends_every_reminder_once(frozen, clinic, lin, worker, mail_dir, record_emails):
    # Clocks go back at 02:00 BST on Sunday 25 October 2026: 01:00–01:59 happens twice. Reminders
    # 33 hours before 15-minute visits on Monday morning fall due every quarter of that hour, both times.
    clinic.settings.visit_reminder_hours = 33
    clinic.settings.save()
    quarter = appointment_type(minutes=15, name="Short")
    frozen.move_to(at("2026-10-20", "09:00"))
    starts = [dt.datetime(2026, 10, 26, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=15 * i) for i in range(8)]
    for start in starts:
        visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=quarter, starts_at=start, by=None)

    minute = dt.datetime(2026, 10, 24, 23, 50, tzinfo=dt.UTC)
    while minute <= dt.datetime(2026, 10, 25, 2, 10, tzinfo=dt.UTC):
        sweep(frozen, minute)
        minute += dt.timedelta(minutes=1)

    sent = Reminder.objects.order_by("due_at")
    assert len(emails(mail_dir)) == 8
    assert sorted(emails(mail_dir)) == sorted(r.message_id for r in sent)
    assert [f"{to_local(r.sent_at):%H:%M %Z}" for r in sent] == [
        "01:00 BST",
        "01:15 BST",
        "01:30 BST",
        "01:45 BST",
        "01:00 GMT",
        "01:15 GMT",
        "01:30 GMT",
        "01:45 GMT",
    ]
    assert all(r.sent_at == r.due_at and r.attempts == 1 for r in sent)
    record_emails(len(emails(mail_dir)), "8 reminders due in the repeated hour, 141 one-minute sweeps")


def test_a_mail_server_failing_twice_then_working_gives_one_email(
    frozen, clinic, lin, worker, mail_dir, monkeypatch, record_emails
):
    monkeypatch.setenv("REMINDER_TEST_MAIL_FAILURES", "2")
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    due = at("2026-03-03", "10:00")

    sweep(frozen, due)
    reminder = Reminder.objects.get(visit=visit)
    assert (reminder.state, reminder.attempts, reminder.next_attempt_at) == ("pending", 1, due + dt.timedelta(minutes=1))
    assert "SMTPServerDisconnected" in reminder.last_error
    sweep(frozen, due + dt.timedelta(minutes=1))  # fails again; the next try waits 2 minutes
    sweep(frozen, due + dt.timedelta(minutes=2))  # too early: nothing happens
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts, reminder.next_attempt_at) == ("pending", 2, due + dt.timedelta(minutes=3))
    sweep(frozen, due + dt.timedelta(minutes=3))
    sweep(frozen, due + dt.timedelta(minutes=10))

    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == ("sent", 3)
    assert emails(mail_dir) == [reminder.message_id]
    record_emails(len(emails(mail_dir)), "sent on the 3rd attempt")


def test_patients_without_consent_or_who_opted_out_get_no_email(frozen, clinic, lin, worker, mail_dir, record_emails):
    never = PatientFactory(reminder_consent=False, reminder_consent_changed_at=None)
    withdrew, stopped = PatientFactory(), PatientFactory()
    for hour, patient in ((9, never), (11, withdrew), (13, stopped)):
        book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", f"{hour:02d}:00"), patient=patient)
    # Withdrawn at the front desk after booking (patients/ knows nothing of reminders: the
    # sender checks consent when it sends) ...
    Patient.objects.filter(pk=withdrew.pk).update(reminder_consent=False, reminder_consent_changed_at=timezone.now())
    # ... and through the "stop e-mails" link, which cancels the waiting reminders at once.
    assert reminders_stop(patient=stopped) == 1

    sweep(frozen, at("2026-03-04", "20:00"))
    assert emails(mail_dir) == []
    assert sorted(Reminder.objects.values_list("state", flat=True)) == ["cancelled"] * 3
    assert sorted(Reminder.objects.values_list("note", flat=True)) == [
        "The patient asked to stop reminder e-mails.",
        "The patient has not agreed to reminder e-mails.",
        "The patient has not agreed to reminder e-mails.",
    ]
    record_emails(len(emails(mail_dir)), "3 patients: never agreed, withdrew, used the stop link")


def test_the_beat_task_dispatches_through_the_broker(frozen, clinic, lin, worker, mail_dir, record_emails):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-03", "10:00"))
    tasks.dispatch_reminders.delay()
    time.sleep(0.2)
    settle()
    assert emails(mail_dir) == [Reminder.objects.get(visit=visit).message_id]
    record_emails(len(emails(mail_dir)), "beat task through the broker")
