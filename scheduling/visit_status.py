"""A visit's life after booking: the patient confirms, arrives (or the arrival is undone), is in
treatment once the acupuncturist passed the session check, is treated (completed) or not treated
(with a reason), misses it (no-show), or it is cancelled by the clinic or the patient (a patient's
within ``late_cancel_hours`` is flagged late), optionally with a make-up session at the end of the
series.

Which status may follow which, and who may make each change, is ``Visit.TRANSITIONS``; each
function here locks the row, makes the change through ``Visit.change_status`` and keeps reminders,
series and maintenance in step in the same transaction.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scheduling.availability import Availability
from scheduling.clock import clinic_zone, to_local
from scheduling.errors import BookingError, database_clash_is_slot_taken
from scheduling.freed_slots import slot_freed
from scheduling.maintenance import maintenance_restart
from scheduling.models import AppointmentType, ClinicSettings, FreedSlot, Series, Visit
from scheduling.proposal import MAX_SHIFT_DAYS, MIN_GAP_DAYS, nearest_slot, search_days
from scheduling.reminders.upkeep import maintenance_reminders_refresh, series_reminder_refresh, visit_reminders_replace
from scheduling.tasks import notify_booked, notify_cancelled
from staff.audit import audit_record


def visit_confirm(*, visit: Visit) -> Visit:
    """The patient confirmed the visit through the link in their reminder e-mail."""
    with transaction.atomic():
        visit = Visit.objects.locked(visit.pk)
        visit.refuse_unless(Visit.CHANGEABLE, "confirmed")
        visit.confirmed_at = timezone.now()
        visit.save(update_fields=["confirmed_at", "updated_at"])
        audit_record(user=None, action="change", obj=visit, patient_id=visit.patient_id,
                     summary="Confirmed by the patient (e-mail link)")
    return visit


def _status_change(*, visit: Visit, status: str, by, summary: str, reason: str = "") -> Visit:
    """Locks the visit, changes its status and keeps its reminders in step: a visit that still
    holds its time gets its reminder anew (or none once arrived); one that will not happen also
    frees its series' session and maintenance reminders."""
    with transaction.atomic():
        visit = Visit.objects.locked(visit.pk)
        visit.change_status(status, at=timezone.now(), reason=reason)
        if status in Visit.BLOCKING:
            visit_reminders_replace(visits=[visit], note=f"The visit is now {visit.get_status_display().lower()}.")
        else:
            _reminders_after_visit_ends(visit)
        audit_record(user=by, action="change", obj=visit, patient_id=visit.patient_id,
                     summary=f"{summary}: {visit.cancel_reason}" if visit.cancel_reason else summary)
    return visit


def visit_mark_arrived(*, visit: Visit, by) -> Visit:
    return _status_change(visit=visit, status=Visit.Status.ARRIVED, by=by, summary="Arrived")


def visit_undo_arrival(*, visit: Visit, by) -> Visit:
    """A mistaken "Mark arrived": the visit is booked again (and gets its reminder back if ahead)."""
    return _status_change(visit=visit, status=Visit.Status.BOOKED, by=by, summary="Arrival undone")


def visit_mark_no_show(*, visit: Visit, by) -> Visit:
    return _status_change(visit=visit, status=Visit.Status.NO_SHOW, by=by, summary="No-show")


def visit_mark_not_treated(*, visit: Visit, reason: str, by) -> Visit:
    """The patient arrived but was not treated (e.g. today's screening blocks treatment): the
    session counts as not done, so its series has a session left to book."""
    return _status_change(visit=visit, status=Visit.Status.NOT_TREATED, by=by, summary="Not treated", reason=reason)


def visit_treatment_start(*, visit: Visit, by) -> bool:
    """The acupuncturist passed the session check at the visit: the visit is *in treatment* (an
    arrived visit with ``treatment_started_at``; a booked one is marked arrived too, the patient is
    on the couch). Called by treatments' session check. Only a visit of today, still open, starts:
    a record written after the day has no live stage to show. True if the visit is in treatment."""
    with transaction.atomic():
        visit = Visit.objects.locked(visit.pk)
        now = timezone.now()
        if visit.treatment_started_at or not visit.is_open or to_local(visit.starts_at).date() != to_local(now).date():
            return visit.in_treatment
        if visit.status == Visit.Status.BOOKED:
            visit.change_status(Visit.Status.ARRIVED, at=now)
            visit_reminders_replace(visits=[visit], note="The visit is now arrived.")
        visit.treatment_started_at = now
        visit.save(update_fields=["treatment_started_at", "updated_at"])
        audit_record(user=by, action="change", obj=visit, patient_id=visit.patient_id,
                     summary="In treatment (session check passed)")
    return True


def visit_status_change(*, visit: Visit, status: str, by, reason: str = "") -> Visit:
    """The visit page's status buttons (arrived, undo arrival, no-show, not treated); cancelling
    (``visit_cancel``) and completing (``visit_complete``) have their own steps."""
    if status == Visit.Status.ARRIVED:
        return visit_mark_arrived(visit=visit, by=by)
    if status == Visit.Status.BOOKED:
        return visit_undo_arrival(visit=visit, by=by)
    if status == Visit.Status.NO_SHOW:
        return visit_mark_no_show(visit=visit, by=by)
    if status == Visit.Status.NOT_TREATED:
        return visit_mark_not_treated(visit=visit, reason=reason, by=by)
    raise BookingError("That change has its own step on the visit page.")


def is_late_cancel(visit: Visit, *, now: dt.datetime) -> bool:
    """A cancellation inside the clinic's ``late_cancel_hours`` before the start (elapsed hours)."""
    return visit.starts_at - now < dt.timedelta(hours=ClinicSettings.load().late_cancel_hours)


def visit_cancel(*, visit: Visit, reason: str, by, make_up: bool = False,
                 cancelled_by: str = Visit.CancelledBy.CLINIC) -> Visit | None:
    """Cancels a visit (freeing its time) for the clinic or the patient; a patient's cancellation
    within ``late_cancel_hours`` is flagged late. With ``make_up``, books a replacement session
    after the series' last one, on its cadence at the preferred time or the nearest free time,
    linked to this one; if none can be found nothing is cancelled. Returns the make-up visit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Give a reason for the cancellation."]})
    now = timezone.now()
    with database_clash_is_slot_taken(), transaction.atomic():
        visit = Visit.objects.locked(visit.pk)
        late = cancelled_by == Visit.CancelledBy.PATIENT and is_late_cancel(visit, now=now)
        visit.change_status(Visit.Status.CANCELLED, at=now, reason=reason, cancelled_by=cancelled_by, late_cancel=late)
        slot_freed(visit=visit, starts_at=visit.starts_at, ends_at=visit.ends_at, cause=FreedSlot.Cause.CANCELLED)
        audit_record(user=by, action="change", obj=visit, patient_id=visit.patient_id,
                     summary=f"Cancelled by {visit.get_cancelled_by_display()}{' (late)' if late else ''}: {reason}")
        extra = _book_make_up(visit=visit, by=by, tz=clinic_zone()) if make_up else None
        _reminders_after_visit_ends(visit, extra=extra)
        # The patient is told after commit: the cancellation, and the make-up session if booked.
        notify_cancelled(visit_ids=[visit.pk])
        if extra:
            notify_booked(visit_ids=[extra.pk])
    return extra


def _make_up_slot(series: Series, *, after: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, int, dt.date]:
    """The make-up session's start and room: a cadence after ``after``, at the series' time or
    the nearest free time around that day; and the day it aimed for."""
    target_day = to_local(after, tz).date() + dt.timedelta(days=series.cadence_days)
    max_shift = MAX_SHIFT_DAYS[series.cadence_days]
    availability = Availability(
        practitioner=series.practitioner,
        first_day=target_day - dt.timedelta(days=max_shift),
        last_day=target_day + dt.timedelta(days=max_shift),
        patient_id=series.patient_id,
        tz=tz,
    )
    found = nearest_slot(
        availability,
        days=search_days(target_day, max_shift),
        preferred_time=series.preferred_time,
        duration=series.appointment_type.duration,
        earliest_day=to_local(after, tz).date() + dt.timedelta(days=MIN_GAP_DAYS[series.cadence_days]),
        now=timezone.now(),
    )
    if found is None:
        raise BookingError(
            f"No free time for a make-up session around {target_day:%a %d %b %Y}; nothing was cancelled. "
            "Cancel without a make-up session and book it by hand."
        )
    return found, availability.free_room(starts_at=found, ends_at=found + series.appointment_type.duration), target_day


def _book_make_up(*, visit: Visit, by, tz: ZoneInfo) -> Visit:
    series = visit.series
    if series is None:
        raise BookingError("Only a session of a series can get a make-up session.")
    series_visits = list(series.visits.all())
    after = max((v.starts_at for v in series_visits if v.status in Visit.BLOCKING), default=visit.starts_at)
    starts_at, room_id, target_day = _make_up_slot(series, after=after, tz=tz)
    local = to_local(starts_at, tz)
    make_up = Visit.objects.create(
        patient_id=series.patient_id,
        practitioner=series.practitioner,
        room_id=room_id,
        appointment_type=series.appointment_type,
        series=series,
        sequence=max(v.sequence for v in series_visits) + 1,
        starts_at=starts_at,
        ends_at=starts_at + series.appointment_type.duration,
        shifted=local.time() != series.preferred_time or local.date() != target_day,
        make_up_for=visit,
        created_by=by,
    )
    audit_record(user=by, action="create", obj=make_up, patient_id=series.patient_id, summary="Booked a make-up session")
    return make_up


def _reminders_after_visit_ends(visit: Visit, *, extra: Visit | None = None) -> None:
    """A visit that will not happen (cancelled, missed, not treated): its reminder goes, a make-up gets one,
    its series may now have sessions to book, and a lost maintenance visit brings back the
    maintenance reminders."""
    note = f"The visit is {visit.get_status_display().lower()}."
    visit_reminders_replace(visits=[visit, extra] if extra else [visit], note=note)
    if visit.series_id:
        series_reminder_refresh(series=visit.series)
    if visit.appointment_type.kind == AppointmentType.Kind.MAINTENANCE:
        maintenance_reminders_refresh(patient_id=visit.patient_id)


def visit_complete(*, visit: Visit, by) -> Visit:
    """Marks the visit done. Called by treatments when the session record is saved (and usable
    without any front-desk step). Completing the last open visit of a series completes the series
    and starts maintenance; completing a maintenance visit sets the next maintenance due date."""
    with transaction.atomic():
        visit = Visit.objects.locked(visit.pk)
        visit.change_status(Visit.Status.COMPLETED, at=timezone.now())
        visit_reminders_replace(visits=[visit], note="The visit is completed.")
        day = to_local(visit.starts_at).date()
        if visit.series is not None:
            # Lock the series so two visits completed at once cannot both miss "last one done".
            series = Series.objects.select_for_update().get(pk=visit.series_id)
            if not series.visits.filter(status__in=Visit.OPEN).exists():
                series.status, series.completed_on = Series.Status.COMPLETED, day
                series.save(update_fields=["status", "completed_on"])
                series_reminder_refresh(series=series)
                maintenance_restart(patient_id=visit.patient_id, day=day)
        if visit.appointment_type.kind == AppointmentType.Kind.MAINTENANCE:
            maintenance_restart(patient_id=visit.patient_id, day=day)
        audit_record(user=by, action="change", obj=visit, patient_id=visit.patient_id, summary="Completed")
    return visit
