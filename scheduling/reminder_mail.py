"""The reminder e-mail: text and HTML from ``templates/emails/``, an .ics file for visits.

Nothing about the patient's health goes into the e-mail or its links: only the clinic, the time,
the practitioner and the kind of appointment.
"""

import datetime as dt

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from scheduling.clock import UTC, to_local
from scheduling.links import ACTIONS, link_url
from scheduling.models import ClinicSettings, Reminder, Visit
from scheduling.reminders import unbooked_sessions
from staff.mail import sender_domain

TEMPLATES = {
    Reminder.Kind.VISIT_UPCOMING: "emails/reminder_visit",
    Reminder.Kind.MAINTENANCE_DUE: "emails/reminder_maintenance",
    Reminder.Kind.SERIES_UNBOOKED: "emails/reminder_series",
}


def _when(instant: dt.datetime) -> str:
    local = to_local(instant)
    # "Tuesday 3 March 2026 at 10:00 (GMT)": the zone name matters in the weeks of a clock change.
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({local.tzname()})"


def reminder_context(reminder: Reminder) -> dict:
    clinic = ClinicSettings.load()
    context = {
        "reminder": reminder,
        "patient_name": reminder.patient.first_name,
        "clinic": clinic,
        "address_lines": [line.strip() for line in clinic.address.splitlines() if line.strip()],
        "links": {action: link_url(reminder=reminder, action=action) for action in ACTIONS[reminder.kind]},
    }
    if reminder.visit_id:
        visit = reminder.visit
        context.update(visit=visit, when=_when(visit.starts_at), minutes=visit.appointment_type.duration_minutes)
    if reminder.kind == Reminder.Kind.MAINTENANCE_DUE:
        due = reminder.maintenance_due_on
        context["due_on"] = f"{due:%A} {due.day} {due:%B %Y}"
    if reminder.series_id:
        context.update(series=reminder.series, unbooked=unbooked_sessions(reminder.series))
    return context


def reminder_message(reminder: Reminder) -> EmailMultiAlternatives:
    template = TEMPLATES[reminder.kind]
    context = reminder_context(reminder)
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
        message.attach("visit.ics", visit_ics(reminder.visit, clinic=context["clinic"], sequence=reminder.pk),
                       "text/calendar")
    return message


# --- iCalendar (RFC 5545) ------------------------------------------------------------------------
def _ics_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 §3.1)."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _utc(instant: dt.datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def visit_ics(visit: Visit, *, clinic: ClinicSettings, sequence: int) -> str:
    """One event in UTC (calendars show it in the reader's zone). The UID is the visit's, so a
    later reminder for a moved visit updates the same calendar entry; ``sequence`` (the reminder
    id, which grows with each new reminder) tells the calendar which copy is newer."""
    domain = sender_domain()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Acuclinic//Reminders//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:visit-{visit.pk}@{domain}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(visit.starts_at)}",
        f"DTEND:{_utc(visit.ends_at)}",
        f"SUMMARY:{_ics_text(f'{visit.appointment_type.name} at {clinic.name}')}",
        f"DESCRIPTION:{_ics_text(f'With {visit.practitioner}. Please come without make-up.')}",
        f"LOCATION:{_ics_text(', '.join(line.strip() for line in clinic.address.splitlines() if line.strip()))}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
