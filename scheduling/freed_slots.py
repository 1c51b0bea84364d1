"""Times that a cancellation or a move frees, kept so the front desk can offer them to the
waiting list (``scheduling.waitlist``). Booking and status changes call ``slot_freed`` inside
their own transaction; it imports nothing from them, so they can import it."""

import datetime as dt

from django.utils import timezone

from scheduling.models import FreedSlot, Visit


def slot_freed(*, visit: Visit, starts_at: dt.datetime, ends_at: dt.datetime, cause: str) -> FreedSlot | None:
    """Records the time ``visit`` left, if it still lies ahead (a past time helps nobody)."""
    if starts_at <= timezone.now():
        return None
    return FreedSlot.objects.create(
        practitioner_id=visit.practitioner_id, visit=visit, starts_at=starts_at, ends_at=ends_at, cause=cause,
    )
