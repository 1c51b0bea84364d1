"""What a scheduling write refuses with, and the one place a clash caught by the database
becomes that refusal.

No double booking: each booking function checks the time inside ``transaction.atomic``. On
SQLite the settings open every transaction with BEGIN IMMEDIATE, so check and insert are
serialized with any other writer. On PostgreSQL two transactions can both pass the check; the
exclusion constraints (migration 0002) then refuse the second insert, which becomes ``SlotTaken``.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError

# PostgreSQL error codes: exclusion_violation, and deadlock_detected (two bookings waiting on
# each other's rows; one is rolled back, which for the user is the same as "someone was faster").
_OVERLAP_CODES = {"23P01", "40P01"}


class BookingError(ValidationError):
    """The booking cannot be made as asked (closed, outside hours, wrong state...)."""


class SlotTaken(BookingError):
    """Another booking holds the time (possibly made a moment ago by someone else)."""


def _is_overlap(exc: Exception) -> bool:
    cause = exc.__cause__
    # psycopg2 calls the SQLSTATE "pgcode", psycopg 3 "sqlstate".
    return (getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)) in _OVERLAP_CODES


@contextmanager
def database_clash_is_slot_taken() -> Iterator[None]:
    """A clash the database caught (exclusion constraint, or a deadlock between two bookings)
    becomes the same clear SlotTaken the in-transaction check raises, never a 500."""
    try:
        yield
    except (IntegrityError, OperationalError) as exc:
        if _is_overlap(exc):
            raise SlotTaken(
                "Someone else booked one of these times a moment ago. Nothing was booked; please choose again.",
                code="slot_taken",
            ) from exc
        raise
