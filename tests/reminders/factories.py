"""Reminder test data made through the booking functions, like real bookings."""

import datetime as dt

from scheduling.booking import visit_book
from scheduling.models import Reminder, Visit
from scheduling.reminders.upkeep import visit_reminders_replace
from scheduling.visit_status import visit_cancel, visit_complete
from tests.factories import PatientFactory
from tests.scheduling.factories import at, book_series


def book_visit(*, clinic, practitioner, starts: dt.datetime | tuple[str, str], patient=None, minutes: int | None = None) -> Visit:
    """A single treatment visit booked by the front desk (``starts`` may be ("2026-03-05", "10:00"))."""
    if isinstance(starts, tuple):
        starts = at(*starts)
    return visit_book(
        patient=patient or PatientFactory(), practitioner=practitioner, appointment_type=clinic.treatment,
        starts_at=starts, by=None,
    )


def due_visit_reminders(*, clinic, practitioner, count: int, start: dt.datetime) -> list:
    """``count`` hour-long visits one after another from ``start``, each for its own patient, with
    the reminders the booking rules give them. Written in bulk (not a booking flow): the tests
    that use it need hundreds of reminders due at the real present, for worker processes that do
    not share this process's time travel."""
    patients = PatientFactory.create_batch(count)
    visits = Visit.objects.bulk_create(
        Visit(
            patient=patient, practitioner=practitioner, room=clinic.rooms[0], appointment_type=clinic.treatment,
            starts_at=start + dt.timedelta(hours=i), ends_at=start + dt.timedelta(hours=i + 1),
        )
        for i, patient in enumerate(patients)
    )
    return visit_reminders_replace(visits=visits, note="")


def due_reminder(*, clinic, practitioner, frozen, **patient) -> Reminder:
    """A visit's reminder, with the clock moved to when it is due."""
    visit = book_visit(clinic=clinic, practitioner=practitioner, starts=("2026-03-05", "10:00"),
                       patient=PatientFactory(**patient))
    frozen.move_to(at("2026-03-03", "10:00"))
    return Reminder.objects.get(visit=visit)


def waiting(**filters) -> list[Reminder]:
    """Reminders still to go out, in due order."""
    return list(Reminder.objects.filter(state__in=Reminder.WAITING, **filters).order_by("due_at"))


def series_two_left(*, clinic, practitioner, patient) -> Reminder:
    """A weekly course from Tue 3 March 10:00 whose sessions 5 and 6 (31 March, 7 April) were
    cancelled without make-ups; returns its "sessions left to book" reminder."""
    series = book_series(patient=patient, practitioner=practitioner, clinic=clinic)
    for visit in series.visits.filter(sequence__in=[5, 6]):
        visit_cancel(visit=visit, reason="Away", by=None)
    return Reminder.objects.get(kind=Reminder.Kind.SERIES_UNBOOKED, series=series, state="pending")


def maintenance_due(*, clinic, practitioner, frozen) -> Reminder:
    """A patient whose maintenance visit with ``practitioner`` on Tue 3 March was completed: the
    next is due five weeks later (Tue 7 April); returns its first reminder."""
    done = visit_book(patient=PatientFactory(), practitioner=practitioner, appointment_type=clinic.maintenance,
                      starts_at=at("2026-03-03", "10:00"), by=None)
    frozen.move_to(done.ends_at)
    visit_complete(visit=done, by=None)
    return Reminder.objects.filter(kind=Reminder.Kind.MAINTENANCE_DUE).order_by("due_at").first()
