"""The front desk's day and week calendars, per practitioner or per room.

Everything the page shows is built here in one pass, in a fixed number of queries: each visit's
block with its link and label, each free cell with its link; the template only places them (the
empty grid is drawn by CSS, not by a ``<div>`` per cell).
"""

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlencode

from django.urls import reverse
from django.utils import timezone

from scheduling.availability import MAX_VISIT, Availability
from scheduling.availability_day import availability_for_day
from scheduling.clock import NonexistentLocalTime, clinic_zone, local_datetime, to_local
from scheduling.intervals import free_of
from scheduling.models import ClinicSettings, Closure, Practitioner, Room, Visit
from scheduling.timetable import timetable

# Shown on calendars: everything but cancelled visits (which no longer hold their time).
SHOWN_ON_CALENDAR = (Visit.Status.BOOKED, Visit.Status.ARRIVED, Visit.Status.COMPLETED, Visit.Status.NO_SHOW)


@dataclass
class Block:
    visit: Visit
    column: int
    row: int
    span: int
    href: str = ""
    title: str = ""
    kind: str = ""
    where: str = ""


@dataclass
class FreeCell:
    column: int
    row: int
    starts_at: dt.datetime
    href: str = ""
    time: str = ""
    label: str = ""


@dataclass
class CalendarGrid:
    days: list[dt.date]
    times: list[dt.time]
    step_minutes: int
    blocks: list[Block] = field(default_factory=list)
    free: list[FreeCell] = field(default_factory=list)
    closed: dict[dt.date, str] = field(default_factory=dict)
    # The all-practitioners day: one column per practitioner (``days`` holds the one day).
    practitioners: list[Practitioner] = field(default_factory=list)

    @property
    def time_rows(self) -> list[tuple[int, dt.time]]:
        # Row 1 holds the day headings.
        return [(index + 2, time) for index, time in enumerate(self.times)]

    @property
    def hour_labels(self) -> list[tuple[int, int, dt.time]]:
        """(row, rows spanned, time) of each time label: the first row and every full hour,
        each spanning the rows up to the next label."""
        rows = [(row, time) for index, (row, time) in enumerate(self.time_rows) if index == 0 or time.minute == 0]
        ends = [row for row, _ in rows[1:]] + [len(self.times) + 2]
        return [(row, end - row, time) for (row, time), end in zip(rows, ends, strict=True)]

    @property
    def day_columns(self) -> list[tuple[int, dt.date, str | None]]:
        return [(index + 2, day, self.closed.get(day)) for index, day in enumerate(self.days)]

    @property
    def practitioner_columns(self) -> list[tuple[int, Practitioner, str | None]]:
        closed = self.closed.get(self.days[0])
        return [(index + 2, practitioner, closed) for index, practitioner in enumerate(self.practitioners)]

    @property
    def columns(self) -> int:
        return len(self.practitioners) or len(self.days)


def _grid_times(opening: dict[int, tuple[dt.time, dt.time]], step: int) -> list[dt.time]:
    opens = min((opens for opens, _ in opening.values()), default=dt.time(8))
    closes = max((closes for _, closes in opening.values()), default=dt.time(20))
    start = dt.datetime.combine(dt.date.min, opens)
    end = dt.datetime.combine(dt.date.min, closes)
    times = []
    while start < end:
        times.append(start.time())
        start += dt.timedelta(minutes=step)
    return times


def _closed(days: list[dt.date], closures: list[Closure], open_weekdays) -> dict[dt.date, str]:
    closed = {}
    for day in days:
        closure = next((c for c in closures if c.first_day <= day <= c.last_day), None)
        if closure:
            closed[day] = closure.reason
        elif day.weekday() not in open_weekdays:
            closed[day] = f"not open on {day:%A}s"
    return closed


def calendar_grid(
    *, days: list[dt.date], practitioner: Practitioner | None = None, room: Room | None = None,
    settings: ClinicSettings | None = None,
) -> CalendarGrid:
    """A day or week for one practitioner or one room: visits as blocks, bookable free time as
    cells (a practitioner's free time; for a room, when the clinic is open and the room empty)."""
    tz = clinic_zone()
    settings = settings or ClinicSettings.load()
    step = settings.slot_minutes
    table = timetable(settings)
    grid = CalendarGrid(days=days, times=_grid_times(table.opening, step), step_minutes=step)
    first_day, last_day = days[0], days[-1]
    window_start = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    window_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    # The lower bound on starts_at (a visit lasts at most MAX_VISIT) keeps the index range to
    # the days shown: without it PostgreSQL reads the practitioner's whole history.
    visits = Visit.objects.filter(
        status__in=SHOWN_ON_CALENDAR, starts_at__gte=window_start - MAX_VISIT, starts_at__lt=window_end,
        ends_at__gt=window_start,
    ).select_related("patient", "appointment_type", "series", "room" if practitioner else "practitioner")
    visits = list(visits.filter(practitioner=practitioner) if practitioner else visits.filter(room=room))
    # Each visit's practitioner (or room) is the calendar's own: no join for it (a join fewer
    # halves the query's planning time on PostgreSQL).
    for visit in visits:
        if practitioner:
            visit.practitioner = practitioner
        else:
            visit.room = room
    _add_blocks(grid, visits, tz=tz, show_practitioner=practitioner is None)

    now = timezone.now()
    duration = dt.timedelta(minutes=step)
    subject = {"practitioner": practitioner.pk} if practitioner else {"room": room.pk}
    if practitioner:
        availability = Availability(practitioner=practitioner, first_day=first_day, last_day=last_day, tz=tz,
                                    settings=settings)
    hours = table.opening
    grid.closed = _closed(days, table.closures_between(first_day, last_day), hours)
    if not practitioner:
        room_busy = sorted((v.starts_at, v.ends_at) for v in visits if v.status in Visit.BLOCKING)
    for column, day in enumerate(days, start=2):
        rows = _bookable_rows(grid, day, tz=tz, now=now)
        if practitioner:
            free = availability.free_among(day, list(rows), duration)
        elif day in grid.closed or day.weekday() not in hours:
            free = []
        else:
            # A room is free while the clinic is open and no visit holds the room.
            opens, closes = hours[day.weekday()]
            free = free_of(room_busy, [s for s in rows if opens <= to_local(s, tz).time() < closes], duration)
        _add_free(grid, free, rows=rows, column=column, subject=subject, tz=tz)
    return grid


def calendar_day_all(*, day: dt.date, settings: ClinicSettings | None = None) -> CalendarGrid:
    """One day for every active practitioner, a column each: visits as blocks (with their state)
    and each practitioner's bookable free time as cells. A fixed number of queries however many
    practitioners and visits (``availability_day.availability_for_day`` reads once for all of them)."""
    tz = clinic_zone()
    settings = settings or ClinicSettings.load()
    step = settings.slot_minutes
    practitioners = list(Practitioner.objects.filter(active=True))
    table = timetable(settings)
    grid = CalendarGrid(days=[day], times=_grid_times(table.opening, step), step_minutes=step,
                        practitioners=practitioners)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    visits = list(
        Visit.objects.filter(status__in=SHOWN_ON_CALENDAR, starts_at__lt=start + dt.timedelta(days=1), ends_at__gt=start,
                             practitioner__in=practitioners)
        .select_related("patient", "appointment_type", "room", "series")
    )
    by_pk = {p.pk: p for p in practitioners}
    for visit in visits:
        visit.practitioner = by_pk[visit.practitioner_id]  # one of the columns' (no join)
    column_of = {p.pk: column for column, p, _ in grid.practitioner_columns}
    _add_blocks(grid, visits, tz=tz, show_practitioner=False, column_of=lambda visit: column_of[visit.practitioner_id])
    availabilities = availability_for_day(practitioners, day=day, tz=tz, settings=settings)
    if practitioners:
        grid.closed = _closed([day], table.closures_between(day, day), table.opening)
    rows = _bookable_rows(grid, day, tz=tz, now=timezone.now())
    for column, practitioner, _ in grid.practitioner_columns:
        free = availabilities[practitioner.pk].free_among(day, list(rows), dt.timedelta(minutes=step))
        _add_free(grid, free, rows=rows, column=column, subject={"practitioner": practitioner.pk}, tz=tz,
                  who=str(practitioner))
    return grid


def _bookable_rows(grid: CalendarGrid, day: dt.date, *, tz, now: dt.datetime) -> dict[dt.datetime, int]:
    """Each grid time of ``day`` still ahead, as an aware start → its grid row."""
    midnight = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    if midnight.utcoffset() == (midnight + dt.timedelta(days=1)).utcoffset():
        # No clock change that day (all but two a year): every wall-clock time exists once, so
        # ``local_datetime``'s checks, a third of the week's grid time, can be skipped.
        starts = ((dt.datetime.combine(day, time, tzinfo=tz), row) for row, time in grid.time_rows)
        return {start: row for start, row in starts if start >= now}
    rows = {}
    for row, time in grid.time_rows:
        try:
            start = local_datetime(day, time, tz=tz, fold=0)
        except NonexistentLocalTime:
            continue
        if start >= now:
            rows[start] = row
    return rows


def _add_free(grid: CalendarGrid, free: list[dt.datetime], *, rows: dict, column: int, subject: dict, tz,
              who: str = "") -> None:
    # ``urlencode({"start": …, **subject})`` per cell, with the subject's part encoded once.
    book, subject_query = reverse("scheduling:visit_new"), urlencode(subject)
    for start in free:
        local = to_local(start, tz)
        grid.free.append(FreeCell(
            column=column, row=rows[start], starts_at=start, time=f"{local:%H:%M}",
            href=f"{book}?start={quote_plus(start.isoformat())}&{subject_query}",
            label=f"Book {local:%a %d %b %H:%M}" + (f" with {who}" if who else ""),
        ))


def _add_blocks(grid: CalendarGrid, visits: list[Visit], *, tz, show_practitioner: bool, column_of=None) -> None:
    step = grid.step_minutes
    grid_start = grid.times[0] if grid.times else dt.time(8)
    day_column = {day: index + 2 for index, day in enumerate(grid.days)}
    href = _visit_href()
    for visit in visits:
        local_start, local_end = to_local(visit.starts_at, tz), to_local(visit.ends_at, tz)
        minutes = (local_start.hour * 60 + local_start.minute) - (grid_start.hour * 60 + grid_start.minute)
        length = max(1, round((visit.ends_at - visit.starts_at).total_seconds() / 60 / step))
        row = max(0, minutes // step) + 2
        span = max(1, min(length, len(grid.times) + 2 - row))
        if local_start.date() not in day_column or local_end.date() != local_start.date():
            continue
        kind = visit.appointment_type.name
        if visit.series_id:
            kind += f" · {visit.sequence}/{visit.series.sessions_planned}"
        where = str(visit.practitioner if show_practitioner else visit.room)
        if visit.status != Visit.Status.BOOKED:
            where += f" · {visit.state_label}"
        grid.blocks.append(Block(
            visit=visit, column=column_of(visit) if column_of else day_column[local_start.date()], row=row, span=span,
            href=href(visit.pk),
            title=f"{local_start:%H:%M}–{local_end:%H:%M} {visit.patient.full_name}", kind=kind, where=where,
        ))


def _visit_href():
    """``reverse("scheduling:visit", args=[pk])`` for a page of visits: reversed once, each pk
    put in its place (a reverse costs ~50 µs, a week holds up to ~200 visits)."""
    marker = "2147483647"
    before, _, after = reverse("scheduling:visit", args=[int(marker)]).partition(marker)
    return lambda pk: f"{before}{pk}{after}"
