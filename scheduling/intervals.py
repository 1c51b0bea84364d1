"""Busy intervals as plain tuples: whether free starts meet any of them, in one sweep.
Shared by ``scheduling.availability`` and the calendars (a room's free time)."""

import datetime as dt


def free_of(busy: list[tuple[dt.datetime, dt.datetime]], starts: list[dt.datetime], duration: dt.timedelta) -> list[dt.datetime]:
    """Those of ``starts`` (ascending) whose [start, start + duration) meets none of ``busy``
    (sorted by start), in one sweep: what ended by one start cannot clash with a later one."""
    free, first = [], 0
    for start in starts:
        end = start + duration
        while first < len(busy) and busy[first][1] <= start:
            first += 1
        if not _clashes(busy, first, start, end):
            free.append(start)
    return free


def _clashes(busy: list[tuple[dt.datetime, dt.datetime]], first: int, start: dt.datetime, end: dt.datetime) -> bool:
    # Busy intervals may overlap each other (the patient's visit inside a time off), so the
    # first one left is not always the first to end: look on while they start before ``end``.
    for index in range(first, len(busy)):
        busy_start, busy_end = busy[index]
        if busy_start >= end:
            return False
        if busy_end > start:
            return True
    return False


def merged(times: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Overlapping or touching ranges joined, so a day of slots is one range in the query."""
    merged: list[list[dt.datetime]] = []
    for starts_at, ends_at in sorted(times):
        if merged and starts_at <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], ends_at)
        else:
            merged.append([starts_at, ends_at])
    return [(s, e) for s, e in merged]
