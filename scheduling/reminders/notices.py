"""The e-mails a patient expects when their bookings change: a confirmation when a series is
booked (every date, one .ics holding all sessions), and a notice with an updated .ics when a
visit is moved (same UID, higher SEQUENCE) or cancelled (METHOD:CANCEL).

Sent by a Celery task after the booking's transaction commits (``notices_after_commit``), so a
slow or failing mail server never holds or undoes a booking; only to patients with reminder
consent and an e-mail address. Like reminders, nothing about the patient's health goes in.
"""

from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.template.loader import render_to_string

from scheduling.models import ClinicSettings, Visit
from scheduling.reminders.mail import address_lines, visits_ics, when_text


class Notice(models.TextChoices):
    BOOKED = "booked", "Series booked"
    MOVED = "moved", "Visit moved"
    CANCELLED = "cancelled", "Visit cancelled"


def notice_message(*, notice: str, visits: list[Visit], clinic: ClinicSettings) -> EmailMultiAlternatives:
    """The e-mail for ``visits`` (all of one patient, in time order)."""
    patient = visits[0].patient
    template = f"emails/notice_{notice}"
    context = {
        "patient_name": patient.first_name,
        "clinic": clinic,
        "address_lines": address_lines(clinic),
        "visits": [{"visit": v, "when": when_text(v.starts_at)} for v in visits],
        "first": visits[0],
        "when": when_text(visits[0].starts_at),
    }
    message = EmailMultiAlternatives(
        # A subject is one line, whatever the template's whitespace.
        subject=" ".join(render_to_string(f"{template}_subject.txt", context).split()),
        body=render_to_string(f"{template}_body.txt", context),
        to=[patient.email],
    )
    message.attach_alternative(render_to_string(f"{template}_body.html", context), "text/html")
    cancelled = notice == Notice.CANCELLED
    message.attach("visits.ics", visits_ics(visits, clinic=clinic, cancelled=cancelled), "text/calendar")
    return message


def notice_send(*, notice: str, visit_ids: list[int]) -> bool:
    """Sends the notice if the patient agreed to e-mails and has an address; True if sent. Reads
    the visits as they are now, so a notice reflects the latest time."""
    visits = list(
        Visit.objects.filter(pk__in=visit_ids)
        .select_related("patient", "practitioner", "appointment_type")
        .order_by("starts_at")
    )
    if not visits or not visits[0].patient.reminder_consent or not visits[0].patient.email:
        return False
    notice_message(notice=Notice(notice), visits=visits, clinic=ClinicSettings.load()).send()
    return True

