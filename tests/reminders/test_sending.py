"""Sending claimed reminders (``scheduling.reminders.sending``) without a broker: the sender is
called directly, as the worker task does, with Django's test mail outbox or a stand-in server."""

import datetime as dt
import logging
import smtplib

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection

from scheduling.maintenance import maintenance_set_interval
from scheduling.models import MaintenanceSchedule, Reminder
from scheduling.reminders.outbox import MAX_ATTEMPTS
from scheduling.reminders.sending import reminders_send
from tests.reminders.factories import book_visit, due_reminder
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")


def send(reminder: Reminder) -> str:
    (outcome,) = reminders_send(reminder_ids=[reminder.pk])
    return outcome


def test_the_sender_sends_once_however_often_it_is_called(clinic, lin, frozen):
    reminder = due_reminder(clinic=clinic, practitioner=lin, frozen=frozen)
    assert send(reminder) == "sent"
    assert send(reminder) == "not claimed"
    assert reminders_send(reminder_ids=[reminder.pk, reminder.pk]) == ["not claimed", "not claimed"]
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [reminder.message_id]
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts, reminder.sent_at) == ("sent", 1, at("2026-03-03", "10:00"))


def test_a_reminder_not_yet_due_is_not_sent(clinic, lin, frozen):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    assert send(Reminder.objects.get(visit=visit)) == "not claimed"
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("change", "state", "note"),
    [
        ("cancel", "expired", "The visit is cancelled."),
        ("no email", "cancelled", "The patient has no e-mail address."),
        ("too late", "expired", "Too late to be useful."),
    ],
)
def test_a_pointless_reminder_is_marked_not_sent(clinic, lin, frozen, change, state, note):
    reminder = due_reminder(clinic=clinic, practitioner=lin, frozen=frozen)
    if change == "cancel":
        # A cancellation that raced the sweep: the row was queued before the visit was cancelled.
        reminder.visit.status = "cancelled"
        reminder.visit.cancel_reason = "Ill"
        reminder.visit.save()
    elif change == "no email":
        type(reminder.patient).objects.filter(pk=reminder.patient_id).update(email="", phone="+447700900001")
    else:
        frozen.move_to(at("2026-03-05", "10:00"))
    assert send(reminder) == state
    reminder.refresh_from_db()
    assert (reminder.state, reminder.note, reminder.sent_at) == (state, note, None)
    assert mail.outbox == []


class CountingBackend(LocmemBackend):
    """The test outbox, counting the connections opened (as an SMTP backend would open them)."""

    opened = 0

    def open(self):
        if not getattr(self, "is_open", False):
            CountingBackend.opened += 1
            self.is_open = True
            return True
        return False

    def close(self):
        self.is_open = False


def test_a_batch_goes_over_one_connection_and_settings_are_read_once(clinic, lin, frozen, settings,
                                                                     django_assert_num_queries):
    for hour in range(9, 15):
        book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", f"{hour:02d}:00"))
    frozen.move_to(at("2026-03-04", "20:00"))
    ids = list(Reminder.objects.values_list("pk", flat=True))
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    # Settings and the rows (with visits and patients) once, and on PostgreSQL setting and
    # resetting commits that do not wait for the disk; per reminder: claim, mark sent.
    once = 4 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(once + 2 * len(ids)):
        assert reminders_send(reminder_ids=ids) == ["sent"] * 6
    assert CountingBackend.opened == 1
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        Reminder.objects.values_list("message_id", flat=True)
    )


class FlakyBackend(CountingBackend):
    """Drops the connection on the first message it is given, then works."""

    failed = False

    def send_messages(self, messages):
        if not type(self).failed:
            type(self).failed = True
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_dropped_connection_retries_that_reminder_later_and_the_batch_goes_on(clinic, lin, frozen, settings):
    for hour in (9, 10, 11):
        book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", f"{hour:02d}:00"))
    frozen.move_to(at("2026-03-04", "20:00"))
    ids = list(Reminder.objects.order_by("id").values_list("pk", flat=True))
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    CountingBackend.opened, FlakyBackend.failed = 0, False
    assert reminders_send(reminder_ids=ids) == ["retry", "sent", "sent"]
    assert CountingBackend.opened == 2  # a new connection after the dropped one
    first = Reminder.objects.get(pk=ids[0])
    assert (first.state, first.next_attempt_at) == ("pending", at("2026-03-04", "20:01"))
    assert "SMTPServerDisconnected" in first.last_error


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPConnectError(421, "Service not available")


def test_mail_server_errors_back_off_then_fail(clinic, lin, frozen, settings):
    reminder = due_reminder(clinic=clinic, practitioner=lin, frozen=frozen)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert send(reminder) == ("failed" if attempt == MAX_ATTEMPTS else "retry")
        reminder.refresh_from_db()
        waits.append(reminder.next_attempt_at)
        frozen.move_to(reminder.next_attempt_at)
    assert (reminder.state, reminder.attempts) == ("failed", 5)
    assert "SMTPConnectError" in reminder.last_error
    start = at("2026-03-03", "10:00")
    assert [w - start for w in waits[:4]] == [dt.timedelta(minutes=m) for m in (1, 3, 7, 15)]
    assert mail.outbox == []


class HangingBackend(RefusingBackend):
    def send_messages(self, messages):
        raise SoftTimeLimitExceeded()


def test_the_tasks_time_limit_ends_the_batch_and_leaves_the_rows_to_the_sweep(clinic, lin, frozen, settings):
    for hour in (9, 10):
        book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", f"{hour:02d}:00"))
    frozen.move_to(at("2026-03-04", "20:00"))
    first, second = Reminder.objects.order_by("id")
    settings.EMAIL_BACKEND = f"{__name__}.HangingBackend"
    with pytest.raises(SoftTimeLimitExceeded):
        reminders_send(reminder_ids=[first.pk, second.pk])
    # Not failed: "sending" is tried again once its worker is presumed dead; the other still waits.
    assert list(Reminder.objects.order_by("id").values_list("state", flat=True)) == ["sending", "pending"]


class AddressRefusingBackend(RefusingBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"No such user")})


def test_a_refused_address_fails_at_once(clinic, lin, frozen, settings):
    reminder = due_reminder(clinic=clinic, practitioner=lin, frozen=frozen)
    settings.EMAIL_BACKEND = f"{__name__}.AddressRefusingBackend"
    assert send(reminder) == "failed"
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == ("failed", 1)


def test_a_bug_fails_that_reminder_without_retrying_and_the_batch_goes_on(clinic, lin, patient, frozen, monkeypatch,
                                                                          caplog):
    visit_reminder = due_reminder(clinic=clinic, practitioner=lin, frozen=frozen)
    MaintenanceSchedule.objects.create(patient=patient, since=dt.date(2026, 3, 1), due_on=dt.date(2026, 3, 5))
    maintenance_set_interval(patient=patient, weeks=1, by=None)  # due on 8 March: its first reminder is due now
    maintenance = Reminder.objects.get(kind="maintenance_due", state="pending", due_at__lte=at("2026-03-03", "10:00"))
    monkeypatch.setattr("scheduling.reminders.mail.visits_ics", lambda *args, **kwargs: 1 / 0)
    with caplog.at_level(logging.ERROR, logger="scheduling.reminders.sending"):
        assert reminders_send(reminder_ids=[visit_reminder.pk, maintenance.pk]) == ["failed", "sent"]
    visit_reminder.refresh_from_db()
    assert (visit_reminder.state, visit_reminder.attempts) == ("failed", 1)
    assert "ZeroDivisionError" in visit_reminder.last_error
    assert "ZeroDivisionError" in caplog.text  # the traceback is logged for whoever fixes it
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [Reminder.objects.get(pk=maintenance.pk).message_id]
