"""When a practitioner can see a patient: opening hours ∩ working hours, minus closures, time off
and the visits already booked (the practitioner's, the patient's, and the rooms').

It reads only what a question needs, so years of a clinic group's history cost nothing:

- the timetable (hours, closures, time off, rooms) from ``scheduling.timetable``: read once per
  process, and again only after it changes;
- the practitioner's and the patient's visits in the window asked, in one query on a bounded
  index range (a visit lasts at most ``MAX_VISIT`` — a check constraint holds it — so one
  overlapping the window starts at most that long before it), as plain tuples; for a booking
  that checks only its own times (``only_times``), just the visits around those times (with
  ``only_rooms``, only the practitioner's, the patient's and those rooms'), in one query;
- the rooms' visits only for the exact times whose room is asked (``free_room``, a room named
  in ``problem``), fetched for all of them in one query (``prefetch_rooms``); for a list of
  times each wanting the first free room (free slots, a series' sessions), the first room's
  visits at all of them, then the other rooms' only at the times the first room cannot take
  (``first_free_rooms``: at most two queries, usually one);
- whether *some* room is free (rooms' saturation) without reading rooms' visits when the clinic
  has more rooms than other practitioners: at any moment each of them holds at most one room
  (their visits never overlap, by constraint), so a room is always left. Otherwise the rooms'
  visits of the window are read once.

Clashes are found by bisect over intervals sorted by start; free starts by one sweep per day.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q

from scheduling.clock import NonexistentLocalTime, clinic_zone, local_datetime, to_local
from scheduling.intervals import HOLD, MAX_VISIT, SortedIntervals, free_of, merged, overlaps
from scheduling.models import ClinicSettings, Closure, Practitioner, Visit
from scheduling.timetable import timetable

# Up to this many separate stretches of time are read each on its own index range, more as one.
_FEW_SPANS = 16


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
        settings: ClinicSettings | None = None,
        only_times: list[tuple[dt.datetime, dt.datetime]] | None = None,
        only_rooms: set[int] | None = None,
        shared: dict | None = None,
    ) -> None:
        """``only_times``: the only times that will be asked about (a booking checking its
        sessions): visits are read just around them, the rooms' with the practitioner's and
        patient's in one query, instead of every visit of the window; with ``only_rooms`` (the
        rooms those times will be asked about) the other rooms' visits are not read. ``shared``: the visits
        ``availability_day`` read once for every practitioner (no visit is read then). The
        timetable (hours, closures, time off, rooms) comes from ``scheduling.timetable``."""
        self.tz = tz or clinic_zone()
        self.practitioner = practitioner
        self.patient_id = patient_id
        self.first_day, self.last_day = first_day, last_day
        self.ignore_visit_ids = list(ignore_visit_ids)
        settings = settings or ClinicSettings.load()
        self.step = dt.timedelta(minutes=settings.slot_minutes)
        self.window_start, self.window_end = window_of(first_day, last_day, self.tz)
        # (start, end, is the practitioner's, is the patient's, room)
        self.busy = SortedIntervals()
        # Rooms' visits, by room, read only for the times asked (see prefetch_rooms).
        self.rooms = SortedIntervals()
        self._rooms_known: list[tuple[dt.datetime, dt.datetime]] = []
        # Some rooms known at some times (``only_rooms``): (rooms, spans).
        self._rooms_partly_known: tuple[set[int], list[tuple[dt.datetime, dt.datetime]]] | None = None
        self._holds: list[tuple[dt.datetime, dt.datetime, int | None]] = []
        self._window_rooms_read = False
        self._busy_known: list[tuple[dt.datetime, dt.datetime]] | None = None
        table = timetable(settings)
        self.opening, self.working = table.opening, table.working_of(practitioner.pk)
        self.closures = table.closures_between(first_day, last_day)
        self.time_off = table.time_off_between(practitioner.pk, self.window_start, self.window_end)
        self.room_ids = list(table.room_ids)
        # Other practitioners hold at most one room each at a time (their visits never overlap,
        # by constraint): with more rooms than them, some room is always free for this one.
        self._rooms_always_free = bool(self.room_ids) and table.practitioners - 1 < len(self.room_ids)
        if shared is not None:
            self._use_shared(shared)
        elif only_times is None:
            # Two index ranges joined by UNION, not one OR: each is then an index-only scan of
            # the practitioner's (or patient's) visits (scheduling migration 0009).
            columns = ("id", "starts_at", "ends_at", "practitioner_id", "patient_id", "room_id")
            rows = self._visits(Q(practitioner=practitioner)).values_list(*columns)
            if patient_id:
                rows = rows.union(self._visits(Q(patient_id=patient_id)).values_list(*columns))
            self._add_busy(rows)
        else:
            self._add_busy(self._visits_at(only_times, only_rooms))

    def _add_busy(self, rows) -> None:
        practitioner, patient_id = self.practitioner, self.patient_id
        self.busy.extend([
            (starts_at, visit_id, (starts_at, ends_at, practitioner_id == practitioner.pk,
                                   bool(patient_id) and visit_patient_id == patient_id, room_id))
            for visit_id, starts_at, ends_at, practitioner_id, visit_patient_id, room_id in rows
            if practitioner_id == practitioner.pk or (patient_id and visit_patient_id == patient_id)
        ])

    def _use_shared(self, data: dict) -> None:
        practitioner = self.practitioner
        self.busy.extend([
            (s, visit_id, (s, e, True, False, room_id))
            for visit_id, s, e, practitioner_id, _, room_id in data["visits"] if practitioner_id == practitioner.pk
        ])
        # The shared read holds every visit of the window: the rooms' too.
        self._window_rooms_read = True
        self._rooms_known.append((self.window_start, self.window_end))
        self.rooms.extend([(s, visit_id, (s, e, room_id)) for visit_id, s, e, _, _, room_id in data["visits"]
                           if room_id in self.room_ids])

    def _visits_at(self, times: list[tuple[dt.datetime, dt.datetime]], rooms: set[int] | None) -> list[tuple]:
        """Every blocking visit around ``times`` (or only the practitioner's, the patient's and
        those in ``rooms``), in one query: the practitioner's and patient's become ``busy``, and
        those in rooms in use make the rooms (or these rooms) known for these times."""
        self._busy_known = merged(times)
        columns = ("id", "starts_at", "ends_at", "practitioner_id", "patient_id", "room_id")
        around = Visit.objects.filter(_around(self._busy_known), status__in=Visit.BLOCKING).exclude(
            id__in=self.ignore_visit_ids).order_by()
        if rooms is None:
            rows = list(around.values_list(*columns))
        else:
            # One index range per key and time (practitioner, patient, room: each has an index on
            # (key, starts_at)), joined by UNION: an OR of the keys would read the practitioner's
            # whole history from the index on the key alone.
            whose = [Q(practitioner=self.practitioner)] + [Q(patient_id=self.patient_id)] * bool(self.patient_id)
            whose += [Q(room_id__in=rooms)] * bool(rooms)
            parts = [around.filter(condition).values_list(*columns) for condition in whose]
            rows = list(parts[0].union(*parts[1:]))
        in_use = set(self.room_ids) if rooms is None else set(self.room_ids) & rooms
        self.rooms.extend([(s, visit_id, (s, e, room)) for visit_id, s, e, _, _, room in rows if room in in_use])
        if rooms is None:
            self._rooms_known += self._busy_known
        else:
            self._rooms_partly_known = (in_use, self._busy_known)
        return rows

    def _visits(self, condition: Q, *, starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None):
        starts_at, ends_at = starts_at or self.window_start, ends_at or self.window_end
        return (
            Visit.objects.filter(
                condition, status__in=Visit.BLOCKING,
                starts_at__gte=starts_at - MAX_VISIT, starts_at__lt=ends_at, ends_at__gt=starts_at,
            )
            .exclude(id__in=self.ignore_visit_ids)
            .order_by()
        )

    # --- Rooms ---------------------------------------------------------------------------------
    def prefetch_rooms(self, times: list[tuple[dt.datetime, dt.datetime]]) -> None:
        """Reads, in one query, which rooms are taken at each of ``times`` (those not known yet)."""
        wanted = [(s, e) for s, e in times if not self._rooms_known_at(s, e)]
        if not wanted:
            return
        spans = merged(wanted)
        self._rooms_known += spans
        self._load_rooms(_around(spans))

    def _load_rooms(self, ranges: Q) -> None:
        rows = (
            Visit.objects.filter(ranges, status__in=Visit.BLOCKING, room_id__in=self.room_ids)
            .exclude(id__in=self.ignore_visit_ids)
            .order_by()
            .values_list("id", "starts_at", "ends_at", "room_id")
        )
        seen = {entry[:2] for entry in self.rooms.entries}
        new = [(starts_at, visit_id, (starts_at, ends_at, room_id)) for visit_id, starts_at, ends_at, room_id in rows]
        new += [(starts_at, HOLD, (starts_at, ends_at, room_id)) for starts_at, ends_at, room_id in self._holds]
        self.rooms.extend([entry for entry in new if entry[:2] not in seen])

    def first_free_rooms(self, times: list[tuple[dt.datetime, dt.datetime]]) -> list[int | None]:
        """For each of ``times``, the room ``free_room`` would give (the first in order free
        then), in at most two queries: the first room's visits at all of them (usually it is
        free, and answers), then every other room's at the times still without a room — so a
        long list of free slots does not read every room's visits."""
        rooms: list[int | None] = [None] * len(times)
        if not self.room_ids:
            return rooms
        if self._window_rooms_read:
            return [self.free_room(starts_at=s, ends_at=e) for s, e in times]
        first_room = self.room_ids[0]
        if times:
            spans = merged(times)
            # A few spans (a series' sessions): just around them; many (free slots): first to last.
            spans = spans if len(spans) <= _FEW_SPANS else [(spans[0][0], spans[-1][1])]
            rows = Visit.objects.filter(_around(spans), room_id=first_room, status__in=Visit.BLOCKING).exclude(
                id__in=self.ignore_visit_ids).order_by().values_list("id", "starts_at", "ends_at")
            busy = SortedIntervals()
            busy.extend(
                [(s, visit_id, (s, e)) for visit_id, s, e in rows]
                + [(s, HOLD, (s, e)) for s, e, held_room in self._holds if held_room == first_room]
            )
            for index, time in enumerate(times):
                if next(busy.overlapping(*time), None) is None:
                    rooms[index] = first_room
        waiting = [index for index, room in enumerate(rooms) if room is None]
        self.prefetch_rooms([times[index] for index in waiting])
        for index in waiting:
            rooms[index] = self.free_room(starts_at=times[index][0], ends_at=times[index][1])
        return rooms

    def _room_taken(self, room_id: int, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        partly = self._rooms_partly_known
        if partly and room_id in partly[0] and any(s <= starts_at and ends_at <= e for s, e in partly[1]):
            return any(item[2] == room_id for item in self.rooms.overlapping(starts_at, ends_at))
        return room_id in self._taken_rooms(starts_at, ends_at)

    def _rooms_known_at(self, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        return any(known_start <= starts_at and ends_at <= known_end for known_start, known_end in self._rooms_known)

    def _taken_rooms(self, starts_at: dt.datetime, ends_at: dt.datetime) -> set[int]:
        self.prefetch_rooms([(starts_at, ends_at)])
        return {item[2] for item in self.rooms.overlapping(starts_at, ends_at)}

    def _some_room_free(self, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        if self._rooms_always_free:
            # This practitioner is free then (checked before): the others leave a room.
            return True
        if not self._window_rooms_read:
            # Rooms can fill up: read the window's rooms once rather than time by time.
            self._window_rooms_read = True
            self.prefetch_rooms([(self.window_start, self.window_end)])
        taken = self._taken_rooms(starts_at, ends_at)
        return any(room not in taken for room in self.room_ids)

    # --- Questions -----------------------------------------------------------------------------
    def hold(self, *, starts_at: dt.datetime, ends_at: dt.datetime, room_id: int | None) -> None:
        # ``room_id`` None: a time held before its room is chosen (see booking.series_propose).
        self.busy.add(starts_at, HOLD, (starts_at, ends_at, True, bool(self.patient_id), room_id))
        self._holds.append((starts_at, ends_at, room_id))
        if self._rooms_known or self._rooms_partly_known:
            self.rooms.add(starts_at, HOLD, (starts_at, ends_at, room_id))

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

    def _require_known(self, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
        if self._busy_known is not None and not any(s <= starts_at and ends_at <= e for s, e in self._busy_known):
            raise ValueError("This availability was read only for other times (only_times).")

    def _clash(self, starts_at: dt.datetime, ends_at: dt.datetime) -> Problem | None:
        self._require_known(starts_at, ends_at)
        # The first overlapping visit (in start order) says whose clash it is.
        for _start, _end, practitioners, patients, _room in self.busy.overlapping(starts_at, ends_at):
            if practitioners:
                return Problem(f"{self.practitioner} already has a visit then.", conflict=True)
            if patients:
                return Problem("The patient already has a visit then.", conflict=True)
        return None

    def problem(self, *, starts_at: dt.datetime, ends_at: dt.datetime, room_id: int | None = None) -> Problem | None:
        """None if the time can be booked (in ``room_id``, or in some room), else why not."""
        day = to_local(starts_at, self.tz).date()
        closure = self.closure_on(day)
        if closure:
            return Problem(f"The clinic is closed on {day:%a %d %b %Y} ({closure.reason}).")
        if not any(start <= starts_at and ends_at <= end for start, end in self.periods(day)):
            return Problem(f"{self.practitioner} does not work then, or the clinic is not open.")
        return self._problem_at(starts_at, ends_at, room_id)

    def _problem_at(self, starts_at: dt.datetime, ends_at: dt.datetime, room_id: int | None) -> Problem | None:
        if any(overlaps(starts_at, ends_at, off_start, off_end) for off_start, off_end in self.time_off):
            return Problem(f"{self.practitioner} has time off then.")
        clash = self._clash(starts_at, ends_at)
        if clash:
            return clash
        if room_id is not None:
            if room_id not in self.room_ids:
                return Problem("That room is not in use.")
            if self._room_taken(room_id, starts_at, ends_at):
                return Problem("That room is taken then.", conflict=True)
        elif not self._some_room_free(starts_at, ends_at):
            return Problem("No room is free then.", conflict=True)
        return None

    def free_room(self, *, starts_at: dt.datetime, ends_at: dt.datetime, prefer: int | None = None) -> int | None:
        taken = self._taken_rooms(starts_at, ends_at)
        if prefer in self.room_ids and prefer not in taken:
            return prefer
        return next((room for room in self.room_ids if room not in taken), None)

    def free_starts(self, day: dt.date, duration: dt.timedelta) -> list[dt.datetime]:
        """Free start times on ``day`` on the clinic's booking grid, by one sweep per period."""
        starts = []
        for period_start, period_end in self.periods(day):
            starts += self._free(list(self._grid(period_start, period_end, duration)), duration)
        return starts

    def free_among(self, day: dt.date, starts: list[dt.datetime], duration: dt.timedelta) -> list[dt.datetime]:
        """Those of ``starts`` (ascending, on ``day``) that can be booked, by one sweep."""
        periods = self.periods(day)
        return self._free(
            [s for s in starts if any(p_start <= s and s + duration <= p_end for p_start, p_end in periods)], duration
        )

    def _free(self, starts: list[dt.datetime], duration: dt.timedelta) -> list[dt.datetime]:
        if not starts:
            return []
        first, last = starts[0], starts[-1] + duration
        self._require_known(first, last)
        busy = sorted(
            [(s, e) for s, e, practitioners, patients, _ in self.busy.overlapping(first, last) if practitioners or patients]
            + [(s, e) for s, e in self.time_off if overlaps(s, e, first, last)]
        )
        return [start for start in free_of(busy, starts, duration) if self._some_room_free(start, start + duration)]

    def _grid(self, period_start: dt.datetime, period_end: dt.datetime, duration: dt.timedelta):
        if period_start.utcoffset() == period_end.utcoffset():
            # No clock change inside: plain steps (aware arithmetic in one zone is wall-clock).
            start = period_start
            while start + duration <= period_end:
                yield start
                start += self.step
            return
        # Step in wall-clock time so the grid stays on :00/:15/... on a clock-change day.
        wall = period_start.replace(tzinfo=None)
        while True:
            try:
                start = local_datetime(wall.date(), wall.time(), tz=self.tz, fold=0)
            except NonexistentLocalTime:
                wall += self.step
                continue
            if start + duration > period_end:
                return
            yield start
            wall += self.step

    def free_slots(self, day: dt.date, duration: dt.timedelta) -> list[Slot]:
        """Free start times on ``day`` on the clinic's booking grid, each with a free room."""
        times = [(start, start + duration) for start in self.free_starts(day, duration)]
        return [Slot(s, e, room) for (s, e), room in zip(times, self.first_free_rooms(times), strict=True)]


def _around(spans: list[tuple[dt.datetime, dt.datetime]]) -> Q:
    """Visits overlapping any of ``spans``, each on a bounded index range (see ``MAX_VISIT``)."""
    condition = Q(pk__in=[])
    for starts_at, ends_at in spans:
        condition |= Q(starts_at__gte=starts_at - MAX_VISIT, starts_at__lt=ends_at, ends_at__gt=starts_at)
    return condition


def window_of(first_day: dt.date, last_day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """A day's margin on each side: the window is in local days, the query in UTC."""
    return (dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time.min, tzinfo=tz),
            dt.datetime.combine(last_day + dt.timedelta(days=2), dt.time.min, tzinfo=tz))


def free_slots(
    *,
    practitioner: Practitioner,
    first_day: dt.date,
    last_day: dt.date | None = None,
    duration: dt.timedelta,
    patient_id: int | None = None,
    tz: ZoneInfo | None = None,
) -> dict[dt.date, list[Slot]]:
    """Free start times (with a free room) for each day of the range, in a fixed number of queries
    (one more when the first room is taken at some of them: see ``first_free_rooms``)."""
    last_day = last_day or first_day
    availability = Availability(
        practitioner=practitioner, first_day=first_day, last_day=last_day, patient_id=patient_id, tz=tz
    )
    days = [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    times = {day: [(s, s + duration) for s in availability.free_starts(day, duration)] for day in days}
    rooms = iter(availability.first_free_rooms([time for day_times in times.values() for time in day_times]))
    return {day: [Slot(s, e, next(rooms)) for s, e in day_times] for day, day_times in times.items()}
