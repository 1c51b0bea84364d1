"""Every write to series and visits: views, demo data, tests (and treatments, for completing a
visit) call these functions, so each rule lives in one place.

No double booking: each function checks the time inside ``transaction.atomic``. On SQLite the
settings open every transaction with BEGIN IMMEDIATE, so check and insert are serialized with
any other writer. On PostgreSQL two transactions can both pass the check; the exclusion
constraints (migration 0002) then refuse the second insert, which we turn into ``SlotTaken``.

Reminders follow every change in the same transaction (``scheduling.reminders``): a booked visit
gets its reminder row, a moved one a new row in place of the old, a cancelled one none; booking
maintenance cancels the maintenance reminders, a new due date makes new ones.
"""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from patients.models import Patient
from scheduling.availability import Availability, Problem
from scheduling.clock import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    clinic_zone,
    local_datetime,
    to_local,
)
from scheduling.models import AppointmentType, ClinicSettings, MaintenanceSchedule, Practitioner, Series, Visit
from scheduling.reminders import maintenance_reminders_refresh, series_reminder_refresh, visit_reminders_replace
from staff.audit import audit_record

# PostgreSQL error codes: exclusion_violation, and deadlock_detected (two bookings waiting on
# each other's rows; one is rolled back, which for the user is the same as "someone was faster").
_OVERLAP_CODES = {"23P01", "40P01"}


class BookingError(ValidationError):
    """The booking cannot be made as asked (closed, outside hours, wrong state...)."""


class SlotTaken(BookingError):
    """Another booking holds the time (possibly made a moment ago by someone else)."""


def _is_overlap(exc: Exception) -> bool:
    cause = exc.__cause__
    # psycopg2 calls the SQLSTATE "pgcode", psycopg 3 "sqlstate".
    return (getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)) in _OVERLAP_CODES


@contextmanager
def _database_clash_is_slot_taken():
    """A clash the database caught (exclusion constraint, or a deadlock between two bookings)
    becomes the same clear SlotTaken the in-transaction check raises, never a 500."""
    try:
        yield
    except (IntegrityError, OperationalError) as exc:
        if _is_overlap(exc):
            raise SlotTaken(
                "Someone else booked one of these times a moment ago. Nothing was booked; please choose again.",
                code="slot_taken",
            ) from exc
        raise


def _check(availability: Availability, *, starts_at: dt.datetime, ends_at: dt.datetime, room_id: int | None, label: str = "") -> None:
    problem = availability.problem(starts_at=starts_at, ends_at=ends_at, room_id=room_id)
    if problem:
        when = f"{label}{to_local(starts_at, availability.tz):%a %d %b %Y %H:%M}: "
        raise (SlotTaken if problem.conflict else BookingError)(when + problem.message)


def _now() -> dt.datetime:
    return timezone.now()


# --- Series proposal ---------------------------------------------------------------------------
# A shifted session may move this many days from its cadence date, and must stay at least this
# many days after the one before, so the course keeps its rhythm.
MAX_SHIFT_DAYS = {7: 2, 14: 3}
MIN_GAP_DAYS = {7: 4, 14: 8}


@dataclass
class ProposedSession:
    sequence: int
    appointment_type: AppointmentType
    target_day: dt.date
    starts_at: dt.datetime | None = None
    room_id: int | None = None
    shifted: bool = False
    note: str = ""

    @property
    def ends_at(self) -> dt.datetime | None:
        return self.starts_at + self.appointment_type.duration if self.starts_at else None


@dataclass
class SeriesProposal:
    patient: Patient
    practitioner: Practitioner
    appointment_type: AppointmentType
    sessions_planned: int
    cadence_days: int
    first_day: dt.date
    preferred_time: dt.time
    first_appointment_type: AppointmentType | None = None
    fold: int | None = None
    sessions: list[ProposedSession] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(s.starts_at is not None for s in self.sessions)

    @property
    def shifted_count(self) -> int:
        return sum(1 for s in self.sessions if s.shifted)


def _validate_series_request(*, sessions: int, cadence_days: int, first_day: dt.date, now: dt.datetime) -> None:
    errors = {}
    if not Series.MIN_SESSIONS <= sessions <= Series.MAX_SESSIONS:
        errors["sessions"] = [f"A series has {Series.MIN_SESSIONS} to {Series.MAX_SESSIONS} sessions."]
    if cadence_days not in Series.Cadence.values:
        errors["cadence_days"] = ["Choose weekly or every other week."]
    if first_day < now.date():
        errors["first_day"] = ["The first session cannot be in the past."]
    if errors:
        raise ValidationError(errors)


def _search_days(target_day: dt.date, max_shift: int) -> list[dt.date]:
    """The target day, then a day later, a day earlier, two days later, ..."""
    days = [target_day]
    for distance in range(1, max_shift + 1):
        days += [target_day + dt.timedelta(days=distance), target_day - dt.timedelta(days=distance)]
    return days


def _nearest_slot(
    availability: Availability,
    *,
    days: list[dt.date],
    preferred_time: dt.time,
    duration: dt.timedelta,
    earliest_day: dt.date | None,
    now: dt.datetime,
) -> dt.datetime | None:
    """On the first of ``days`` that has free time, the free start closest to
    ``preferred_time`` (among equally close times the earlier one). Its room is the caller's
    to choose (``free_room``), so a series reads the rooms of all its sessions at once."""
    preferred_minutes = preferred_time.hour * 60 + preferred_time.minute

    def closeness(start):
        local = to_local(start, availability.tz)
        return abs(local.hour * 60 + local.minute - preferred_minutes), start

    for day in days:
        if (earliest_day and day < earliest_day) or not availability.first_day <= day <= availability.last_day:
            continue
        starts = [s for s in availability.free_starts(day, duration) if s > now]
        if starts:
            return min(starts, key=closeness)
    return None


def series_propose(
    *,
    patient: Patient,
    practitioner: Practitioner,
    appointment_type: AppointmentType,
    sessions: int,
    cadence_days: int,
    first_day: dt.date,
    preferred_time: dt.time,
    first_appointment_type: AppointmentType | None = None,
    fold: int | None = None,
    tz: ZoneInfo | None = None,
    now: dt.datetime | None = None,
) -> SeriesProposal:
    """Places every session of a series without writing anything; see ``SeriesProposal.sessions``
    for each one's time, room, and whether (and why) it was shifted from its cadence date."""
    tz = tz or clinic_zone()
    now = now or _now()
    _validate_series_request(sessions=sessions, cadence_days=cadence_days, first_day=first_day, now=to_local(now, tz))
    try:
        # What the user typed must be a real, unambiguous time on the first day.
        local_datetime(first_day, preferred_time, tz=tz, fold=fold)
    except (NonexistentLocalTime, AmbiguousLocalTime) as exc:
        raise ValidationError({"preferred_time": exc.messages}) from None

    proposal = SeriesProposal(
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        sessions_planned=sessions,
        cadence_days=cadence_days,
        first_day=first_day,
        preferred_time=preferred_time,
        first_appointment_type=first_appointment_type,
        fold=fold,
    )
    max_shift = MAX_SHIFT_DAYS[cadence_days]
    last_target = first_day + dt.timedelta(days=cadence_days * (sessions - 1))
    availability = Availability(
        practitioner=practitioner,
        first_day=first_day - dt.timedelta(days=max_shift),
        # Room for sessions pushed past closures (each push is at most two cadences).
        last_day=last_target + dt.timedelta(days=max_shift + 4 * cadence_days),
        patient_id=patient.pk,
        tz=tz,
    )
    previous_day: dt.date | None = None
    # The cadence counts from here; a session pushed past a closure moves it on (see below).
    anchor_day, anchor_index = first_day, 0
    for index in range(sessions):
        kind = first_appointment_type if index == 0 and first_appointment_type else appointment_type
        # Local date arithmetic: the same wall-clock time every week, whatever the clocks do.
        target_day = anchor_day + dt.timedelta(days=cadence_days * (index - anchor_index))
        session = ProposedSession(sequence=index + 1, appointment_type=kind, target_day=target_day)
        proposal.sessions.append(session)
        earliest = previous_day + dt.timedelta(days=MIN_GAP_DAYS[cadence_days]) if previous_day else None
        try:
            target = local_datetime(target_day, preferred_time, tz=tz, fold=fold or 0)
        except NonexistentLocalTime:
            target, reason = None, f"{preferred_time:%H:%M} does not exist that day (clock change)."
        else:
            problem = (
                Problem("That time has passed.") if target <= now
                else availability.problem(starts_at=target, ends_at=target + kind.duration)
            )
            if problem is None:
                session.starts_at = target
            reason = problem.message if problem else ""
        if session.starts_at is None:
            search = dict(preferred_time=preferred_time, duration=kind.duration, earliest_day=earliest, now=now)
            found = _nearest_slot(availability, days=_search_days(target_day, max_shift), **search)
            if found:
                session.starts_at = found
                session.shifted = True
                session.note = f"Not at {target_day:%a %d %b} {preferred_time:%H:%M}: {reason}"
            else:
                # Nothing near the date (typically a holiday closure): take the first free day
                # after it, and let the rest of the series keep its rhythm from there rather
                # than crowding the sessions after the break.
                later = [target_day + dt.timedelta(days=d) for d in range(max_shift + 1, 2 * cadence_days + 1)]
                found = _nearest_slot(availability, days=later, **search)
                if found is None:
                    session.note = (
                        f"No free time near {target_day:%a %d %b}: {reason} Try another time of day or practitioner."
                    )
                    continue
                session.starts_at = found
                session.shifted = True
                # The next session goes back to the series' weekday, a sensible gap later.
                anchor_day = to_local(session.starts_at, tz).date() + dt.timedelta(days=MIN_GAP_DAYS[cadence_days])
                anchor_day += dt.timedelta(days=(first_day.weekday() - anchor_day.weekday()) % 7)
                anchor_index = index + 1
                session.note = (
                    f"Pushed back from {target_day:%a %d %b}: {reason} "
                    f"The following sessions continue from {anchor_day:%a %d %b}."
                )
        # Its room comes below: sessions never overlap each other, so none takes another's room.
        availability.hold(starts_at=session.starts_at, ends_at=session.ends_at, room_id=None)
        previous_day = to_local(session.starts_at, tz).date()
    placed = [s for s in proposal.sessions if s.starts_at]
    availability.prefetch_rooms([(s.starts_at, s.ends_at) for s in placed])  # one query for all
    for session in placed:
        session.room_id = availability.free_room(starts_at=session.starts_at, ends_at=session.ends_at)
    return proposal


def series_book(*, proposal: SeriesProposal, by, now: dt.datetime | None = None) -> Series:
    """Books all sessions of a proposal in one transaction, or none of them.

    ``now`` (and the same argument of ``series_propose``) is only for recording history, such as
    the demo clinic's past visits; bookings made by staff always count from the present."""
    if not proposal.sessions or not proposal.complete:
        raise BookingError("Some sessions have no time yet: change the proposal before booking.")
    if len(proposal.sessions) != proposal.sessions_planned:
        raise BookingError("The proposal does not have one time per session.")
    tz = clinic_zone()
    days = [to_local(s.starts_at, tz).date() for s in proposal.sessions]
    now = now or _now()
    with _database_clash_is_slot_taken():
        with transaction.atomic():
            availability = Availability(
                practitioner=proposal.practitioner,
                first_day=min(days),
                last_day=max(days),
                patient_id=proposal.patient.pk,
                tz=tz,
            )
            availability.prefetch_rooms([(s.starts_at, s.ends_at) for s in proposal.sessions])
            for session in proposal.sessions:
                if session.starts_at <= now:
                    raise BookingError(f"Session {session.sequence} is in the past.")
                _check(
                    availability,
                    starts_at=session.starts_at,
                    ends_at=session.ends_at,
                    room_id=session.room_id,
                    label=f"Session {session.sequence}, ",
                )
                availability.hold(starts_at=session.starts_at, ends_at=session.ends_at, room_id=session.room_id)
            series = Series.objects.create(
                patient=proposal.patient,
                practitioner=proposal.practitioner,
                appointment_type=proposal.appointment_type,
                sessions_planned=proposal.sessions_planned,
                cadence_days=proposal.cadence_days,
                first_day=proposal.first_day,
                preferred_time=proposal.preferred_time,
                created_by=by,
            )
            visits = Visit.objects.bulk_create(
                Visit(
                    patient=proposal.patient,
                    practitioner=proposal.practitioner,
                    room_id=session.room_id,
                    appointment_type=session.appointment_type,
                    series=series,
                    sequence=session.sequence,
                    starts_at=session.starts_at,
                    ends_at=session.ends_at,
                    shifted=session.shifted,
                    created_by=by,
                )
                for session in proposal.sessions
            )
            # Counted from the real present even when ``now`` records history (the demo's past
            # sessions get no reminder).
            visit_reminders_replace(visits=visits, note="")
            audit_record(
                user=by, action="create", obj=series, patient_id=proposal.patient.pk,
                summary=f"Booked a series of {proposal.sessions_planned} sessions",
            )
    return series


# --- Single visits -----------------------------------------------------------------------------
def visit_book(
    *,
    patient: Patient,
    practitioner: Practitioner,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    by,
    room_id: int | None = None,
) -> Visit:
    """One visit outside a series (a follow-up, or a maintenance visit)."""
    if starts_at <= _now():
        raise BookingError("That time has passed.")
    ends_at = starts_at + appointment_type.duration
    day = to_local(starts_at).date()
    with _database_clash_is_slot_taken():
        with transaction.atomic():
            availability = Availability(practitioner=practitioner, first_day=day, last_day=day, patient_id=patient.pk)
            _check(availability, starts_at=starts_at, ends_at=ends_at, room_id=room_id)
            visit = Visit.objects.create(
                patient=patient,
                practitioner=practitioner,
                appointment_type=appointment_type,
                room_id=room_id or availability.free_room(starts_at=starts_at, ends_at=ends_at),
                starts_at=starts_at,
                ends_at=ends_at,
                created_by=by,
            )
            visit_reminders_replace(visits=[visit], note="")
            if appointment_type.kind == AppointmentType.Kind.MAINTENANCE:
                maintenance_reminders_refresh(patient_id=patient.pk)
            audit_record(user=by, action="create", obj=visit, patient_id=patient.pk, summary=f"Booked {appointment_type.name}")
    return visit


def _locked(visit: Visit) -> Visit:
    """A fresh copy of the visit, row-locked until the transaction ends (two staff changing the
    same visit at once go one after the other, each seeing the other's result)."""
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("practitioner", "appointment_type", "series")
        .get(pk=visit.pk)
    )


def _require_status(visit: Visit, allowed: tuple, action: str) -> None:
    if visit.status not in allowed:
        raise BookingError(f"A visit that is {visit.get_status_display().lower()} cannot be {action}.")


def visit_move(*, visit: Visit, starts_at: dt.datetime, by, room_id: int | None = None) -> Visit:
    """Moves one visit; the rest of its series stays where it is."""
    with _database_clash_is_slot_taken():
        with transaction.atomic():
            visit = _locked(visit)
            _require_status(visit, (Visit.Status.BOOKED,), "moved")
            if starts_at <= _now():
                raise BookingError("That time has passed.")
            ends_at = starts_at + (visit.ends_at - visit.starts_at)
            day = to_local(starts_at).date()
            availability = Availability(
                practitioner=visit.practitioner, first_day=day, last_day=day,
                patient_id=visit.patient_id, ignore_visit_ids=[visit.pk],
            )
            _check(availability, starts_at=starts_at, ends_at=ends_at, room_id=room_id)
            old = visit.starts_at
            visit.room_id = room_id or availability.free_room(starts_at=starts_at, ends_at=ends_at, prefer=visit.room_id)
            visit.starts_at, visit.ends_at = starts_at, ends_at
            # A confirmation was for the old time.
            visit.confirmed_at = None
            visit.save(update_fields=["starts_at", "ends_at", "room", "confirmed_at", "updated_at"])
            visit_reminders_replace(visits=[visit], note="The visit was moved.")
            audit_record(
                user=by, action="change", obj=visit, patient_id=visit.patient_id,
                summary=f"Moved from {to_local(old):%d %b %Y %H:%M} to {to_local(starts_at):%d %b %Y %H:%M}",
            )
    return visit


def visit_move_following(*, visit: Visit, starts_at: dt.datetime, by) -> list[Visit]:
    """Moves this visit and every later booked visit of its series by the same shift, counted in
    local days and wall-clock time (Tue 10:00 → Thu 11:00 moves each later Tuesday 10:00 to that
    week's Thursday 11:00). All move, or none do."""
    if visit.series_id is None:
        raise BookingError("This visit is not part of a series.")
    tz = clinic_zone()
    with _database_clash_is_slot_taken():
        with transaction.atomic():
            visit = _locked(visit)
            _require_status(visit, (Visit.Status.BOOKED,), "moved")
            if starts_at <= _now():
                raise BookingError("That time has passed.")
            following = list(
                Visit.objects.select_for_update()
                .filter(series_id=visit.series_id, status=Visit.Status.BOOKED, starts_at__gte=visit.starts_at)
                .order_by("starts_at")
            )
            old_local, new_local = to_local(visit.starts_at, tz), to_local(starts_at, tz)
            day_shift = new_local.date() - old_local.date()
            time_shift = dt.datetime.combine(dt.date.min, new_local.time()) - dt.datetime.combine(dt.date.min, old_local.time())
            moves: list[tuple[Visit, dt.datetime]] = []
            for other in following:
                if other.pk == visit.pk:
                    moves.append((other, starts_at))
                    continue
                wall = to_local(other.starts_at, tz).replace(tzinfo=None) + day_shift + time_shift
                try:
                    new_start = local_datetime(wall.date(), wall.time(), tz=tz, fold=0)
                except NonexistentLocalTime as exc:
                    raise BookingError(f"Session {other.sequence}: {exc.messages[0]}") from None
                moves.append((other, new_start))
            new_days = [to_local(start, tz).date() for _, start in moves]
            availability = Availability(
                practitioner=visit.practitioner, first_day=min(new_days), last_day=max(new_days),
                patient_id=visit.patient_id, ignore_visit_ids=[v.pk for v, _ in moves], tz=tz,
            )
            availability.prefetch_rooms([(start, start + (v.ends_at - v.starts_at)) for v, start in moves])
            for other, new_start in moves:
                new_end = new_start + (other.ends_at - other.starts_at)
                room = availability.free_room(starts_at=new_start, ends_at=new_end, prefer=other.room_id)
                _check(availability, starts_at=new_start, ends_at=new_end, room_id=room, label=f"Session {other.sequence}, ")
                availability.hold(starts_at=new_start, ends_at=new_end, room_id=room)
                other.room_id = room
            # Write the far end first, so no row ever lands on a neighbour that has not moved yet
            # (the exclusion constraints are checked row by row).
            if starts_at > visit.starts_at:
                moves.reverse()
            for other, new_start in moves:
                other.ends_at = new_start + (other.ends_at - other.starts_at)
                other.starts_at = new_start
                other.confirmed_at = None
                other.save(update_fields=["starts_at", "ends_at", "room", "confirmed_at", "updated_at"])
            visit_reminders_replace(visits=[v for v, _ in moves], note="The visit was moved.")
            audit_record(
                user=by, action="change", obj=visit, patient_id=visit.patient_id,
                summary=f"Moved {len(moves)} visits of the series from {old_local:%d %b %Y %H:%M} on",
            )
    return [v for v, _ in sorted(moves, key=lambda m: m[1])]


def visit_cancel(*, visit: Visit, reason: str, by, make_up: bool = False) -> Visit | None:
    """Cancels a visit (freeing its time). With ``make_up``, books a replacement session after the
    series' last one, on its cadence at the preferred time or the nearest free time; if none can
    be found nothing is cancelled. Returns the make-up visit, if any."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Give a reason for the cancellation."]})
    tz = clinic_zone()
    with _database_clash_is_slot_taken():
        with transaction.atomic():
            visit = _locked(visit)
            _require_status(visit, Visit.OPEN, "cancelled")
            visit.status = Visit.Status.CANCELLED
            visit.cancel_reason = reason[:200]
            visit.status_changed_at = _now()
            visit.save(update_fields=["status", "cancel_reason", "status_changed_at", "updated_at"])
            audit_record(user=by, action="change", obj=visit, patient_id=visit.patient_id, summary=f"Cancelled: {reason}")
            extra = _book_make_up(visit=visit, by=by, tz=tz) if make_up else None
            _reminders_after_visit_ends(visit, extra=extra)
    return extra


def _book_make_up(*, visit: Visit, by, tz: ZoneInfo) -> Visit:
    series = visit.series
    if series is None:
        raise BookingError("Only a session of a series can get a make-up session.")
    series_visits = list(series.visits.all())
    live = [v for v in series_visits if v.status in Visit.BLOCKING]
    after = max((v.starts_at for v in live), default=visit.starts_at)
    target_day = to_local(after, tz).date() + dt.timedelta(days=series.cadence_days)
    max_shift = MAX_SHIFT_DAYS[series.cadence_days]
    availability = Availability(
        practitioner=series.practitioner,
        first_day=target_day - dt.timedelta(days=max_shift),
        last_day=target_day + dt.timedelta(days=max_shift),
        patient_id=series.patient_id,
        tz=tz,
    )
    found = _nearest_slot(
        availability,
        days=_search_days(target_day, max_shift),
        preferred_time=series.preferred_time,
        duration=series.appointment_type.duration,
        earliest_day=to_local(after, tz).date() + dt.timedelta(days=MIN_GAP_DAYS[series.cadence_days]),
        now=_now(),
    )
    if found is None:
        raise BookingError(
            f"No free time for a make-up session around {target_day:%a %d %b %Y}; nothing was cancelled. "
            "Cancel without a make-up session and book it by hand."
        )
    starts_at = found
    room_id = availability.free_room(starts_at=starts_at, ends_at=starts_at + series.appointment_type.duration)
    make_up = Visit.objects.create(
        patient_id=series.patient_id,
        practitioner=series.practitioner,
        room_id=room_id,
        appointment_type=series.appointment_type,
        series=series,
        sequence=max(v.sequence for v in series_visits) + 1,
        starts_at=starts_at,
        ends_at=starts_at + series.appointment_type.duration,
        shifted=to_local(starts_at, tz).time() != series.preferred_time or to_local(starts_at, tz).date() != target_day,
        created_by=by,
    )
    audit_record(user=by, action="create", obj=make_up, patient_id=series.patient_id, summary="Booked a make-up session")
    return make_up


def _reminders_after_visit_ends(visit: Visit, *, extra: Visit | None = None) -> None:
    """A visit that will not happen (cancelled, missed): its reminder goes, a make-up gets one,
    its series may now have sessions to book, and a lost maintenance visit brings back the
    maintenance reminders."""
    note = f"The visit is {visit.get_status_display().lower()}."
    visit_reminders_replace(visits=[visit, extra] if extra else [visit], note=note)
    if visit.series_id:
        series_reminder_refresh(series=visit.series)
    if visit.appointment_type.kind == AppointmentType.Kind.MAINTENANCE:
        maintenance_reminders_refresh(patient_id=visit.patient_id)


def visit_mark_arrived(*, visit: Visit, by) -> Visit:
    with transaction.atomic():
        visit = _locked(visit)
        _require_status(visit, (Visit.Status.BOOKED,), "marked arrived")
        if to_local(visit.starts_at).date() != to_local(_now()).date():
            raise BookingError("A patient can only arrive on the day of the visit.")
        visit.status, visit.status_changed_at = Visit.Status.ARRIVED, _now()
        visit.save(update_fields=["status", "status_changed_at", "updated_at"])
        visit_reminders_replace(visits=[visit], note="The patient has arrived.")
        audit_record(user=by, action="change", obj=visit, patient_id=visit.patient_id, summary="Arrived")
    return visit


def visit_mark_no_show(*, visit: Visit, by) -> Visit:
    with transaction.atomic():
        visit = _locked(visit)
        _require_status(visit, (Visit.Status.BOOKED,), "marked as a no-show")
        if visit.starts_at > _now():
            raise BookingError("The visit has not started yet: a patient can only miss it once it has begun.")
        visit.status, visit.status_changed_at = Visit.Status.NO_SHOW, _now()
        visit.save(update_fields=["status", "status_changed_at", "updated_at"])
        _reminders_after_visit_ends(visit)
        audit_record(user=by, action="change", obj=visit, patient_id=visit.patient_id, summary="No-show")
    return visit


def visit_complete(*, visit: Visit, by) -> Visit:
    """Marks the visit done. Called by treatments when the session record is saved (and usable
    without any front-desk step). Completing the last open visit of a series completes the series
    and starts maintenance; completing a maintenance visit sets the next maintenance due date."""
    with transaction.atomic():
        visit = _locked(visit)
        _require_status(visit, Visit.OPEN, "completed")
        now = _now()
        if visit.starts_at > now:
            raise BookingError("A visit cannot be completed before it has started.")
        visit.status, visit.status_changed_at = Visit.Status.COMPLETED, now
        visit.save(update_fields=["status", "status_changed_at", "updated_at"])
        visit_reminders_replace(visits=[visit], note="The visit is completed.")
        day = to_local(visit.starts_at).date()
        series = visit.series
        if series is not None:
            # Lock the series so two visits completed at once cannot both miss "last one done".
            series = Series.objects.select_for_update().get(pk=series.pk)
            if not series.visits.filter(status__in=Visit.OPEN).exists():
                series.status, series.completed_on = Series.Status.COMPLETED, day
                series.save(update_fields=["status", "completed_on"])
                series_reminder_refresh(series=series)
                _maintenance_from(patient_id=visit.patient_id, day=day)
        if visit.appointment_type.kind == AppointmentType.Kind.MAINTENANCE:
            _maintenance_from(patient_id=visit.patient_id, day=day)
        audit_record(user=by, action="change", obj=visit, patient_id=visit.patient_id, summary="Completed")
    return visit


# --- Maintenance -------------------------------------------------------------------------------
def _maintenance_from(*, patient_id: int, day: dt.date) -> MaintenanceSchedule:
    schedule = MaintenanceSchedule.objects.select_for_update().filter(patient_id=patient_id).first()
    weeks = (schedule and schedule.interval_weeks) or ClinicSettings.load().maintenance_weeks
    due = day + dt.timedelta(weeks=weeks)
    if schedule is None:
        schedule = MaintenanceSchedule.objects.create(patient_id=patient_id, since=day, due_on=due)
    else:
        schedule.since, schedule.due_on = day, due
        schedule.save(update_fields=["since", "due_on", "updated_at"])
    maintenance_reminders_refresh(patient_id=patient_id)
    return schedule


def maintenance_set_interval(*, patient: Patient, weeks: int | None, by) -> MaintenanceSchedule:
    """Sets (or, with None, clears) the patient's own maintenance interval; the due date follows."""
    if weeks is not None and not 1 <= weeks <= 26:
        raise ValidationError({"interval_weeks": ["Choose between 1 and 26 weeks."]})
    with transaction.atomic():
        schedule = MaintenanceSchedule.objects.select_for_update().filter(patient=patient).first()
        if schedule is None:
            raise BookingError("The patient has not finished a series yet, so no maintenance is due.")
        schedule.interval_weeks = weeks
        schedule.due_on = schedule.since + dt.timedelta(weeks=weeks or ClinicSettings.load().maintenance_weeks)
        schedule.save(update_fields=["interval_weeks", "due_on", "updated_at"])
        maintenance_reminders_refresh(patient_id=patient.pk)
        audit_record(user=by, action="change", obj=schedule, patient_id=patient.pk, summary=f"Maintenance every {weeks or 'default'} weeks")
    return schedule


def visit_confirm(*, visit: Visit) -> Visit:
    """The patient confirmed the visit through the link in their reminder e-mail."""
    with transaction.atomic():
        visit = _locked(visit)
        _require_status(visit, (Visit.Status.BOOKED,), "confirmed")
        visit.confirmed_at = _now()
        visit.save(update_fields=["confirmed_at", "updated_at"])
        audit_record(user=None, action="change", obj=visit, patient_id=visit.patient_id,
                     summary="Confirmed by the patient (e-mail link)")
    return visit
