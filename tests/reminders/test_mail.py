"""The reminder e-mail (``scheduling.reminders.mail``): text and HTML parts, the clinic, the local
time, the links, and an .ics file that calendar software reads (parsed here with ``icalendar``)."""

import datetime as dt

import pytest
from icalendar import Calendar

from scheduling.booking import visit_move
from scheduling.clock import to_local
from scheduling.maintenance import maintenance_set_interval
from scheduling.models import ClinicSettings, MaintenanceSchedule, Reminder
from scheduling.reminders.mail import reminder_message
from scheduling.visit_status import visit_cancel
from tests.reminders.factories import book_visit, waiting
from tests.scheduling.factories import at, book_series

pytestmark = pytest.mark.usefixtures("frozen")


def message_for(reminder: Reminder):
    return reminder_message(reminder, clinic=ClinicSettings.load())


def calendar_event(message):
    """The one event of the message's .ics attachment, parsed as a calendar program would."""
    name, ics, mimetype = message.attachments[0]
    assert (name, mimetype) == ("visit.ics", "text/calendar")
    calendar = Calendar.from_ical(ics)
    assert calendar["VERSION"] == "2.0" and calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    return event


def test_the_email_has_text_html_the_clinic_the_local_time_and_a_calendar_file(clinic, lin):
    clinic.settings.name, clinic.settings.address, clinic.settings.phone = "Jade Clinic", "1 Elm Row\nLondon", "+4420"
    clinic.settings.save()
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-04-02", "10:00"))  # summer time
    reminder = Reminder.objects.get(visit=visit)
    message = message_for(reminder)
    html = message.alternatives[0].content
    assert message.subject == "Your visit at Jade Clinic: Thursday 2 April 2026 at 10:00 (BST)"
    assert message.extra_headers["Message-ID"] == reminder.message_id
    for body in (message.body, html):
        assert "Thursday 2 April 2026 at 10:00 (BST)" in body and "Lin Zhao" in body and "1 Elm Row" in body
        assert "without make-up" in body and "Stop reminder e-mails" in body
        assert body.count("http://127.0.0.1:8000/r/") == 4  # confirm, another time, cancel, stop
    event = calendar_event(message)
    assert str(event["UID"]) == f"visit-{visit.pk}@acuclinic.example"
    assert event["SEQUENCE"] == reminder.pk
    assert str(event["LOCATION"]) == "1 Elm Row, London"
    assert str(event["SUMMARY"]) == "Treatment at Jade Clinic"
    # Nothing about health: the screening and concerns never reach the e-mail.
    assert "screening" not in (message.body + html).lower()


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [("2026-03-26", 10), ("2026-03-31", 9), ("2026-10-22", 9), ("2026-10-27", 10)],
    ids=["GMT before spring forward", "BST after it", "BST before fall back", "GMT after it"],
)
def test_the_calendar_file_puts_the_visit_at_its_local_time_across_clock_changes(clinic, lin, frozen, day, utc_hour):
    frozen.move_to(at(day, "08:00") - dt.timedelta(days=10))
    visit = book_visit(clinic=clinic, practitioner=lin, starts=(day, "10:00"))
    event = calendar_event(message_for(Reminder.objects.get(visit=visit)))
    starts, ends = event.decoded("DTSTART"), event.decoded("DTEND")
    assert starts.utcoffset() == dt.timedelta(0) and starts.hour == utc_hour
    assert (f"{to_local(starts):%H:%M}", f"{to_local(ends):%H:%M}") == ("10:00", "11:00")
    assert (starts, ends) == (visit.starts_at, visit.ends_at)


def test_the_calendar_file_keeps_awkward_text_intact(clinic, lin):
    clinic.settings.name = "Jade; Lotus, and Pine — Facial Acupuncture & Wellbeing Studio of Greater London"
    clinic.settings.address = "Flat 2, 10 Elm Row\\Mews\nLondon"
    clinic.settings.save()
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    message = message_for(Reminder.objects.get(visit=visit))
    ics = message.attachments[0][1]
    # Lines are folded to 75 octets (RFC 5545) and unfold to the original text.
    assert max(len(line.encode()) for line in ics.split("\r\n")) <= 75
    event = calendar_event(message)
    assert str(event["SUMMARY"]) == f"Treatment at {clinic.settings.name}"
    assert str(event["LOCATION"]) == "Flat 2, 10 Elm Row\\Mews, London"


def test_a_moved_visit_updates_the_same_calendar_entry(clinic, lin):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    first = calendar_event(message_for(Reminder.objects.get(visit=visit)))
    visit_move(visit=visit, starts_at=at("2026-03-06", "15:00"), by=None)
    second = calendar_event(message_for(waiting(visit=visit)[0]))
    assert first["UID"] == second["UID"] and second["SEQUENCE"] > first["SEQUENCE"]
    assert f"{to_local(second.decoded('DTSTART')):%d %H:%M}" == "06 15:00"


def test_the_maintenance_and_series_emails(clinic, lin, patient, frozen):
    MaintenanceSchedule.objects.create(patient=patient, since=dt.date(2026, 3, 1), due_on=dt.date(2026, 4, 5))
    maintenance_set_interval(patient=patient, weeks=5, by=None)
    message = message_for(waiting(kind="maintenance_due")[0])
    assert message.subject == "Time to book your maintenance visit at Acuclinic"
    assert "due on Sunday 5 April 2026" in message.body and message.attachments == []
    assert message.body.count("http://127.0.0.1:8000/r/") == 2  # book maintenance, stop

    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    visit_cancel(visit=series.visits.get(sequence=4), reason="Away", by=None)
    visit_cancel(visit=series.visits.get(sequence=5), reason="Away", by=None)
    message = message_for(waiting(kind="series_unbooked")[0])
    assert message.subject == "2 sessions of your course at Acuclinic still to book"
    assert "Your course of 6 sessions with Lin Zhao" in message.body
    assert "has <strong>2 sessions</strong> without a date" in message.alternatives[0].content


def test_the_subject_is_plain_text_not_html_escaped(clinic, lin):
    # A subject is not HTML: "Lin & Tom" must not reach the patient as "Lin &amp; Tom".
    clinic.settings.name = "Lin & Tom's <Clinic>"
    clinic.settings.save()
    reminder = Reminder.objects.get(visit=book_visit(clinic=clinic, practitioner=lin, starts=("2026-04-02", "10:00")))
    assert message_for(reminder).subject.startswith("Your visit at Lin & Tom's <Clinic>: ")
