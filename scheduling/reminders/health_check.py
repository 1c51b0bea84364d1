"""The pre-visit health check: ``health_check_days_before`` days before each visit the patient
gets an e-mail asking whether anything in their health has changed, with a link to a short page
(``scheduling.health_check_views``): the safety questions prefilled from their latest screening.

- ``health_checks_schedule`` (called by the sweep, every minute) adds the e-mail's reminder row for
  each booked visit whose time for it has come; the outbox sends it exactly once, like every
  reminder. A visit moved gets a new one for its new time.
- ``health_check_open`` / ``health_check_answer``: what the link's page shows, and what its button
  does, once: nothing changed is recorded as confirmed; a change is a new screening reported by
  the patient (``Screening.Source.PATIENT_CHECK``), which plans and the session check go by.
- ``receipt_message``: the e-mail confirming the answer. Like reminders, no health data in it.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from patients.intake import CONFIRMED_NO, screening_record
from patients.models import Screening
from scheduling.clock import local_datetime, to_local
from scheduling.models import ClinicSettings, LinkUse, PatientRequest, Reminder, Visit
from scheduling.reminders.link_use import link_used
from scheduling.reminders.mail import address_lines, when_text
from scheduling.reminders.patient_requests import patient_request_create
from scheduling.reminders.tokens import INVALID, OUTDATED, USED, Action, LinkError, link_verify
from staff.audit import audit_record

# The e-mail goes out at this local time of day, ``health_check_days_before`` days before the
# visit's day (at once for a visit booked later than that).
HEALTH_CHECK_SEND_TIME = dt.time(9)
# What the patient answers on the page: the staff questionnaire without staff's notes.
ANSWER_FIELDS = tuple(
    [*Screening.FLAG_FIELDS, *(name for on, areas, _ in Screening.PROCEDURES for name in (on, areas)),
     "allergies", "medications"]
)


def _asking_until(*, now: dt.datetime, days: int) -> dt.datetime:
    """Visits starting before this instant are due their health check at ``now``."""
    local = to_local(now)
    last_day = local.date() + dt.timedelta(days=days if local.time() >= HEALTH_CHECK_SEND_TIME else days - 1)
    return local_datetime(last_day + dt.timedelta(days=1), dt.time(0), fold=0)


def health_checks_schedule(*, now: dt.datetime) -> int:
    """Adds a health-check reminder, due now, for each booked visit ahead whose check is due and
    not yet asked for at the visit's current time; only for patients with a screening to check,
    an e-mail address and reminder consent. Returns how many were added."""
    until = _asking_until(now=now, days=ClinicSettings.load().health_check_days_before)
    asked = Reminder.objects.filter(
        kind=Reminder.Kind.HEALTH_CHECK, visit=OuterRef("pk"), expires_at=OuterRef("starts_at")
    )
    visits = list(
        Visit.objects.filter(status=Visit.Status.BOOKED, starts_at__gt=now, starts_at__lt=until,
                             patient__reminder_consent=True)
        .exclude(patient__email="")
        .filter(Exists(Screening.objects.filter(patient=OuterRef("patient_id"))))
        .exclude(Exists(asked))
        .values_list("pk", "patient_id", "starts_at")
    )
    if not visits:
        return 0
    with transaction.atomic():
        # A check still waiting for the visit's old time (it moved) makes way for the new one.
        Reminder.objects.filter(
            kind=Reminder.Kind.HEALTH_CHECK, state__in=Reminder.WAITING, visit_id__in=[pk for pk, _, _ in visits]
        ).update(state=Reminder.State.CANCELLED, note="The visit was moved.", updated_at=now)
        rows = [
            Reminder(kind=Reminder.Kind.HEALTH_CHECK, patient_id=patient_id, visit_id=pk,
                     due_at=now, next_attempt_at=now, expires_at=starts_at)
            for pk, patient_id, starts_at in visits
        ]
        # Two sweeps at once: the second one's rows meet the one-waiting-per-visit constraint.
        Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def health_check_pointless(reminder: Reminder) -> tuple[str, str] | None:
    """The outbox's ``pointless`` for a health check, after the visit's own checks."""
    if not Screening.objects.filter(patient_id=reminder.patient_id).exists():
        return Reminder.State.CANCELLED, "The patient has no screening to check."
    return None


@dataclass
class HealthCheck:
    reminder: Reminder
    visit: Visit
    # The answers the page starts from: the patient's latest screening.
    previous: Screening


def health_check_open(*, token: str, now: dt.datetime | None = None) -> HealthCheck:
    """Checks the link: signed, for this health check, not used, its visit still booked at the
    time the e-mail gave and not yet begun. Raises ``LinkError`` if not."""
    now = now or timezone.now()
    reminder, action = link_verify(token=token)
    if action != Action.HEALTH_CHECK:
        raise LinkError(INVALID)
    if LinkUse.objects.filter(reminder=reminder, action=action).exists():
        raise LinkError(USED)
    visit = reminder.visit
    if visit.status != Visit.Status.BOOKED or visit.starts_at <= now or visit.starts_at != reminder.expires_at:
        raise LinkError(OUTDATED)
    previous = Screening.objects.latest_for(reminder.patient_id)
    if previous is None:
        raise LinkError(OUTDATED)
    return HealthCheck(reminder=reminder, visit=visit, previous=previous)


def _same(previous: Screening, answers: dict) -> bool:
    for name in ANSWER_FIELDS:
        before, now = getattr(previous, name), answers.get(name)
        if isinstance(before, list):
            before, now = sorted(before), sorted(now or [])
        elif isinstance(before, str):
            # Browsers send a textarea's lines with CRLF: only the words count.
            before, now = before.split(), (now or "").split()
        if before != now:
            return False
    return True


def health_check_answer(*, token: str, answers: dict) -> PatientRequest:
    """Records the patient's answers, once: unchanged, the latest screening is confirmed (audited);
    changed, a new screening reported by the patient (``patients.intake.screening_record``, whose
    rules and messages are the staff form's). Either way the front desk's list gets the answer,
    urgent when the standing answers block facial treatment. Raises ``LinkError`` (nothing
    changed) for a link that cannot act, ``ValidationError`` for answers the rules refuse."""
    check = health_check_open(token=token)
    reminder, previous = check.reminder, check.previous
    with link_used(reminder=reminder, action=Action.HEALTH_CHECK):
        if _same(previous, answers):
            standing = previous
            audit_record(user=None, action="change", obj=previous, patient_id=reminder.patient_id,
                         summary="health check: the patient confirmed nothing has changed")
            kind = PatientRequest.Kind.HEALTH_CONFIRMED
        else:
            # Staff's notes carry over: the patient neither sees nor changes them.
            new = {name: answers.get(name) for name in ANSWER_FIELDS} | {"notes": previous.notes}
            standing = screening_record(
                by=None, patient=reminder.patient, source=Screening.Source.PATIENT_CHECK,
                answers=new | {CONFIRMED_NO: answers.get(CONFIRMED_NO, [])},
            )
            kind = PatientRequest.Kind.HEALTH_CHANGED
        if standing.facial_block():
            kind = PatientRequest.Kind.HEALTH_BLOCKED
        return patient_request_create(reminder=reminder, kind=kind)


def receipt_message(request: PatientRequest, *, clinic: ClinicSettings) -> EmailMultiAlternatives:
    """The patient's confirmation of their health-check answer (``request`` is its Requests row)."""
    context = {
        "patient_name": request.patient.first_name,
        "clinic": clinic,
        "address_lines": address_lines(clinic),
        "visit": request.visit,
        "when": when_text(request.visit.starts_at),
        "blocked": request.urgent,
        "changed": request.kind == PatientRequest.Kind.HEALTH_CHANGED,
    }
    template = "emails/health_check_receipt"
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string(f"{template}_subject.txt", context).split()),
        body=render_to_string(f"{template}_body.txt", context),
        to=[request.patient.email],
    )
    message.attach_alternative(render_to_string(f"{template}_body.html", context), "text/html")
    return message


def receipt_send(*, request_id: int) -> bool:
    """Sends the confirmation if the patient has an address; True if sent."""
    request = (
        PatientRequest.objects.select_related("patient", "visit__practitioner", "visit__appointment_type")
        .filter(pk=request_id, visit__isnull=False).first()
    )
    if request is None or not request.patient.email:
        return False
    receipt_message(request, clinic=ClinicSettings.load()).send()
    return True
