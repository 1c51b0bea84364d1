"""The patient's booking e-mails (``scheduling.reminders.notices``): a confirmation for a booked
series with one .ics holding every session, and an updated .ics when a visit is moved or
cancelled. Every attachment is parsed with ``icalendar``; the series crosses the change to
summer time (29 March 2026), so local times are checked on both sides of it."""

import pytest
from icalendar import Calendar
from kombu.exceptions import KombuError

from clinic.celery import app
from scheduling import tasks
from scheduling.booking import visit_move
from scheduling.clock import to_local
from scheduling.visit_status import visit_cancel
from tests.factories import PatientFactory
from tests.scheduling.factories import at, book_series

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def eager():
    """Tasks run in this process when published (the after-commit callbacks still decide when)."""
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield
    app.conf.task_always_eager = previous


def calendar_of(message) -> Calendar:
    (name, ics, mimetype), = message.attachments
    assert (name, mimetype) == ("visits.ics", "text/calendar")
    return Calendar.from_ical(ics)


def local_starts(calendar: Calendar) -> list[str]:
    return [f"{to_local(event.decoded('DTSTART')):%Y-%m-%d %H:%M %Z}" for event in calendar.walk("VEVENT")]


def test_a_booked_series_sends_one_email_with_every_date_in_local_time_and_one_calendar_file(
    clinic, lin, eager, mailoutbox, django_capture_on_commit_callbacks
):
    patient = PatientFactory(first_name="Ada")
    with django_capture_on_commit_callbacks(execute=True):
        series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-17", sessions=6)
    (message,) = mailoutbox
    assert message.to == [patient.email]
    assert message.subject.startswith("6 appointments booked at") and "Tuesday 17 March 2026 at 10:00 (GMT)" in message.subject
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "Tuesday 24 March 2026 at 10:00 (GMT)" in body and "Tuesday 31 March 2026 at 10:00 (BST)" in body
    calendar = calendar_of(message)
    assert calendar["METHOD"] == "PUBLISH"
    assert local_starts(calendar) == [
        "2026-03-17 10:00 GMT", "2026-03-24 10:00 GMT", "2026-03-31 10:00 BST",
        "2026-04-07 10:00 BST", "2026-04-14 10:00 BST", "2026-04-21 10:00 BST",
    ]
    uids = {str(event["UID"]) for event in calendar.walk("VEVENT")}
    assert uids == {f"visit-{visit.pk}@acuclinic.example" for visit in series.visits.all()}


def test_the_email_goes_only_after_the_booking_commits(
    clinic, lin, patient, eager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        book_series(patient=patient, practitioner=lin, clinic=clinic, sessions=6)
    assert mailoutbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1


def test_a_broker_outage_loses_the_email_but_not_the_booking(
    clinic, lin, patient, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args):
        raise KombuError("connection refused")

    monkeypatch.setattr(tasks.send_booking_notice, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        series = book_series(patient=patient, practitioner=lin, clinic=clinic, sessions=6)
    assert series.visits.count() == 6


@pytest.mark.parametrize("changes", [{"reminder_consent": False, "reminder_consent_changed_at": None}, {"email": ""}])
def test_no_email_without_consent_or_an_address(clinic, lin, eager, mailoutbox, django_capture_on_commit_callbacks, changes):
    patient = PatientFactory(**changes)
    with django_capture_on_commit_callbacks(execute=True):
        book_series(patient=patient, practitioner=lin, clinic=clinic, sessions=6)
    assert mailoutbox == []


def first_visit_booked(*, clinic, lin, patient, first_day, mailoutbox, capture, frozen):
    """Books a series (its e-mail sent), then lets a minute pass; the first visit and its event."""
    with capture(execute=True):
        series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day=first_day, sessions=6)
    frozen.shift(60)
    return series.visits.order_by("starts_at").first(), calendar_of(mailoutbox[0]).walk("VEVENT")[0]


def test_a_moved_visit_sends_the_same_uid_with_a_higher_sequence_across_the_clock_change(
    clinic, lin, patient, eager, mailoutbox, django_capture_on_commit_callbacks, frozen
):
    visit, booked = first_visit_booked(clinic=clinic, lin=lin, patient=patient, first_day="2026-03-24",
                                       mailoutbox=mailoutbox, capture=django_capture_on_commit_callbacks, frozen=frozen)
    with django_capture_on_commit_callbacks(execute=True):
        visit_move(visit=visit, starts_at=at("2026-03-30", "15:00"), by=None)
    moved_message = mailoutbox[1]
    assert "Monday 30 March 2026 at 15:00 (BST)" in moved_message.subject
    calendar = calendar_of(moved_message)
    assert calendar["METHOD"] == "PUBLISH"
    (moved,) = calendar.walk("VEVENT")
    assert moved["UID"] == booked["UID"] and moved["SEQUENCE"] > booked["SEQUENCE"]
    assert local_starts(calendar) == ["2026-03-30 15:00 BST"]


def test_a_cancelled_visit_sends_a_cancelling_calendar_file(
    clinic, lin, patient, eager, mailoutbox, django_capture_on_commit_callbacks, frozen
):
    visit, booked = first_visit_booked(clinic=clinic, lin=lin, patient=patient, first_day="2026-03-31",
                                       mailoutbox=mailoutbox, capture=django_capture_on_commit_callbacks, frozen=frozen)
    with django_capture_on_commit_callbacks(execute=True):
        visit_cancel(visit=visit, reason="Practitioner ill", by=None)
    message = mailoutbox[1]
    assert message.subject.startswith("Cancelled:") and "Tuesday 31 March 2026 at 10:00 (BST)" in message.subject
    calendar = calendar_of(message)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["UID"] == booked["UID"] and event["SEQUENCE"] > booked["SEQUENCE"]
    assert local_starts(calendar) == ["2026-03-31 10:00 BST"]
