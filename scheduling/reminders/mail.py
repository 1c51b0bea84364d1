"""The reminder e-mail: text and HTML from ``templates/emails/``, an .ics file for visits (built
with ``icalendar``, which escapes and folds lines as RFC 5545 asks).

Nothing about the patient's health goes into the e-mail or its links: only the clinic, the time,
the practitioner and the kind of appointment.
"""

import datetime as dt

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from icalendar import Calendar, Event

from scheduling.clock import UTC, to_local
from scheduling.models import ClinicSettings, Reminder, Visit
from scheduling.reminders.tokens import ACTIONS, link_url
from scheduling.reminders.upkeep import unbooked_sessions
from staff.mail import sender_domain

TEMPLATES = {
    Reminder.Kind.VISIT_UPCOMING: "emails/reminder_visit",
    Reminder.Kind.MAINTENANCE_DUE: "emails/reminder_maintenance",
    Reminder.Kind.SERIES_UNBOOKED: "emails/reminder_series",
    Reminder.Kind.HEALTH_CHECK: "emails/reminder_health_check",
}


def when_text(instant: dt.datetime) -> str:
    local = to_local(instant)
    # "Tuesday 3 March 2026 at 10:00 (GMT)": the zone name matters in the weeks of a clock change.
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({local.tzname()})"


def address_lines(clinic: ClinicSettings) -> list[str]:
    return [line.strip() for line in clinic.address.splitlines() if line.strip()]


def reminder_context(reminder: Reminder, *, clinic: ClinicSettings) -> dict:
    context = {
        "reminder": reminder,
        "patient_name": reminder.patient.first_name,
        "clinic": clinic,
        "address_lines": address_lines(clinic),
        "links": {action: link_url(reminder=reminder, action=action) for action in ACTIONS[reminder.kind]},
    }
    if reminder.visit_id:
        visit = reminder.visit
        context.update(visit=visit, when=when_text(visit.starts_at), minutes=visit.appointment_type.duration_minutes)
    if reminder.kind == Reminder.Kind.MAINTENANCE_DUE:
        due = reminder.maintenance_due_on
        context["due_on"] = f"{due:%A} {due.day} {due:%B %Y}"
    if reminder.series_id:
        context.update(series=reminder.series, unbooked=unbooked_sessions(reminder.series))
    return context


def reminder_message(reminder: Reminder, *, clinic: ClinicSettings) -> EmailMultiAlternatives:
    """``clinic`` is passed in so a batch of e-mails loads the settings once."""
    template = TEMPLATES[reminder.kind]
    context = reminder_context(reminder, clinic=clinic)
    # A subject is one line, whatever the template's whitespace.
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}_body.txt", context),
        to=[reminder.patient.email],
        # Fixed per reminder: a second copy (README, Reminders) carries the same id.
        headers={"Message-ID": reminder.message_id},
    )
    message.attach_alternative(render_to_string(f"{template}_body.html", context), "text/html")
    if reminder.visit_id:
        # SEQUENCE is the reminder's id, which grows with each new reminder of a moved visit.
        message.attach("visit.ics", visits_ics([reminder.visit], clinic=clinic, sequence=reminder.pk), "text/calendar")
    return message


def ics_sequence(visit: Visit) -> int:
    """A booking notice's SEQUENCE: the visit's last change in whole seconds. Every move or status
    change saves ``updated_at``, so a later notice carries a higher SEQUENCE than an earlier one
    and than any reminder's (a reminder's is its row id, far smaller)."""
    return int(visit.updated_at.timestamp())


def _event(visit: Visit, *, clinic: ClinicSettings, domain: str, sequence: int, cancelled: bool) -> Event:
    """One event in UTC (calendars show it in the reader's zone). The UID is the visit's, so a
    later e-mail for a moved or cancelled visit updates the same calendar entry."""
    event = Event()
    event.add("uid", f"visit-{visit.pk}@{domain}")
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", visit.starts_at.astimezone(UTC))
    event.add("dtend", visit.ends_at.astimezone(UTC))
    event.add("summary", f"{visit.appointment_type.name} at {clinic.name}")
    event.add("description", f"With {visit.practitioner}. Please come without make-up.")
    event.add("location", ", ".join(address_lines(clinic)))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def visits_ics(
    visits: list[Visit], *, clinic: ClinicSettings, sequence: int | None = None, cancelled: bool = False
) -> str:
    """One calendar file holding every visit given (a whole series in a booking confirmation);
    ``cancelled`` makes it a cancellation (METHOD:CANCEL) that removes the entries. Without
    ``sequence`` each event carries its visit's ``ics_sequence``."""
    domain = sender_domain()
    calendar = Calendar()
    calendar.add("prodid", "-//Acuclinic//Reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    for visit in visits:
        event_sequence = ics_sequence(visit) if sequence is None else sequence
        calendar.add_component(_event(visit, clinic=clinic, domain=domain, sequence=event_sequence, cancelled=cancelled))
    return calendar.to_ical().decode()
