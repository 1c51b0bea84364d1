"""When a practitioner can see a patient: opening hours ∩ working hours, minus closures, time off
and the visits already booked (the practitioner's, the patient's, and every room's).

Everything for a window of days is loaded in a fixed number of queries (one for the visits), and
each candidate start is then checked in memory, so listing a month of free slots, or proposing a
12-session series, costs the same few queries however much history the clinic has.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

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
