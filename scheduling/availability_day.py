"""The all-practitioners day view's availability: every practitioner's free time on one day from
one read (a fixed number of queries however many practitioners), handed to ``Availability``."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Count, Subquery, Value

from scheduling.availability import MAX_VISIT, Availability, window_of
from scheduling.clock import clinic_zone
from scheduling.models import ClinicSettings, Closure, OpeningHours, Practitioner, Room, TimeOff, Visit, WorkingHours


def availability_for_day(practitioners: list[Practitioner], *, day: dt.date, tz: ZoneInfo | None = None,
                         settings: ClinicSettings | None = None) -> dict[int, Availability]:
    """Each practitioner's availability on ``day`` (the all-practitioners day view), all from
    one read: a fixed number of queries however many practitioners. The read holds every
    visit of the window, so the rooms are known too."""
    if not practitioners:
        return {}
    settings = settings or ClinicSettings.load()
    tz = tz or clinic_zone()
    window_start, window_end = window_of(day, day, tz)
    pks = [p.pk for p in practitioners]
    working: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = {pk: {} for pk in pks}
    for practitioner_id, weekday, starts, ends in WorkingHours.objects.filter(practitioner__in=pks).values_list(
        "practitioner_id", "weekday", "starts", "ends"
    ):
        working[practitioner_id].setdefault(weekday, []).append((starts, ends))
    time_off: dict[int, list] = {pk: [] for pk in pks}
    for practitioner_id, starts_at, ends_at in TimeOff.objects.filter(
        practitioner__in=pks, starts_at__lt=window_end, ends_at__gt=window_start
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        time_off[practitioner_id].append((starts_at, ends_at))
    everyone = Practitioner.objects.order_by().values(one=Value(1)).annotate(count=Count("pk")).values("count")
    shared = {
        "opening": {row.weekday: (row.opens, row.closes) for row in OpeningHours.objects.all()},
        "closures": list(Closure.objects.filter(first_day__lte=day, last_day__gte=day)),
        "working": working,
        "time_off": time_off,
        "rooms": list(Room.objects.filter(active=True).annotate(everyone=Subquery(everyone)).values_list("id", "everyone")),
        "visits": list(
            Visit.objects.filter(status__in=Visit.BLOCKING, starts_at__gte=window_start - MAX_VISIT,
                                 starts_at__lt=window_end, ends_at__gt=window_start)
            .order_by().values_list("id", "starts_at", "ends_at", "practitioner_id", "patient_id", "room_id")
        ),
    }
    return {p.pk: Availability(practitioner=p, first_day=day, last_day=day, tz=tz, settings=settings, shared=shared)
            for p in practitioners}
