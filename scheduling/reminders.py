"""Reminder rules: which reminder rows exist, and how each is sent exactly once.

Rows (``scheduling.models.Reminder``) are made, replaced and cancelled by ``scheduling.booking``
inside its own transactions, through the ``*_reminders_*`` functions below. Sending has two halves:

- ``reminders_dispatch`` (Celery beat, every minute): takes the rows whose time has come, marks
  them ``queued`` and, after that commit, puts one task per id on the broker. Two dispatchers at
  once each take different rows (``select_for_update(skip_locked=True)``). If the broker is down
  the rows go back to ``pending`` and the next sweep tries again; a row ``queued`` for too long
  (its message was lost) is queued again, and one left ``sending`` by a worker that died is put
  back to ``pending``.
- ``reminder_send`` (a worker, one id): claims the row with a conditional UPDATE
  (``pending``/``queued`` → ``sending``); only the worker whose UPDATE changed the row sends, so a
  task delivered twice, retried, or queued by two sweeps sends one e-mail. Before sending it
  checks the reminder still makes sense (consent, visit still booked and ahead, maintenance not
  booked...); mail-server errors put it back with a growing delay, then mark it ``failed``.

Celery never holds a due time (no ``eta``/``countdown``): the row does, so nothing is lost when
the broker or the worker restarts.
"""

import datetime as dt
import logging
import smtplib
import uuid

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from kombu.exceptions import KombuError

from patients.intake import reminder_consent_withdraw
from patients.models import Patient
from scheduling.clock import local_datetime
from scheduling.models import (
    AppointmentType,
    ClinicSettings,
    MaintenanceSchedule,
    PatientRequest,
    Reminder,
    Series,
    Visit,
)
from staff.audit import audit_record

logger = logging.getLogger(__name__)

# Maintenance reminders go out at this local time of day (on the day before-hand and on the due date).
MAINTENANCE_SEND_TIME = dt.time(9)
# The reminder on the due date stays worth sending this long; the one before it, until it comes.
MAINTENANCE_DUE_VALID = dt.timedelta(days=7)
# A series left with unbooked sessions: the patient hears about it a day later (time for the front
# desk to rebook on the phone first), and not at all once two weeks have gone by.
SERIES_FOLLOW_UP_DELAY = dt.timedelta(days=1)
SERIES_FOLLOW_UP_VALID = dt.timedelta(days=14)

# Mail-server errors: tries in all, and the wait before the second (doubling after each failure).
MAX_ATTEMPTS = 5
RETRY_BACKOFF = dt.timedelta(minutes=1)
# A queued row whose task has not started by then lost its message (e.g. Redis restarted empty).
QUEUED_STALE_AFTER = dt.timedelta(minutes=5)
# Longer than any send can take (EMAIL_TIMEOUT, the task time limit): its worker is gone.
SENDING_STALE_AFTER = dt.timedelta(minutes=10)
# Rows one sweep queues; the rest wait for the next sweep a minute later.
DISPATCH_BATCH = 1000


# --- Rows made by the booking functions --------------------------------------------------------
def _cancel(rows: QuerySet, note: str) -> int:
    return rows.filter(state__in=Reminder.WAITING).update(
        state=Reminder.State.CANCELLED, note=note[:200], updated_at=timezone.now()
    )


def _visit_reminder(visit: Visit, *, hours: int, now: dt.datetime) -> Reminder | None:
    if visit.status != Visit.Status.BOOKED or visit.starts_at <= now:
        return None
    # Elapsed hours, not wall-clock: "48 hours before" is the same span across a clock change.
    due = max(visit.starts_at - dt.timedelta(hours=hours), now)
    return Reminder(
        kind=Reminder.Kind.VISIT_UPCOMING, patient_id=visit.patient_id, visit=visit,
        due_at=due, next_attempt_at=due, expires_at=visit.starts_at,
    )


def visit_reminders_replace(*, visits: list[Visit], note: str, now: dt.datetime | None = None) -> list[Reminder]:
    """For booked, moved or cancelled visits: cancels each one's waiting reminder and, for those
    still booked and ahead, makes one for the current time. Call inside the booking's transaction."""
    now = now or timezone.now()
    _cancel(Reminder.objects.filter(kind=Reminder.Kind.VISIT_UPCOMING, visit__in=[v.pk for v in visits]), note)
    hours = ClinicSettings.load().visit_reminder_hours
    rows = [r for r in (_visit_reminder(v, hours=hours, now=now) for v in visits) if r]
    return Reminder.objects.bulk_create(rows)


def maintenance_booked(*, patient_id: int, now: dt.datetime) -> bool:
    return Visit.objects.filter(
        patient_id=patient_id, status=Visit.Status.BOOKED, starts_at__gt=now,
        appointment_type__kind=AppointmentType.Kind.MAINTENANCE,
    ).exists()


def maintenance_reminders_refresh(*, patient_id: int, now: dt.datetime | None = None) -> list[Reminder]:
    """Makes the maintenance reminders match the patient's schedule: one ``maintenance_reminder_days``
    before the due date and one on it, or none while a maintenance visit is booked. Call inside
    the transaction that changed the schedule or booked/cancelled a maintenance visit."""
    now = now or timezone.now()
    _cancel(Reminder.objects.filter(kind=Reminder.Kind.MAINTENANCE_DUE, patient_id=patient_id),
            "Maintenance due date changed or a maintenance visit was booked.")
    schedule = MaintenanceSchedule.objects.filter(patient_id=patient_id).first()
    if schedule is None or maintenance_booked(patient_id=patient_id, now=now):
        return []
    days = ClinicSettings.load().maintenance_reminder_days
    on_due = local_datetime(schedule.due_on, MAINTENANCE_SEND_TIME, fold=0)
    times = [(on_due, on_due + MAINTENANCE_DUE_VALID)]
    if days:
        before = local_datetime(schedule.due_on - dt.timedelta(days=days), MAINTENANCE_SEND_TIME, fold=0)
        times.insert(0, (before, on_due))
    rows = [
        Reminder(
            kind=Reminder.Kind.MAINTENANCE_DUE, patient_id=patient_id, maintenance_due_on=schedule.due_on,
            due_at=max(due, now), next_attempt_at=max(due, now), expires_at=expires,
        )
        for due, expires in times
        if expires > now
    ]
    return Reminder.objects.bulk_create(rows)


def unbooked_sessions(series: Series) -> int:
    return series.sessions_planned - series.visits.filter(status__in=Visit.BLOCKING).count()


def series_reminder_refresh(*, series: Series, now: dt.datetime | None = None) -> Reminder | None:
    """A series with sessions left unbooked (cancelled without a make-up, missed) gets one
    follow-up reminder; a series fully booked again, finished or cancelled gets none."""
    now = now or timezone.now()
    _cancel(Reminder.objects.filter(kind=Reminder.Kind.SERIES_UNBOOKED, series=series),
            "The series' sessions changed.")
    if series.status != Series.Status.ACTIVE or unbooked_sessions(series) <= 0:
        return None
    due = now + SERIES_FOLLOW_UP_DELAY
    return Reminder.objects.create(
        kind=Reminder.Kind.SERIES_UNBOOKED, patient_id=series.patient_id, series=series,
        due_at=due, next_attempt_at=due, expires_at=due + SERIES_FOLLOW_UP_VALID,
    )


# --- Is it still worth sending? ----------------------------------------------------------------
def pointless(reminder: Reminder, *, now: dt.datetime) -> tuple[str, str] | None:
    """``(state, why)`` when the reminder must not go out (any more), else None."""
    patient = reminder.patient
    if not patient.reminder_consent:
        return Reminder.State.CANCELLED, "The patient has not agreed to reminder e-mails."
    if not patient.email:
        return Reminder.State.CANCELLED, "The patient has no e-mail address."
    if now >= reminder.expires_at:
        return Reminder.State.EXPIRED, "Too late to be useful."
    if reminder.kind == Reminder.Kind.VISIT_UPCOMING:
        visit = reminder.visit
        if visit.status != Visit.Status.BOOKED:
            return Reminder.State.EXPIRED, f"The visit is {visit.get_status_display().lower()}."
        if visit.starts_at <= now:
            return Reminder.State.EXPIRED, "The visit has started."
        if visit.starts_at != reminder.expires_at:
            # Moves replace the reminder in the same transaction; this only guards direct edits.
            return Reminder.State.CANCELLED, "The visit was moved."
    elif reminder.kind == Reminder.Kind.MAINTENANCE_DUE:
        schedule = MaintenanceSchedule.objects.filter(patient_id=reminder.patient_id).first()
        if schedule is None or schedule.due_on != reminder.maintenance_due_on:
            return Reminder.State.CANCELLED, "The maintenance due date changed."
        if maintenance_booked(patient_id=reminder.patient_id, now=now):
            return Reminder.State.EXPIRED, "A maintenance visit is booked."
    elif reminder.kind == Reminder.Kind.SERIES_UNBOOKED:
        if reminder.series.status != Series.Status.ACTIVE or unbooked_sessions(reminder.series) <= 0:
            return Reminder.State.EXPIRED, "No sessions of the series are left to book."
    return None


# --- Dispatching (beat) --------------------------------------------------------------------------
def _recover_stuck(now: dt.datetime) -> None:
    """A row left ``sending`` longer than any send takes: its worker died. Whether the mail server
    had accepted the message cannot be known, so it is tried again (README: the one duplicate)."""
    stuck = Reminder.objects.filter(state=Reminder.State.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)
    stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
        state=Reminder.State.PENDING, claim=None, next_attempt_at=now, updated_at=now,
        last_error="The worker stopped while sending; trying again.",
    )
    # Evaluated again: what is still stuck has used up its attempts.
    stuck.update(state=Reminder.State.FAILED, claim=None, updated_at=now,
                 last_error="The worker stopped while sending, too many times.")


def _restore_after_consent(now: dt.datetime) -> None:
    """Visit reminders cancelled for want of consent come back when the patient agrees again.
    patients/ never calls scheduling, so the sweep notices: a booked visit ahead, whose patient
    now consents, whose reminders were all cancelled before that consent was given."""
    cancelled_before_consent = Reminder.objects.filter(
        visit=OuterRef("pk"), state=Reminder.State.CANCELLED,
        updated_at__lt=OuterRef("patient__reminder_consent_changed_at"),
    )
    live = Reminder.objects.filter(visit=OuterRef("pk")).exclude(state=Reminder.State.CANCELLED)
    visits = list(
        Visit.objects.filter(status=Visit.Status.BOOKED, starts_at__gt=now, patient__reminder_consent=True)
        .filter(Exists(cancelled_before_consent))
        .exclude(Exists(live))
    )
    if visits:
        with transaction.atomic():
            visit_reminders_replace(visits=visits, note="The patient agreed to reminders again.", now=now)


def reminders_dispatch(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Queues every reminder whose time has come (and re-queues any whose message was lost);
    returns their ids. The tasks are published after the commit, so a worker never sees a row
    that is not yet ``queued``; an unreachable broker leaves the rows for the next sweep."""
    now = now or timezone.now()
    _recover_stuck(now)
    _restore_after_consent(now)
    with transaction.atomic():
        due = Q(state=Reminder.State.PENDING, next_attempt_at__lte=now) | Q(
            state=Reminder.State.QUEUED, queued_at__lt=now - QUEUED_STALE_AFTER
        )
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Reminder.objects.filter(pk__in=ids).update(state=Reminder.State.QUEUED, queued_at=now, updated_at=now)
            transaction.on_commit(lambda: _publish(ids))
    return ids


def _publish(ids: list[int]) -> None:
    # Imported here: the tasks module imports this one.
    from scheduling.tasks import send_reminder

    for index, pk in enumerate(ids):
        try:
            send_reminder.delay(pk)
        except (KombuError, OSError):
            # The broker is unreachable (kombu wraps connection errors) or its folder unwritable.
            left = ids[index:]
            logger.warning("Broker unreachable: %d reminder(s) left pending for the next sweep.", len(left),
                           exc_info=True)
            # Only rows still queued by this sweep: a worker may already have taken an earlier one.
            Reminder.objects.filter(pk__in=left, state=Reminder.State.QUEUED).update(
                state=Reminder.State.PENDING, queued_at=None, updated_at=timezone.now()
            )
            return


# --- Sending (worker) ----------------------------------------------------------------------------
def _finish(reminder_id: int, claim: uuid.UUID, **fields) -> bool:
    """Ends our claim: only if the row is still ours (not taken over after we were presumed dead)."""
    fields.setdefault("updated_at", timezone.now())
    return bool(
        Reminder.objects.filter(pk=reminder_id, state=Reminder.State.SENDING, claim=claim).update(claim=None, **fields)
    )


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd, 4th failed attempt."""
    return RETRY_BACKOFF * 2 ** (attempts - 1)


def reminder_send(*, reminder_id: int) -> str:
    """Sends one reminder if this call wins the claim; returns what became of it (for logs)."""
    from scheduling.reminder_mail import reminder_message  # templates and links; not needed by booking

    now = timezone.now()
    claim = uuid.uuid4()
    won = Reminder.objects.filter(
        pk=reminder_id, state__in=Reminder.WAITING, next_attempt_at__lte=now
    ).update(state=Reminder.State.SENDING, claim=claim, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    if not won:
        # Sent, cancelled, taken by another worker, or not due: nothing to do.
        return "not claimed"
    reminder = Reminder.objects.select_related(
        "patient", "visit__practitioner", "visit__appointment_type", "series__practitioner"
    ).get(pk=reminder_id)
    reason = pointless(reminder, now=now)
    if reason:
        _finish(reminder_id, claim, state=reason[0], note=reason[1])
        return reason[0]
    try:
        message = reminder_message(reminder)
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        # The server refuses the address itself: trying again cannot help.
        _finish(reminder_id, claim, state=Reminder.State.FAILED, last_error=_describe(exc))
        return Reminder.State.FAILED
    except OSError as exc:
        # smtplib.SMTPException, ConnectionError and timeouts are all OSErrors: the mail server
        # is down or busy, which passes. Try again later, then give up and show it to staff.
        attempts = reminder.attempts
        if attempts >= MAX_ATTEMPTS:
            _finish(reminder_id, claim, state=Reminder.State.FAILED, last_error=_describe(exc))
            return Reminder.State.FAILED
        _finish(
            reminder_id, claim, state=Reminder.State.PENDING, last_error=_describe(exc),
            next_attempt_at=timezone.now() + retry_delay(attempts),
        )
        return "retry"
    except Exception as exc:
        # A bug (a template error...): retrying would fail the same way. Staff see it as failed
        # and the worker logs the traceback.
        _finish(reminder_id, claim, state=Reminder.State.FAILED, last_error=_describe(exc))
        raise
    if not _finish(reminder_id, claim, state=Reminder.State.SENT, sent_at=timezone.now(), last_error=""):
        logger.warning("Reminder %s was sent but taken over meanwhile (presumed dead worker).", reminder_id)
    return Reminder.State.SENT


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


# --- Staff and patient actions ------------------------------------------------------------------
def reminder_send_again(*, reminder: Reminder, by) -> bool:
    """Puts a failed reminder back in line (staff's "Send again"); it goes out within a minute,
    or at once if the broker is up. False if it was not failed (e.g. someone else did it first)."""
    now = timezone.now()
    with transaction.atomic():
        again = Reminder.objects.filter(pk=reminder.pk, state=Reminder.State.FAILED).update(
            state=Reminder.State.QUEUED, queued_at=now, attempts=0, next_attempt_at=now, note="", updated_at=now
        )
        if again:
            audit_record(user=by, action="change", obj=reminder, patient_id=reminder.patient_id, summary="Send again")
            transaction.on_commit(lambda: _publish([reminder.pk]))
    return bool(again)


def reminders_stop(*, patient: Patient) -> int:
    """The patient's "stop e-mails" link: withdraws reminder consent (dated, as intake does) and
    cancels every reminder still waiting. Returns how many were cancelled."""
    with transaction.atomic():
        reminder_consent_withdraw(by=None, patient=patient, summary="Reminder consent withdrawn through the e-mail link")
        count = _cancel(Reminder.objects.filter(patient=patient), "The patient asked to stop reminder e-mails.")
    return count


def patient_request_create(*, reminder: Reminder, kind: str, note: str = "") -> PatientRequest:
    request = PatientRequest.objects.create(
        kind=kind, patient_id=reminder.patient_id, visit_id=reminder.visit_id, series_id=reminder.series_id,
        reminder=reminder, note=(note or "").strip()[:300],
    )
    audit_record(user=None, action="create", obj=request, patient_id=reminder.patient_id,
                 summary=f"Patient asked: {request.get_kind_display()}")
    return request


def patient_request_handle(*, request: PatientRequest, by) -> bool:
    now = timezone.now()
    done = PatientRequest.objects.filter(pk=request.pk, handled_at__isnull=True).update(handled_at=now, handled_by=by)
    if done:
        audit_record(user=by, action="change", obj=request, patient_id=request.patient_id, summary="Request handled")
    return bool(done)
