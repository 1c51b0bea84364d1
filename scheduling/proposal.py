"""Placing the sessions of a series before anything is booked, and the nearest-free-slot search
that proposals and make-up sessions share.

Nothing here writes: ``series_propose`` returns a ``SeriesProposal`` that staff look at and that
``scheduling.booking.series_book`` then books all at once (or not at all).
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
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
from scheduling.models import AppointmentType, Practitioner, Series, Visit

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

    def request(self) -> dict:
        """What staff asked for, as ``series_propose`` takes it (to propose again)."""
        return {
            "patient": self.patient,
            "practitioner": self.practitioner,
            "appointment_type": self.appointment_type,
            "sessions": self.sessions_planned,
            "cadence_days": self.cadence_days,
            "first_day": self.first_day,
            "preferred_time": self.preferred_time,
            "first_appointment_type": self.first_appointment_type,
            "fold": self.fold,
        }


def search_days(target_day: dt.date, max_shift: int) -> list[dt.date]:
    """The target day, then a day later, a day earlier, two days later, ..."""
    days = [target_day]
    for distance in range(1, max_shift + 1):
        days += [target_day + dt.timedelta(days=distance), target_day - dt.timedelta(days=distance)]
    return days


def nearest_slot(
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


def _validate_request(
    *, sessions: int, cadence_days: int, first_day: dt.date, preferred_time: dt.time, fold: int | None,
    tz: ZoneInfo, now: dt.datetime,
) -> None:
    errors = {}
    if not Series.MIN_SESSIONS <= sessions <= Series.MAX_SESSIONS:
        errors["sessions"] = [f"A series has {Series.MIN_SESSIONS} to {Series.MAX_SESSIONS} sessions."]
    if cadence_days not in Series.Cadence.values:
        errors["cadence_days"] = ["Choose weekly or every other week."]
    if first_day < to_local(now, tz).date():
        errors["first_day"] = ["The first session cannot be in the past."]
    if errors:
        raise ValidationError(errors)
    try:
        # What the user typed must be a real, unambiguous time on the first day.
        local_datetime(first_day, preferred_time, tz=tz, fold=fold)
    except (NonexistentLocalTime, AmbiguousLocalTime) as exc:
        raise ValidationError({"preferred_time": exc.messages}) from None


def _place_on_cadence(
    availability: Availability, session: ProposedSession, *, proposal: SeriesProposal, now: dt.datetime
) -> str:
    """Puts the session on its cadence day at the preferred time if that is free; otherwise
    leaves it unplaced and returns why not."""
    try:
        target = local_datetime(session.target_day, proposal.preferred_time, tz=availability.tz, fold=proposal.fold or 0)
    except NonexistentLocalTime:
        return f"{proposal.preferred_time:%H:%M} does not exist that day (clock change)."
    ends_at = target + session.appointment_type.duration
    problem = Problem("That time has passed.") if target <= now else availability.problem(starts_at=target, ends_at=ends_at)
    if problem:
        return problem.message
    session.starts_at = target
    return ""


def _resume_day(after: dt.datetime, *, proposal: SeriesProposal, tz: ZoneInfo) -> dt.date:
    """After a session pushed past a break, the next goes back to the series' weekday, a
    sensible gap later."""
    day = to_local(after, tz).date() + dt.timedelta(days=MIN_GAP_DAYS[proposal.cadence_days])
    return day + dt.timedelta(days=(proposal.first_day.weekday() - day.weekday()) % 7)


def _place_session(
    availability: Availability, session: ProposedSession, *, proposal: SeriesProposal,
    earliest_day: dt.date | None, now: dt.datetime,
) -> dt.date | None:
    """Places one session: on its cadence time, else the nearest free time around its day, else
    the first free day after it. In that last case returns the day the cadence resumes from."""
    reason = _place_on_cadence(availability, session, proposal=proposal, now=now)
    if session.starts_at is not None:
        return None
    cadence, day, time = proposal.cadence_days, session.target_day, proposal.preferred_time
    max_shift = MAX_SHIFT_DAYS[cadence]
    search = dict(preferred_time=time, duration=session.appointment_type.duration, earliest_day=earliest_day, now=now)
    found = nearest_slot(availability, days=search_days(day, max_shift), **search)
    if found:
        session.starts_at = found
        session.shifted = True
        session.note = f"Not at {day:%a %d %b} {time:%H:%M}: {reason}"
        return None
    # Nothing near the date (typically a holiday closure): take the first free day after it,
    # and let the rest of the series keep its rhythm from there rather than crowding the
    # sessions after the break.
    found = nearest_slot(
        availability, days=[day + dt.timedelta(days=d) for d in range(max_shift + 1, 2 * cadence + 1)], **search
    )
    if found is None:
        session.note = f"No free time near {day:%a %d %b}: {reason} Try another time of day or practitioner."
        return None
    session.starts_at = found
    session.shifted = True
    resume = _resume_day(session.starts_at, proposal=proposal, tz=availability.tz)
    session.note = f"Pushed back from {day:%a %d %b}: {reason} The following sessions continue from {resume:%a %d %b}."
    return resume


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
    now = now or timezone.now()
    _validate_request(sessions=sessions, cadence_days=cadence_days, first_day=first_day,
                      preferred_time=preferred_time, fold=fold, tz=tz, now=now)
    proposal = SeriesProposal(
        patient=patient, practitioner=practitioner, appointment_type=appointment_type, sessions_planned=sessions,
        cadence_days=cadence_days, first_day=first_day, preferred_time=preferred_time,
        first_appointment_type=first_appointment_type, fold=fold,
    )
    _place_all(proposal, first_sequence=1, tz=tz, now=now)
    return proposal


def _place_all(
    proposal: SeriesProposal, *, first_sequence: int, tz: ZoneInfo, now: dt.datetime, previous_day: dt.date | None = None
) -> None:
    """Places ``proposal.sessions_planned`` sessions from ``proposal.first_day`` on its cadence,
    numbered from ``first_sequence``; ``previous_day`` is the day of the session before them."""
    sessions, cadence_days, first_day = proposal.sessions_planned, proposal.cadence_days, proposal.first_day
    max_shift = MAX_SHIFT_DAYS[cadence_days]
    last_target = first_day + dt.timedelta(days=cadence_days * (sessions - 1))
    availability = Availability(
        practitioner=proposal.practitioner,
        first_day=first_day - dt.timedelta(days=max_shift),
        # Room for sessions pushed past closures (each push is at most two cadences).
        last_day=last_target + dt.timedelta(days=max_shift + 4 * cadence_days),
        patient_id=proposal.patient.pk,
        tz=tz,
    )
    # The cadence counts from here; a session pushed past a closure moves it on.
    anchor_day, anchor_index = first_day, 0
    for index in range(sessions):
        first = index == 0 and first_sequence == 1 and proposal.first_appointment_type
        kind = proposal.first_appointment_type if first else proposal.appointment_type
        # Local date arithmetic: the same wall-clock time every week, whatever the clocks do.
        target_day = anchor_day + dt.timedelta(days=cadence_days * (index - anchor_index))
        session = ProposedSession(sequence=first_sequence + index, appointment_type=kind, target_day=target_day)
        proposal.sessions.append(session)
        earliest = previous_day + dt.timedelta(days=MIN_GAP_DAYS[cadence_days]) if previous_day else None
        resume = _place_session(availability, session, proposal=proposal, earliest_day=earliest, now=now)
        if session.starts_at is None:
            continue
        if resume:
            anchor_day, anchor_index = resume, index + 1
        # Its room comes below: sessions never overlap each other, so none takes another's room.
        availability.hold(starts_at=session.starts_at, ends_at=session.ends_at, room_id=None)
        previous_day = to_local(session.starts_at, tz).date()
    placed = [s for s in proposal.sessions if s.starts_at]
    rooms = availability.first_free_rooms([(s.starts_at, s.ends_at) for s in placed])
    for session, room_id in zip(placed, rooms, strict=True):
        session.room_id = room_id


def series_rest_propose(*, series: Series, sessions: int, earliest: dt.datetime, tz: ZoneInfo | None = None) -> SeriesProposal:
    """The ``sessions`` still unbooked of a series, placed after its last booked or done session
    on its cadence and time, none before ``earliest`` (nothing is written). Their sequence numbers
    follow the series' own."""
    tz = tz or clinic_zone()
    visits = list(series.visits.order_by("starts_at").values_list("starts_at", "sequence", "status"))
    held = [starts for starts, _, status in visits if status in Visit.BLOCKING]
    last_day = to_local(held[-1], tz).date() if held else None
    first_day = max(
        last_day + dt.timedelta(days=series.cadence_days) if last_day else to_local(earliest, tz).date(),
        to_local(earliest, tz).date(),
    )
    proposal = SeriesProposal(
        patient=series.patient, practitioner=series.practitioner, appointment_type=series.appointment_type,
        sessions_planned=sessions, cadence_days=series.cadence_days, first_day=first_day,
        preferred_time=series.preferred_time,
    )
    # ``now`` is the earliest time allowed: anything sooner counts as passed.
    _place_all(proposal, first_sequence=max((seq for _, seq, _ in visits), default=0) + 1, tz=tz, now=earliest,
               previous_day=last_day)
    return proposal
