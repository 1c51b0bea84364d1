"""The availability and calendar grid as they were before issue 13 (commit a66e1c3), kept
verbatim as an oracle: tests/scheduling/test_availability_equivalence.py checks the new
scheduling.availability and scheduling.calendar give the same answers on randomised clinics.

When a practitioner can see a patient: opening hours ∩ working hours, minus closures, time off
and the visits already booked (the practitioner's, the patient's, and every room's).

Everything for a window of days is loaded in a fixed number of queries (one for the visits), and
each candidate start is then checked in memory, so listing a month of free slots, or proposing a
12-session series, costs the same few queries however much history the clinic has.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone

from scheduling.clock import NonexistentLocalTime, clinic_zone, local_datetime, to_local
from scheduling.models import ClinicSettings, Closure, OpeningHours, Practitioner, Room, TimeOff, Visit, WorkingHours


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: int


@dataclass(frozen=True)
class Problem:
    """Why a time cannot be booked. ``conflict`` means another booking holds it (it may have been
    free a moment ago), as opposed to the clinic or practitioner not working then."""

    message: str
    conflict: bool = False


@dataclass(frozen=True)
class _Busy:
    starts_at: dt.datetime
    ends_at: dt.datetime
    practitioner_id: int
    patient_id: int
    room_id: int


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    # Half-open ranges: 10:00–11:00 and 11:00–12:00 do not overlap.
    return a_start < b_end and b_start < a_end


class Availability:
    """A practitioner's (and optionally a patient's) bookable time over ``first_day``..``last_day``.

    ``hold()`` marks time as taken without writing anything, so a series proposal does not put
    two of its own sessions on top of each other.
    """

    def __init__(
        self,
        *,
        practitioner: Practitioner,
        first_day: dt.date,
        last_day: dt.date,
        patient_id: int | None = None,
        ignore_visit_ids: tuple[int, ...] | list[int] = (),
        tz: ZoneInfo | None = None,
    ) -> None:
        self.tz = tz or clinic_zone()
        self.practitioner = practitioner
        self.patient_id = patient_id
        self.first_day, self.last_day = first_day, last_day
        self.step = dt.timedelta(minutes=ClinicSettings.load().slot_minutes)
        self.opening = {row.weekday: (row.opens, row.closes) for row in OpeningHours.objects.all()}
        self.closures = list(Closure.objects.filter(first_day__lte=last_day, last_day__gte=first_day))
        self.working: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
        for weekday, starts, ends in WorkingHours.objects.filter(practitioner=practitioner).values_list(
            "weekday", "starts", "ends"
        ):
            self.working[weekday].append((starts, ends))
        self.room_ids = list(Room.objects.filter(active=True).values_list("id", flat=True))
        # A day's margin on each side: the window is in local days, the query in UTC.
        window_start = dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)
        window_end = dt.datetime.combine(last_day + dt.timedelta(days=2), dt.time.min, tzinfo=self.tz)
        self.time_off = list(
            TimeOff.objects.filter(practitioner=practitioner, starts_at__lt=window_end, ends_at__gt=window_start)
        )
        self.busy: dict[dt.date, list[_Busy]] = defaultdict(list)
        rows = (
            Visit.objects.filter(status__in=Visit.BLOCKING, starts_at__lt=window_end, ends_at__gt=window_start)
            .exclude(id__in=list(ignore_visit_ids))
            .values_list("starts_at", "ends_at", "practitioner_id", "patient_id", "room_id")
        )
        for row in rows:
            self._add_busy(_Busy(*row))

    def _add_busy(self, busy: _Busy) -> None:
        # Filed under each local day it touches, so a check only looks at one day's visits.
        day = to_local(busy.starts_at, self.tz).date()
        last = to_local(busy.ends_at, self.tz).date()
        while day <= last:
            self.busy[day].append(busy)
            day += dt.timedelta(days=1)

    def hold(self, *, starts_at: dt.datetime, ends_at: dt.datetime, room_id: int) -> None:
        self._add_busy(_Busy(starts_at, ends_at, self.practitioner.pk, self.patient_id or 0, room_id))

    def closure_on(self, day: dt.date) -> Closure | None:
        return next((c for c in self.closures if c.first_day <= day <= c.last_day), None)

    def periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The stretches of ``day`` when the clinic is open and the practitioner works."""
        if self.closure_on(day) or day.weekday() not in self.opening:
            return []
        opens, closes = self.opening[day.weekday()]
        result = []
        for starts, ends in sorted(self.working.get(day.weekday(), [])):
            start, end = max(starts, opens), min(ends, closes)
            if start < end:
                result.append(
                    (dt.datetime.combine(day, start, tzinfo=self.tz), dt.datetime.combine(day, end, tzinfo=self.tz))
                )
        return result

    def problem(self, *, starts_at: dt.datetime, ends_at: dt.datetime, room_id: int | None = None) -> Problem | None:
        """None if the time can be booked (in ``room_id``, or in some room), else why not."""
        day = to_local(starts_at, self.tz).date()
        closure = self.closure_on(day)
        if closure:
            return Problem(f"The clinic is closed on {day:%a %d %b %Y} ({closure.reason}).")
        if not any(start <= starts_at and ends_at <= end for start, end in self.periods(day)):
            return Problem(f"{self.practitioner} does not work then, or the clinic is not open.")
        if any(overlaps(starts_at, ends_at, off.starts_at, off.ends_at) for off in self.time_off):
            return Problem(f"{self.practitioner} has time off then.")
        taken_rooms = set()
        for busy in self.busy.get(day, []):
            if not overlaps(starts_at, ends_at, busy.starts_at, busy.ends_at):
                continue
            if busy.practitioner_id == self.practitioner.pk:
                return Problem(f"{self.practitioner} already has a visit then.", conflict=True)
            if self.patient_id and busy.patient_id == self.patient_id:
                return Problem("The patient already has a visit then.", conflict=True)
            taken_rooms.add(busy.room_id)
        if room_id is not None:
            if room_id not in self.room_ids:
                return Problem("That room is not in use.")
            if room_id in taken_rooms:
                return Problem("That room is taken then.", conflict=True)
        elif not any(room not in taken_rooms for room in self.room_ids):
            return Problem("No room is free then.", conflict=True)
        return None

    def free_room(self, *, starts_at: dt.datetime, ends_at: dt.datetime, prefer: int | None = None) -> int | None:
        day = to_local(starts_at, self.tz).date()
        taken = {b.room_id for b in self.busy.get(day, []) if overlaps(starts_at, ends_at, b.starts_at, b.ends_at)}
        if prefer in self.room_ids and prefer not in taken:
            return prefer
        return next((room for room in self.room_ids if room not in taken), None)

    def free_slots(self, day: dt.date, duration: dt.timedelta) -> list[Slot]:
        """Free start times on ``day`` on the clinic's booking grid, each with a free room."""
        slots = []
        for period_start, period_end in self.periods(day):
            # Step in wall-clock time so the grid stays on :00/:15/... on a clock-change day.
            wall = period_start.replace(tzinfo=None)
            while True:
                try:
                    start = local_datetime(wall.date(), wall.time(), tz=self.tz, fold=0)
                except NonexistentLocalTime:
                    wall += self.step
                    continue
                end = start + duration
                if end > period_end:
                    break
                if self.problem(starts_at=start, ends_at=end) is None:
                    room = self.free_room(starts_at=start, ends_at=end)
                    slots.append(Slot(start, end, room))
                wall += self.step
        return slots


def free_slots(
    *,
    practitioner: Practitioner,
    first_day: dt.date,
    last_day: dt.date | None = None,
    duration: dt.timedelta,
    patient_id: int | None = None,
    tz: ZoneInfo | None = None,
) -> dict[dt.date, list[Slot]]:
    """Free start times (with a free room) for each day of the range, in a fixed number of queries."""
    last_day = last_day or first_day
    availability = Availability(
        practitioner=practitioner, first_day=first_day, last_day=last_day, patient_id=patient_id, tz=tz
    )
    result = {}
    day = first_day
    while day <= last_day:
        result[day] = availability.free_slots(day, duration)
        day += dt.timedelta(days=1)
    return result


# --- scheduling/selectors.py calendar_grid, as it was -------------------------------------------
SHOWN_ON_CALENDAR = (Visit.Status.BOOKED, Visit.Status.ARRIVED, Visit.Status.COMPLETED, Visit.Status.NO_SHOW)


@dataclass
class Block:
    visit: Visit
    column: int
    row: int
    span: int


@dataclass
class FreeCell:
    column: int
    row: int
    starts_at: dt.datetime


@dataclass
class CalendarGrid:
    days: list[dt.date]
    times: list[dt.time]
    step_minutes: int
    blocks: list[Block] = field(default_factory=list)
    free: list[FreeCell] = field(default_factory=list)
    closed: dict[dt.date, str] = field(default_factory=dict)

    @property
    def time_rows(self) -> list[tuple[int, dt.time]]:
        # Row 1 holds the day headings.
        return [(index + 2, time) for index, time in enumerate(self.times)]

    @property
    def day_columns(self) -> list[tuple[int, dt.date]]:
        return [(index + 2, day) for index, day in enumerate(self.days)]


def _grid_times(opening: list[OpeningHours], step: int) -> list[dt.time]:
    opens = min((row.opens for row in opening), default=dt.time(8))
    closes = max((row.closes for row in opening), default=dt.time(20))
    start = dt.datetime.combine(dt.date.min, opens)
    end = dt.datetime.combine(dt.date.min, closes)
    times = []
    while start < end:
        times.append(start.time())
        start += dt.timedelta(minutes=step)
    return times


def calendar_grid(*, days: list[dt.date], practitioner: Practitioner | None = None, room: Room | None = None) -> CalendarGrid:
    """A day or week for one practitioner or one room: visits as blocks, bookable free time as
    cells (a practitioner's free time; for a room, when the clinic is open and the room empty)."""
    tz = clinic_zone()
    step = ClinicSettings.load().slot_minutes
    opening = list(OpeningHours.objects.all())
    grid = CalendarGrid(days=days, times=_grid_times(opening, step), step_minutes=step)
    first_day, last_day = days[0], days[-1]
    window_start = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    window_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)

    visits = Visit.objects.filter(
        status__in=SHOWN_ON_CALENDAR, starts_at__lt=window_end, ends_at__gt=window_start
    ).select_related("patient", "appointment_type", "room", "practitioner", "series")
    visits = list(visits.filter(practitioner=practitioner) if practitioner else visits.filter(room=room))

    grid_start = grid.times[0] if grid.times else dt.time(8)
    column_of = {day: index + 2 for index, day in enumerate(days)}
    for visit in visits:
        local_start, local_end = to_local(visit.starts_at, tz), to_local(visit.ends_at, tz)
        minutes = (local_start.hour * 60 + local_start.minute) - (grid_start.hour * 60 + grid_start.minute)
        length = max(1, round((visit.ends_at - visit.starts_at).total_seconds() / 60 / step))
        row = max(0, minutes // step) + 2
        span = max(1, min(length, len(grid.times) + 2 - row))
        if local_start.date() in column_of and local_end.date() == local_start.date():
            grid.blocks.append(Block(visit=visit, column=column_of[local_start.date()], row=row, span=span))

    now = timezone.now()
    duration = dt.timedelta(minutes=step)
    if practitioner:
        availability = Availability(practitioner=practitioner, first_day=first_day, last_day=last_day, tz=tz)
        is_free = lambda start: availability.problem(starts_at=start, ends_at=start + duration) is None  # noqa: E731
        for day in days:
            closure = availability.closure_on(day)
            if closure:
                grid.closed[day] = closure.reason
            elif day.weekday() not in availability.opening:
                grid.closed[day] = f"not open on {day:%A}s"
    else:
        hours = {row.weekday: row for row in opening}
        closures = list(Closure.objects.filter(first_day__lte=last_day, last_day__gte=first_day))
        for day in days:
            closure = next((c for c in closures if c.first_day <= day <= c.last_day), None)
            if closure:
                grid.closed[day] = closure.reason
            elif day.weekday() not in hours:
                grid.closed[day] = f"not open on {day:%A}s"

        def is_free(start):
            day = to_local(start, tz).date()
            row = hours.get(day.weekday())
            if day in grid.closed or row is None or not row.opens <= to_local(start, tz).time() < row.closes:
                return False
            return not any(overlaps(start, start + duration, v.starts_at, v.ends_at) for v in visits if v.status in Visit.BLOCKING)

    for day in days:
        for row, time in grid.time_rows:
            try:
                start = local_datetime(day, time, tz=tz, fold=0)
            except NonexistentLocalTime:
                continue
            if start >= now and is_free(start):
                grid.free.append(FreeCell(column=column_of[day], row=row, starts_at=start))
    return grid
