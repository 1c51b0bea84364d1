"""Keeping reminder rows in step with what they remind of: visits booked, moved or cancelled,
a series left with sessions to book, the maintenance due date, the patient's consent.

The booking functions call these inside their own transactions, so a visit and its reminder
change together; this is the only reminder module they import. Sending lives in ``outbox`` and
``sending``.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from patients.intake import reminder_consent_withdraw
from patients.models import Patient
from scheduling.clock import local_datetime
from scheduling.models import AppointmentType, ClinicSettings, MaintenanceSchedule, Reminder, Series, Visit

# Maintenance reminders go out at this local time of day (on the day before-hand and on the due date).
MAINTENANCE_SEND_TIME = dt.time(9)
# The reminder on the due date stays worth sending this long; the one before it, until it comes.
MAINTENANCE_DUE_VALID = dt.timedelta(days=7)
# A series left with unbooked sessions: the patient hears about it a day later (time for the front
# desk to rebook on the phone first), and not at all once two weeks have gone by.
SERIES_FOLLOW_UP_DELAY = dt.timedelta(days=1)
SERIES_FOLLOW_UP_VALID = dt.timedelta(days=14)


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
    _cancel(Reminder.objects.filter(kind=Reminder.Kind.VISIT_UPCOMING, visit__in=[v.pk for v in visits]), note)
    return visit_reminders_add(visits=visits, now=now)


def visit_reminders_add(*, visits: list[Visit], now: dt.datetime | None = None) -> list[Reminder]:
    """For visits just created (nothing to cancel yet): a reminder for each one booked and
    ahead. Call inside the booking's transaction."""
    now = now or timezone.now()
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


def reminders_stop(*, patient: Patient) -> int:
    """The patient's "stop e-mails" link: withdraws reminder consent (dated, as intake does) and
    cancels every reminder still waiting. Returns how many were cancelled."""
    with transaction.atomic():
        reminder_consent_withdraw(by=None, patient=patient, summary="Reminder consent withdrawn through the e-mail link")
        count = patient_reminders_cancel(patient=patient, note="The patient asked to stop reminder e-mails.")
    return count


def patient_reminders_cancel(*, patient: Patient, note: str) -> int:
    """Cancels every reminder of the patient still waiting to go out; returns how many."""
    return _cancel(Reminder.objects.filter(patient=patient), note)


def reminders_restore_after_consent(*, now: dt.datetime) -> None:
    """Visit reminders cancelled for want of consent come back when the patient agrees again.
    patients/ never calls scheduling, so the sweep notices: a booked visit ahead, whose patient
    now consents, whose reminders were all cancelled before that consent was given."""
    # Visit reminders only: a health check sent before the consent was withdrawn is no reminder.
    cancelled_before_consent = Reminder.objects.filter(
        visit=OuterRef("pk"), kind=Reminder.Kind.VISIT_UPCOMING, state=Reminder.State.CANCELLED,
        updated_at__lt=OuterRef("patient__reminder_consent_changed_at"),
    )
    live = Reminder.objects.filter(visit=OuterRef("pk"), kind=Reminder.Kind.VISIT_UPCOMING).exclude(
        state=Reminder.State.CANCELLED
    )
    visits = list(
        Visit.objects.filter(status=Visit.Status.BOOKED, starts_at__gt=now, patient__reminder_consent=True)
        .filter(Exists(cancelled_before_consent))
        .exclude(Exists(live))
    )
    if visits:
        with transaction.atomic():
            visit_reminders_replace(visits=visits, note="The patient agreed to reminders again.", now=now)
