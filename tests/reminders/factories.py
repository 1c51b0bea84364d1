"""Reminder test data made through the booking functions, like real bookings."""

import datetime as dt

from scheduling.booking import visit_book
from scheduling.models import Visit
from tests.factories import PatientFactory
from tests.scheduling.factories import at


def book_visit(*, clinic, practitioner, starts: dt.datetime | tuple[str, str], patient=None, minutes: int | None = None) -> Visit:
    """A single treatment visit booked by the front desk (``starts`` may be ("2026-03-05", "10:00"))."""
    if isinstance(starts, tuple):
        starts = at(*starts)
    return visit_book(
        patient=patient or PatientFactory(), practitioner=practitioner, appointment_type=clinic.treatment,
        starts_at=starts, by=None,
    )
