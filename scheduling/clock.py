"""Local dates and times of the clinic, and the two ways a wall-clock time can go wrong.

Rules count in local days and hours, so arithmetic is done on local dates and wall-clock times
and only then turned into an instant: a weekly 10:00 series is "date + 7 days, at 10:00", never
"instant + 7 × 24 hours" (which would drift to 09:00 or 11:00 across a clock change).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError

UTC = dt.UTC


class NonexistentLocalTime(ValidationError):
    """The wall-clock time is skipped by a spring-forward clock change."""


class AmbiguousLocalTime(ValidationError):
    """The wall-clock time happens twice (the repeated hour of a fall-back change)."""


def clinic_zone() -> ZoneInfo:
    # Read each time, so tests (and override_settings) can change the zone.
    return ZoneInfo(settings.TIME_ZONE)


def to_local(instant: dt.datetime, tz: ZoneInfo | None = None) -> dt.datetime:
    return instant.astimezone(tz or clinic_zone())


def today(tz: ZoneInfo | None = None) -> dt.date:
    return dt.datetime.now(tz or clinic_zone()).date()


def local_datetime(day: dt.date, time: dt.time, *, tz: ZoneInfo | None = None, fold: int | None = None) -> dt.datetime:
    """The instant at ``time`` on ``day`` in the clinic's zone.

    Refuses a time that does not exist on that day; for a time that happens twice, ``fold``
    must say which: 0 = the first (still summer time), 1 = the second.
    """
    tz = tz or clinic_zone()
    naive = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    # A skipped time does not survive a round trip through UTC (02:30 comes back as 03:30).
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(
            f"{time:%H:%M} does not exist on {day:%d %b %Y} in {tz.key}: the clocks go forward that night. "
            "Choose another time.",
            code="nonexistent_time",
        )
    if first.utcoffset() != second.utcoffset():
        if fold is None:
            raise AmbiguousLocalTime(
                f"{time:%H:%M} happens twice on {day:%d %b %Y} in {tz.key} (the clocks go back): "
                "choose the first or the second.",
                code="ambiguous_time",
            )
        return second if fold else first
    return first

