"""The all-practitioners day view's availability: every practitioner's free time on one day from
one read of the day's visits (a fixed number of queries however many practitioners), handed to
``Availability``; the timetable comes from ``scheduling.timetable``."""

import datetime as dt
from zoneinfo import ZoneInfo

from scheduling.availability import MAX_VISIT, Availability, window_of
from scheduling.clock import clinic_zone
from scheduling.models import ClinicSettings, Practitioner, Visit


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
    shared = {
        "visits": list(
            Visit.objects.filter(status__in=Visit.BLOCKING, starts_at__gte=window_start - MAX_VISIT,
                                 starts_at__lt=window_end, ends_at__gt=window_start)
            .order_by().values_list("id", "starts_at", "ends_at", "practitioner_id", "patient_id", "room_id")
        ),
    }
    return {p.pk: Availability(practitioner=p, first_day=day, last_day=day, tz=tz, settings=settings, shared=shared)
            for p in practitioners}
