"""Which reminder rows the booking functions leave behind, and the sender's rules, without a
broker: the sender is called directly (as the worker task does) with Django's test mail outbox."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from scheduling import reminders
from scheduling.booking import visit_book, visit_move, visit_move_following
from scheduling.maintenance import maintenance_set_interval
from scheduling.models import MaintenanceSchedule, Reminder, Series
from scheduling.reminder_mail import reminder_message
from scheduling.reminders import reminder_send, reminders_dispatch
from scheduling.visit_status import visit_cancel, visit_complete, visit_mark_no_show
from tests.factories import PatientFactory
from tests.reminders.factories import book_visit
from tests.scheduling.factories import at, book_series

pytestmark = pytest.mark.usefixtures("frozen")


def waiting(**filters):
    return list(Reminder.objects.filter(state__in=Reminder.WAITING, **filters).order_by("due_at"))


# --- Rows kept by the booking functions ------------------------------------------------------------
def test_a_series_gets_one_reminder_per_session_48_hours_before(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    rows = waiting(patient=patient)
    assert [r.visit_id for r in rows] == list(series.visits.order_by("starts_at").values_list("pk", flat=True))
    # The first session (Tue 3 Mar 10:00) is less than 48 hours away: its reminder is due now.
    assert rows[0].due_at == at("2026-03-02", "08:00")
    assert [r.due_at for r in rows[1:3]] == [at("2026-03-08", "10:00"), at("2026-03-15", "10:00")]
    # Across the change to summer time (29 March) it stays 48 elapsed hours.
    assert rows[4].visit.starts_at == at("2026-03-31", "10:00")
    assert rows[4].due_at == rows[4].visit.starts_at - dt.timedelta(hours=48)
    assert all(r.expires_at == r.visit.starts_at for r in rows)


def test_the_lead_time_is_the_clinics_setting(clinic, lin):
    clinic.settings.visit_reminder_hours = 24
    clinic.settings.save()
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    assert waiting(visit=visit)[0].due_at == at("2026-03-04", "10:00")


def test_moving_a_visit_replaces_its_reminder(clinic, lin):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    old = waiting(visit=visit)[0]
    visit_move(visit=visit, starts_at=at("2026-03-06", "15:00"), by=None)
    old.refresh_from_db()
    assert (old.state, old.note) == ("cancelled", "The visit was moved.")
    assert [r.due_at for r in waiting(visit=visit)] == [at("2026-03-04", "15:00")]


def test_moving_this_and_following_replaces_each_moved_visits_reminder(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    third = series.visits.get(sequence=3)
    visit_move_following(visit=third, starts_at=at("2026-03-18", "11:00"), by=None)
    rows = waiting(patient=patient)
    assert len(rows) == 6
    assert [r.due_at for r in rows[2:4]] == [at("2026-03-16", "11:00"), at("2026-03-23", "11:00")]
    assert Reminder.objects.filter(state="cancelled").count() == 4


def test_cancelling_a_session_cancels_its_reminder_and_follows_up_on_the_series(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    second = series.visits.get(sequence=2)
    visit_cancel(visit=second, reason="Ill", by=None)
    assert Reminder.objects.get(visit=second).state == "cancelled"
    follow_up = waiting(kind="series_unbooked")
    assert [(r.series_id, r.due_at) for r in follow_up] == [(series.pk, at("2026-03-03", "08:00"))]


def test_a_make_up_session_gets_a_reminder_and_no_follow_up(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    make_up = visit_cancel(visit=series.visits.get(sequence=2), reason="Ill", make_up=True, by=None)
    assert [r.visit_id for r in waiting(visit=make_up)] == [make_up.pk]
    assert waiting(kind="series_unbooked") == []


def test_a_missed_session_follows_up_on_the_series(clinic, lin, patient, frozen):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    frozen.move_to(at("2026-03-03", "10:30"))
    visit_mark_no_show(visit=series.visits.get(sequence=1), by=None)
    assert len(waiting(kind="series_unbooked")) == 1


def test_finishing_a_series_brings_maintenance_reminders_which_booking_maintenance_cancels(clinic, lin, patient, frozen):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    for visit in series.visits.order_by("starts_at"):
        frozen.move_to(visit.starts_at + dt.timedelta(minutes=30))
        visit_complete(visit=visit, by=None)
    series.refresh_from_db()
    assert series.status == Series.Status.COMPLETED
    due_on = MaintenanceSchedule.objects.get(patient=patient).due_on  # 5 weeks after the last one
    rows = waiting(kind="maintenance_due")
    # A week before, and on the due date, at 09:00 local.
    assert [r.due_at for r in rows] == [at(due_on - dt.timedelta(days=7), "09:00"), at(due_on, "09:00")]
    assert all(r.maintenance_due_on == due_on for r in rows)
    assert Reminder.objects.filter(state__in=Reminder.WAITING, kind="visit_upcoming").count() == 0

    maintenance = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.maintenance,
                             starts_at=at(due_on, "10:00"), by=None)
    assert waiting(kind="maintenance_due") == []
    # The visit is cancelled again: maintenance is still due, so its reminders come back.
    visit_cancel(visit=maintenance, reason="Away", by=None)
    assert len(waiting(kind="maintenance_due")) == 2


def test_a_new_maintenance_interval_moves_the_reminders(clinic, lin, patient):
    MaintenanceSchedule.objects.create(patient=patient, since=dt.date(2026, 3, 1), due_on=dt.date(2026, 4, 5))
    maintenance_set_interval(patient=patient, weeks=6, by=None)
    assert [r.maintenance_due_on for r in waiting(kind="maintenance_due")] == [dt.date(2026, 4, 12)] * 2


# --- Sending --------------------------------------------------------------------------------------
def due_reminder(clinic, lin, frozen, **patient) -> Reminder:
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"), patient=PatientFactory(**patient))
    frozen.move_to(at("2026-03-03", "10:00"))
    return Reminder.objects.get(visit=visit)


def test_the_email_has_text_html_the_clinic_the_local_time_and_a_calendar_file(clinic, lin, frozen):
    clinic.settings.name, clinic.settings.address, clinic.settings.phone = "Jade Clinic", "1 Elm Row\nLondon", "+4420"
    clinic.settings.save()
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-04-02", "10:00"))  # summer time
    reminder = Reminder.objects.get(visit=visit)
    message = reminder_message(reminder)
    html = message.alternatives[0].content
    assert message.subject == "Your visit at Jade Clinic: Thursday 2 April 2026 at 10:00 (BST)"
    assert message.extra_headers["Message-ID"] == reminder.message_id
    for body in (message.body, html):
        assert "Thursday 2 April 2026 at 10:00 (BST)" in body and "Lin Zhao" in body and "1 Elm Row" in body
        assert "without make-up" in body and "Stop reminder e-mails" in body
        assert body.count("http://127.0.0.1:8000/r/") == 4  # confirm, another time, cancel, stop
    name, ics, mimetype = message.attachments[0]
    assert (name, mimetype) == ("visit.ics", "text/calendar")
    assert "DTSTART:20260402T090000Z\r\n" in ics and "DTEND:20260402T100000Z\r\n" in ics
    assert f"UID:visit-{visit.pk}@acuclinic.example\r\n" in ics
    assert "LOCATION:1 Elm Row\\, London\r\n" in ics
    # Nothing about health: the screening and concerns never reach the e-mail.
    assert "screening" not in (message.body + html).lower()


def test_the_sender_sends_once_however_often_it_is_called(clinic, lin, frozen):
    reminder = due_reminder(clinic, lin, frozen)
    assert reminder_send(reminder_id=reminder.pk) == "sent"
    assert reminder_send(reminder_id=reminder.pk) == "not claimed"
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [reminder.message_id]


def test_a_reminder_not_yet_due_is_not_sent(clinic, lin, frozen):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    assert reminder_send(reminder_id=Reminder.objects.get(visit=visit).pk) == "not claimed"
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
    reminder = due_reminder(clinic, lin, frozen)
    if change == "cancel":
        # A cancellation that raced the sweep: the row was queued before the visit was cancelled.
        reminder.visit.status = "cancelled"
        reminder.visit.cancel_reason = "Ill"
        reminder.visit.save()
    elif change == "no email":
        type(reminder.patient).objects.filter(pk=reminder.patient_id).update(email="", phone="+447700900001")
    else:
        frozen.move_to(at("2026-03-05", "10:00"))
    assert reminder_send(reminder_id=reminder.pk) == state
    reminder.refresh_from_db()
    assert (reminder.state, reminder.note, reminder.sent_at) == (state, note, None)
    assert mail.outbox == []


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPConnectError(421, "Service not available")


def test_mail_server_errors_back_off_then_fail_and_staff_can_send_again(clinic, lin, frozen, settings, front_desk):
    reminder = due_reminder(clinic, lin, frozen)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    waits = []
    for attempt in range(1, reminders.MAX_ATTEMPTS + 1):
        assert reminder_send(reminder_id=reminder.pk) == ("failed" if attempt == reminders.MAX_ATTEMPTS else "retry")
        reminder.refresh_from_db()
        waits.append(reminder.next_attempt_at)
        frozen.move_to(reminder.next_attempt_at)
    assert (reminder.state, reminder.attempts) == ("failed", 5)
    assert "SMTPConnectError" in reminder.last_error
    start = at("2026-03-03", "10:00")
    assert [w - start for w in waits[:4]] == [dt.timedelta(minutes=m) for m in (1, 3, 7, 15)]

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.reminder_send_again(reminder=reminder, by=front_desk)
    assert not reminders.reminder_send_again(reminder=reminder, by=front_desk)  # not failed any more
    assert reminder_send(reminder_id=reminder.pk) == "sent"
    assert len(mail.outbox) == 1


def test_a_bug_while_sending_fails_the_reminder_without_retrying(clinic, lin, frozen, monkeypatch):
    reminder = due_reminder(clinic, lin, frozen)
    monkeypatch.setattr("scheduling.reminder_mail.ClinicSettings.load", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        reminder_send(reminder_id=reminder.pk)
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == ("failed", 1)


# --- Dispatching ----------------------------------------------------------------------------------
def test_the_dispatcher_leaves_rows_pending_when_the_broker_is_down(clinic, lin, frozen, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    reminder = due_reminder(clinic, lin, frozen)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("scheduling.tasks.send_reminder.delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_dispatch() == [reminder.pk]
    reminder.refresh_from_db()
    assert (reminder.state, reminder.queued_at) == ("pending", None)


def test_the_dispatcher_requeues_lost_messages_and_rows_of_dead_workers(clinic, lin, frozen, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    published = []
    monkeypatch.setattr("scheduling.tasks.send_reminder.delay", published.append)
    for hour in ("09:00", "10:00", "11:00"):
        book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", hour))
    now = at("2026-03-04", "12:00")
    frozen.move_to(now)
    lost, stuck, fresh = Reminder.objects.order_by("due_at")
    Reminder.objects.filter(pk=lost.pk).update(state="queued", queued_at=now - dt.timedelta(minutes=6))
    Reminder.objects.filter(pk=stuck.pk).update(state="sending", claimed_at=now - dt.timedelta(minutes=11), attempts=1)
    Reminder.objects.filter(pk=fresh.pk).update(state="sending", claimed_at=now - dt.timedelta(minutes=1), attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch()
    assert sorted(published) == sorted([lost.pk, stuck.pk])
    stuck.refresh_from_db()
    assert (stuck.state, stuck.last_error) == ("queued", "The worker stopped while sending; trying again.")
    assert Reminder.objects.get(pk=fresh.pk).state == "sending"  # its worker may still be at it


def test_reminders_come_back_when_the_patient_agrees_again(clinic, lin, frozen, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    from patients.intake import patient_update
    from tests.factories import front_desk_user

    monkeypatch.setattr("scheduling.tasks.send_reminder.delay", lambda pk: reminder_send(reminder_id=pk))
    patient = PatientFactory(reminder_consent=False, reminder_consent_changed_at=None)
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"), patient=patient)
    later = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-17", "10:00"), patient=patient)
    frozen.move_to(at("2026-03-08", "10:00"))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch()
    assert Reminder.objects.get(visit=visit).state == "cancelled" and mail.outbox == []

    # Sweeps before the patient agrees change nothing.
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch()
    assert Reminder.objects.filter(visit=visit).count() == 1

    frozen.move_to(at("2026-03-08", "12:00"))
    patient_update(
        by=front_desk_user(), patient=patient,
        demographics={"first_name": patient.first_name, "last_name": patient.last_name,
                      "date_of_birth": patient.date_of_birth, "email": patient.email,
                      "preferred_contact": "email", "reminder_consent": True},
    )
    for _ in range(3):  # overlapping sweeps restore each reminder once
        with django_capture_on_commit_callbacks(execute=True):
            reminders_dispatch()
    assert len(mail.outbox) == 1 and "Tuesday 10 March 2026" in mail.outbox[0].subject
    # The later visit's reminder had not fallen due: it was never cancelled and just waits.
    assert [r.state for r in Reminder.objects.filter(visit=later)] == ["pending"]
    assert sorted(Reminder.objects.filter(visit=visit).values_list("state", flat=True)) == ["cancelled", "sent"]


def test_the_maintenance_and_series_emails(clinic, lin, patient, frozen):
    MaintenanceSchedule.objects.create(patient=patient, since=dt.date(2026, 3, 1), due_on=dt.date(2026, 4, 5))
    maintenance_set_interval(patient=patient, weeks=5, by=None)
    message = reminder_message(waiting(kind="maintenance_due")[0])
    assert message.subject == "Time to book your maintenance visit at Acuclinic"
    assert "due on Sunday 5 April 2026" in message.body and message.attachments == []
    assert message.body.count("http://127.0.0.1:8000/r/") == 2  # book maintenance, stop

    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    visit_cancel(visit=series.visits.get(sequence=4), reason="Away", by=None)
    visit_cancel(visit=series.visits.get(sequence=5), reason="Away", by=None)
    message = reminder_message(waiting(kind="series_unbooked")[0])
    assert message.subject == "2 sessions of your course at Acuclinic still to book"
    assert "Your course of 6 sessions with Lin Zhao" in message.body
    assert "has <strong>2 sessions</strong> without a date" in message.alternatives[0].content
