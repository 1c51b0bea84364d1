"""When maintenance is due: the clinic default, a patient's own interval, each maintenance visit."""

import datetime as dt

import pytest

from scheduling.booking import visit_book
from scheduling.errors import BookingError
from scheduling.maintenance import maintenance_set_interval
from scheduling.models import ClinicSettings
from scheduling.visit_status import visit_complete
from tests.scheduling.factories import at, book_series, complete_all


def test_maintenance_interval_follows_the_clinic_default_and_a_per_patient_override(frozen, clinic, lin, patient):
    ClinicSettings.objects.filter(pk=1).update(maintenance_weeks=4)
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    complete_all(series, frozen)
    assert patient.maintenance.due_on == dt.date(2026, 5, 5)

    schedule = maintenance_set_interval(patient=patient, weeks=6, by=None)
    assert schedule.due_on == dt.date(2026, 5, 19)


def test_each_completed_maintenance_visit_sets_the_next_due_date(frozen, clinic, lin, patient):
    complete_all(book_series(patient=patient, practitioner=lin, clinic=clinic), frozen)
    maintenance_set_interval(patient=patient, weeks=6, by=None)
    frozen.move_to(at("2026-05-01", "08:00"))
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.maintenance,
                       starts_at=at("2026-05-18", "15:00"), by=None)

    frozen.move_to(at("2026-05-18", "16:00"))
    visit_complete(visit=visit, by=None)

    patient.maintenance.refresh_from_db()
    assert patient.maintenance.since == dt.date(2026, 5, 18)
    assert patient.maintenance.due_on == dt.date(2026, 6, 29)


def test_maintenance_interval_needs_a_finished_series(frozen, clinic, patient):
    with pytest.raises(BookingError):
        maintenance_set_interval(patient=patient, weeks=6, by=None)
