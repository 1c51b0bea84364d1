"""Busy intervals as plain tuples: which of them overlap a time (by bisect), whether free starts
meet any of them (in one sweep). Shared by ``scheduling.availability`` and the calendars (a
room's free time)."""

import datetime as dt
from bisect import bisect_left, insort

# The longest a visit may last (held by the check constraint ``visit_at_most_8_hours``).
MAX_VISIT = dt.timedelta(hours=8)
# Holds (times proposed but not yet written) sort after visits starting at the same time.
HOLD = float("inf")


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    # Half-open ranges: 10:00–11:00 and 11:00–12:00 do not overlap.
    return a_start < b_end and b_start < a_end


class SortedIntervals:
    """Busy intervals sorted by (start, order); each lasts at most ``MAX_VISIT``, so those
    overlapping [start, end) start in [start − MAX_VISIT, end): a bisect finds them."""

    def __init__(self) -> None:
        # (start, order, item): ``order`` (the visit's id, or HOLD) makes the order total.
        self.entries: list[tuple[dt.datetime, float, tuple]] = []

    def add(self, starts_at: dt.datetime, order: float, item: tuple) -> None:
        insort(self.entries, (starts_at, order, item), key=lambda entry: entry[:2])

    def extend(self, entries: list[tuple[dt.datetime, float, tuple]]) -> None:
        self.entries.extend(entries)
        self.entries.sort(key=lambda entry: entry[:2])

    def overlapping(self, starts_at: dt.datetime, ends_at: dt.datetime):
        """Items overlapping [starts_at, ends_at), in order; each item's [1] is its end."""
        entries = self.entries
        index = bisect_left(entries, starts_at - MAX_VISIT, key=lambda entry: entry[0])
        while index < len(entries) and entries[index][0] < ends_at:
            item = entries[index][2]
            if item[1] > starts_at:
                yield item
            index += 1


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
