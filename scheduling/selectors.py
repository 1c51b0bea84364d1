"""Reads for the scheduling pages, each in a fixed number of queries whatever the data size."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from patients.models import Patient
from scheduling.availability import Availability, overlaps
from scheduling.clock import NonexistentLocalTime, clinic_zone, local_datetime, to_local
from scheduling.models import (
    AppointmentType,
    ClinicSettings,
    Closure,
    MaintenanceSchedule,
    OpeningHours,
    PatientRequest,
    Practitioner,
    Reminder,
    Room,
    Series,
    Visit,
)

# The patient timeline shows this many of the latest reminders.
TIMELINE_REMINDERS = 50

# Shown on calendars: everything but cancelled visits (which no longer hold their time).
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


def patient_timeline(patient: Patient) -> dict:
    """Every series with its progress, every visit, and maintenance, for the timeline page."""
    series = list(
        patient.series.select_related("practitioner", "appointment_type").annotate(
            done=Count("visits", filter=Q(visits__status=Visit.Status.COMPLETED)),
            booked=Count("visits", filter=Q(visits__status__in=Visit.OPEN)),
        )
    )
    visits = list(
        patient.visits.select_related("practitioner", "room", "appointment_type", "series", "make_up_for", "make_up")
        .order_by("-starts_at")
    )
    maintenance = MaintenanceSchedule.objects.filter(patient=patient).first()
    reminders = list(patient.reminders.select_related("visit").order_by("-due_at", "-id")[:TIMELINE_REMINDERS])
    return {"series_list": series, "visits": visits, "maintenance": maintenance, "reminders": reminders}


def patient_summary(patient: Patient, *, upcoming: int = 5) -> dict:
    """The scheduling section of the patient page: next visits, series progress, maintenance."""
    now = timezone.now()
    visits = list(
        patient.visits.filter(status__in=Visit.OPEN, starts_at__gte=now - dt.timedelta(hours=12))
        .select_related("practitioner", "appointment_type")
        .order_by("starts_at")[:upcoming]
    )
    series = list(
        patient.series.filter(status=Series.Status.ACTIVE)
        .select_related("practitioner")
        .annotate(done=Count("visits", filter=Q(visits__status=Visit.Status.COMPLETED)))
    )
    maintenance = MaintenanceSchedule.objects.filter(patient=patient).first()
    return {"upcoming": visits, "active_series": series, "maintenance": maintenance}


def maintenance_due(*, today: dt.date, horizon_days: int = 14):
    """Patients whose maintenance is overdue or due within ``horizon_days``, most overdue first,
    each with its next booked maintenance visit (if any) as ``next_booked``."""
    next_booked = (
        Visit.objects.filter(
            patient=OuterRef("patient_id"),
            status=Visit.Status.BOOKED,
            starts_at__gte=timezone.now(),
            appointment_type__kind=AppointmentType.Kind.MAINTENANCE,
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    return (
        MaintenanceSchedule.objects.filter(due_on__lte=today + dt.timedelta(days=horizon_days))
        .select_related("patient")
        .annotate(next_booked=Subquery(next_booked))
        .order_by("due_on", "patient__last_name", "patient_id")
    )


# What the clinic-wide reminder list shows: failed sends first (staff act on those), then every
# reminder still to go out, soonest first.
ATTENTION = (Reminder.State.FAILED, Reminder.State.PENDING, Reminder.State.QUEUED, Reminder.State.SENDING)


def reminders_needing_attention(*, failed_only: bool = False):
    states = [Reminder.State.FAILED] if failed_only else ATTENTION
    return (
        Reminder.objects.filter(state__in=states)
        .select_related("patient", "visit__practitioner", "series")
        .annotate(failed_first=Case(When(state=Reminder.State.FAILED, then=Value(0)), default=Value(1),
                                    output_field=IntegerField()))
        .order_by("failed_first", "next_attempt_at", "id")
    )


def open_patient_requests():
    return (
        PatientRequest.objects.filter(handled_at__isnull=True)
        .select_related("patient", "visit__practitioner", "series")
        .order_by("created_at", "id")
    )


# --- Small reads for the booking and visit pages ------------------------------------------------------
def default_series_type_id() -> int | None:
    """The appointment type a new series starts with on the form: the first active treatment."""
    return (
        AppointmentType.objects.filter(active=True, kind=AppointmentType.Kind.TREATMENT)
        .values_list("pk", flat=True)
        .first()
    )


def maintenance_type() -> AppointmentType | None:
    """The appointment type the maintenance list books."""
    return AppointmentType.objects.filter(active=True, kind=AppointmentType.Kind.MAINTENANCE).first()


def rooms_by_id() -> dict[int, Room]:
    return {room.pk: room for room in Room.objects.all()}


def series_sessions_done(series: Series) -> int:
    return series.visits.filter(status=Visit.Status.COMPLETED).count()
