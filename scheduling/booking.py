"""Booking time: a whole series, a single visit, and moving visits. Views, demo data and tests
call these functions, so each rule lives in one place; status changes of a visit are in
``scheduling.visit_status``, proposals in ``scheduling.proposal``, maintenance in
``scheduling.maintenance``.

No double booking: each function checks the time inside ``transaction.atomic``; a clash the
check could not see is refused by the database and becomes ``SlotTaken`` (see
``scheduling.errors``).

Reminders follow every change in the same transaction (``scheduling.reminders``): a booked visit
gets its reminder row, a moved one a new row in place of the old; booking maintenance cancels
the maintenance reminders. A booked series and a moved visit also e-mail the patient once the
transaction commits (``scheduling.reminders.notices``).
"""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from patients.models import Patient
from scheduling.availability import Availability
from scheduling.clock import NonexistentLocalTime, clinic_zone, local_datetime, to_local
from scheduling.errors import BookingError, SlotTaken, database_clash_is_slot_taken
from scheduling.freed_slots import slot_freed
from scheduling.models import AppointmentType, FreedSlot, Practitioner, Series, Visit
from scheduling.proposal import SeriesProposal
from scheduling.reminders.upkeep import (
    maintenance_reminders_refresh,
    series_reminder_refresh,
    unbooked_sessions,
    visit_reminders_add,
    visit_reminders_replace,
)
from scheduling.submissions import form_key_claim, form_key_guard, form_key_result
from scheduling.tasks import notify_booked, notify_moved
from staff.audit import audit_record

# Fields a move changes (a confirmation was for the old time, so it goes).
_MOVED_FIELDS = ["starts_at", "ends_at", "room", "confirmed_at", "updated_at"]


def _check(
    availability: Availability, *, starts_at: dt.datetime, ends_at: dt.datetime, room_id: int | None, label: str = ""
) -> None:
    problem = availability.problem(starts_at=starts_at, ends_at=ends_at, room_id=room_id)
    if problem:
        when = f"{label}{to_local(starts_at, availability.tz):%a %d %b %Y %H:%M}: "
        raise (SlotTaken if problem.conflict else BookingError)(when + problem.message)


def _check_sessions(proposal: SeriesProposal, *, tz: ZoneInfo, now: dt.datetime) -> None:
    """Every session still free, checked inside the booking transaction."""
    days = [to_local(s.starts_at, tz).date() for s in proposal.sessions]
    # Only the sessions' times and rooms are asked: the visits around them (the practitioner's,
    # the patient's and those in the sessions' rooms) in one query.
    availability = Availability(
        practitioner=proposal.practitioner, first_day=min(days), last_day=max(days),
        patient_id=proposal.patient.pk, tz=tz, only_times=[(s.starts_at, s.ends_at) for s in proposal.sessions],
        only_rooms={s.room_id for s in proposal.sessions if s.room_id is not None},
    )
    for session in proposal.sessions:
        if session.starts_at <= now:
            raise BookingError(f"Session {session.sequence} is in the past.")
        _check(availability, starts_at=session.starts_at, ends_at=session.ends_at, room_id=session.room_id,
               label=f"Session {session.sequence}, ")
        availability.hold(starts_at=session.starts_at, ends_at=session.ends_at, room_id=session.room_id)


def series_book(
    *, proposal: SeriesProposal, by, now: dt.datetime | None = None, form_key: uuid.UUID | None = None
) -> Series:
    """Books all sessions of a proposal in one transaction, or none of them. With ``form_key``
    (the page's one-time key), a second submit raises ``AlreadySaved`` with this series.

    ``now`` (and the same argument of ``series_propose``) is only for recording history, such as
    the demo clinic's past visits; bookings made by staff always count from the present."""
    if not proposal.sessions or not proposal.complete:
        raise BookingError("Some sessions have no time yet: change the proposal before booking.")
    if len(proposal.sessions) != proposal.sessions_planned:
        raise BookingError("The proposal does not have one time per session.")
    with form_key_guard(key=form_key, by=by), database_clash_is_slot_taken(), transaction.atomic():
        claim = form_key_claim(key=form_key, by=by)
        _check_sessions(proposal, tz=clinic_zone(), now=now or timezone.now())
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
        visit_reminders_add(visits=visits)
        audit_record(
            user=by, action="create", obj=series, patient_id=proposal.patient.pk,
            summary=f"Booked a series of {proposal.sessions_planned} sessions",
        )
        form_key_result(claim, series)
        if now is None:  # history recorded by the demo is not news to the patient
            notify_booked(visit_ids=[v.pk for v in visits])
    return series


def series_rest_book(*, series: Series, proposal: SeriesProposal, by) -> list[Visit]:
    """Books the sessions of a series still unbooked (``proposal.series_rest_propose``), all or
    none, into the series itself. Refused if the series changed so that they no longer fit."""
    if not proposal.sessions or not proposal.complete:
        raise BookingError("Some sessions have no time yet.")
    with database_clash_is_slot_taken(), transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        if (
            series.status != Series.Status.ACTIVE
            or (proposal.patient.pk, proposal.practitioner.pk) != (series.patient_id, series.practitioner_id)
            or len(proposal.sessions) != unbooked_sessions(series)
        ):
            raise BookingError("The course has changed since these times were proposed.")
        _check_sessions(proposal, tz=clinic_zone(), now=timezone.now())
        visits = Visit.objects.bulk_create(
            Visit(
                patient_id=series.patient_id, practitioner_id=series.practitioner_id, room_id=session.room_id,
                appointment_type=session.appointment_type, series=series, sequence=session.sequence,
                starts_at=session.starts_at, ends_at=session.ends_at, shifted=session.shifted, created_by=by,
            )
            for session in proposal.sessions
        )
        visit_reminders_replace(visits=visits, note="")
        series_reminder_refresh(series=series)
        audit_record(user=by, action="create", obj=series, patient_id=series.patient_id,
                     summary=f"Booked the remaining {len(visits)} sessions of the series")
        notify_booked(visit_ids=[v.pk for v in visits])
    return visits


def visit_book(
    *,
    patient: Patient,
    practitioner: Practitioner,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    by,
    room_id: int | None = None,
    form_key: uuid.UUID | None = None,
    notify: bool = False,
) -> Visit:
    """One visit outside a series (a follow-up, or a maintenance visit). With ``form_key`` (the
    page's one-time key), a second submit raises ``AlreadySaved`` with this visit. With
    ``notify``, the patient gets the booking e-mail (a patient booking online)."""
    if starts_at <= timezone.now():
        raise BookingError("That time has passed.")
    ends_at = starts_at + appointment_type.duration
    day = to_local(starts_at).date()
    with form_key_guard(key=form_key, by=by), database_clash_is_slot_taken(), transaction.atomic():
        claim = form_key_claim(key=form_key, by=by)
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
        visit_reminders_add(visits=[visit])
        if appointment_type.kind == AppointmentType.Kind.MAINTENANCE:
            maintenance_reminders_refresh(patient_id=patient.pk)
        audit_record(user=by, action="create", obj=visit, patient_id=patient.pk, summary=f"Booked {appointment_type.name}")
        form_key_result(claim, visit)
        if notify:
            notify_booked(visit_ids=[visit.pk])
    return visit


def _locked_for_move(visit: Visit, starts_at: dt.datetime) -> Visit:
    visit = Visit.objects.locked(visit.pk)
    visit.refuse_unless(Visit.CHANGEABLE, "moved")
    if starts_at <= timezone.now():
        raise BookingError("That time has passed.")
    return visit


def visit_move(*, visit: Visit, starts_at: dt.datetime, by, room_id: int | None = None) -> Visit:
    """Moves one visit; the rest of its series stays where it is."""
    with database_clash_is_slot_taken(), transaction.atomic():
        visit = _locked_for_move(visit, starts_at)
        ends_at = starts_at + (visit.ends_at - visit.starts_at)
        day = to_local(starts_at).date()
        availability = Availability(
            practitioner=visit.practitioner, first_day=day, last_day=day,
            patient_id=visit.patient_id, ignore_visit_ids=[visit.pk],
        )
        _check(availability, starts_at=starts_at, ends_at=ends_at, room_id=room_id)
        old = visit.starts_at
        slot_freed(visit=visit, starts_at=visit.starts_at, ends_at=visit.ends_at, cause=FreedSlot.Cause.MOVED)
        visit.room_id = room_id or availability.free_room(starts_at=starts_at, ends_at=ends_at, prefer=visit.room_id)
        visit.starts_at, visit.ends_at, visit.confirmed_at = starts_at, ends_at, None
        visit.save(update_fields=_MOVED_FIELDS)
        visit_reminders_replace(visits=[visit], note="The visit was moved.")
        audit_record(
            user=by, action="change", obj=visit, patient_id=visit.patient_id,
            summary=f"Moved from {to_local(old):%d %b %Y %H:%M} to {to_local(starts_at):%d %b %Y %H:%M}",
        )
        notify_moved(visit_ids=[visit.pk])
    return visit


def _following_moves(visit: Visit, starts_at: dt.datetime, *, tz: ZoneInfo) -> list[tuple[Visit, dt.datetime]]:
    """This visit and each later booked one of its series (row-locked), with its new start: the
    same shift in local days and wall-clock time."""
    following = (
        Visit.objects.select_for_update()
        .filter(series_id=visit.series_id, status=Visit.Status.BOOKED, starts_at__gte=visit.starts_at)
        .order_by("starts_at")
    )
    old_local, new_local = to_local(visit.starts_at, tz), to_local(starts_at, tz)
    day_shift = new_local.date() - old_local.date()
    time_shift = dt.datetime.combine(dt.date.min, new_local.time()) - dt.datetime.combine(dt.date.min, old_local.time())
    moves = []
    for other in following:
        if other.pk == visit.pk:
            moves.append((other, starts_at))
            continue
        wall = to_local(other.starts_at, tz).replace(tzinfo=None) + day_shift + time_shift
        try:
            moves.append((other, local_datetime(wall.date(), wall.time(), tz=tz, fold=0)))
        except NonexistentLocalTime as exc:
            raise BookingError(f"Session {other.sequence}: {exc.messages[0]}") from None
    return moves


def _choose_rooms(visit: Visit, moves: list[tuple[Visit, dt.datetime]], *, tz: ZoneInfo) -> None:
    """Checks every new time (against the others' new times too) and gives each a room."""
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


def visit_move_following(*, visit: Visit, starts_at: dt.datetime, by) -> list[Visit]:
    """Moves this visit and every later booked visit of its series by the same shift, counted in
    local days and wall-clock time (Tue 10:00 → Thu 11:00 moves each later Tuesday 10:00 to that
    week's Thursday 11:00). All move, or none do."""
    if visit.series_id is None:
        raise BookingError("This visit is not part of a series.")
    tz = clinic_zone()
    with database_clash_is_slot_taken(), transaction.atomic():
        visit = _locked_for_move(visit, starts_at)
        moves = _following_moves(visit, starts_at, tz=tz)
        _choose_rooms(visit, moves, tz=tz)
        old_local = to_local(visit.starts_at, tz)
        # Write the far end first, so no row ever lands on a neighbour that has not moved yet
        # (the exclusion constraints are checked row by row).
        for other, new_start in reversed(moves) if starts_at > visit.starts_at else moves:
            slot_freed(visit=other, starts_at=other.starts_at, ends_at=other.ends_at, cause=FreedSlot.Cause.MOVED)
            other.ends_at = new_start + (other.ends_at - other.starts_at)
            other.starts_at, other.confirmed_at = new_start, None
            other.save(update_fields=_MOVED_FIELDS)
        visit_reminders_replace(visits=[v for v, _ in moves], note="The visit was moved.")
        audit_record(
            user=by, action="change", obj=visit, patient_id=visit.patient_id,
            summary=f"Moved {len(moves)} visits of the series from {old_local:%d %b %Y %H:%M} on",
        )
        notify_moved(visit_ids=[v.pk for v, _ in moves])
    return [v for v, _ in sorted(moves, key=lambda m: m[1])]
