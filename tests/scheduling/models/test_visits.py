"""Rules about a visit's or a maintenance schedule's own state, held by the model."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scheduling.booking import visit_book
from scheduling.errors import BookingError
from scheduling.models import MaintenanceSchedule, Series, Visit
from tests.factories import PatientFactory
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")

# During the test visit: the time no status change is refused for.
DURING = at("2026-03-03", "10:30")
ALLOWED = {
    (Visit.Status.BOOKED, Visit.Status.ARRIVED),
    (Visit.Status.BOOKED, Visit.Status.NO_SHOW),
    (Visit.Status.BOOKED, Visit.Status.CANCELLED),
    (Visit.Status.BOOKED, Visit.Status.COMPLETED),
    (Visit.Status.ARRIVED, Visit.Status.CANCELLED),
    (Visit.Status.ARRIVED, Visit.Status.COMPLETED),
    (Visit.Status.ARRIVED, Visit.Status.BOOKED),
    (Visit.Status.ARRIVED, Visit.Status.NOT_TREATED),
}
WITH_REASON = (Visit.Status.CANCELLED, Visit.Status.NOT_TREATED)


@pytest.fixture
def visit(clinic, lin, patient):
    return visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                      starts_at=at("2026-03-03", "10:00"), by=None)


@pytest.mark.parametrize("current", Visit.Status.values)
@pytest.mark.parametrize("new", list(Visit.TRANSITIONS))
def test_a_status_change_is_made_only_where_the_transition_table_allows_it(visit, current, new):
    Visit.objects.filter(pk=visit.pk).update(status=current, cancel_reason="Ill" if current in WITH_REASON else "")
    visit.refresh_from_db()

    if (current, new) in ALLOWED:
        visit.change_status(new, at=DURING, reason="Ill")
        visit.refresh_from_db()
        assert visit.status == new and visit.status_changed_at == DURING
    else:
        with pytest.raises(BookingError, match=f"A visit that is {visit.get_status_display().lower()} cannot be"):
            visit.change_status(new, at=DURING)
        visit.refresh_from_db()
        assert visit.status == current


def test_a_cancellation_keeps_its_reason_cut_to_the_field(visit):
    visit.change_status(Visit.Status.CANCELLED, at=DURING, reason="x" * 250)
    visit.refresh_from_db()
    assert visit.cancel_reason == "x" * 200


@pytest.mark.parametrize("status", [Visit.Status.CANCELLED, Visit.Status.NOT_TREATED])
def test_cancelling_or_not_treating_needs_a_reason(visit, status):
    visit.change_status(Visit.Status.ARRIVED, at=DURING)
    with pytest.raises(ValidationError, match="Give a reason"):
        visit.change_status(status, at=DURING, reason="  ")
    visit.refresh_from_db()
    assert visit.status == Visit.Status.ARRIVED


def test_undoing_an_arrival_clears_nothing_but_the_status(visit):
    visit.change_status(Visit.Status.ARRIVED, at=DURING)
    visit.change_status(Visit.Status.BOOKED, at=DURING, reason="ignored")
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == (Visit.Status.BOOKED, "")


def test_the_database_refuses_a_cancelled_by_on_a_visit_not_cancelled(visit):
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(cancelled_by=Visit.CancelledBy.PATIENT)


@pytest.mark.parametrize("status,at_time,refusal", [
    (Visit.Status.ARRIVED, at("2026-03-02", "10:00"), "only arrive on the day"),
    (Visit.Status.NO_SHOW, at("2026-03-03", "09:59"), "has not started yet"),
    (Visit.Status.COMPLETED, at("2026-03-03", "09:59"), "before it has started"),
])
def test_a_status_change_can_be_refused_for_its_time(visit, status, at_time, refusal):
    with pytest.raises(BookingError, match=refusal):
        visit.change_status(status, at=at_time)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.BOOKED


def test_moves_and_confirmations_need_a_booked_visit(visit):
    visit.change_status(Visit.Status.ARRIVED, at=DURING)
    with pytest.raises(BookingError, match="arrived cannot be moved"):
        visit.refuse_unless(Visit.CHANGEABLE, "moved")


def test_locked_returns_a_fresh_copy_with_what_status_changes_need(visit, django_assert_num_queries):
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.ARRIVED)
    with transaction.atomic(), django_assert_num_queries(1):
        locked = Visit.objects.locked(visit.pk)
        assert locked.status == Visit.Status.ARRIVED
        assert locked.appointment_type.kind and locked.practitioner.display_name and locked.series is None


def test_the_series_length_is_held_by_the_database(clinic, lin, patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Series.objects.create(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                              sessions_planned=Series.MAX_SESSIONS + 1, cadence_days=7, first_day=dt.date(2026, 3, 3),
                              preferred_time=dt.time(10))


def test_maintenance_is_due_after_the_patients_interval_or_the_clinic_default(db):
    schedule = MaintenanceSchedule(patient=PatientFactory(), since=dt.date(2026, 3, 3))
    schedule.set_due(default_weeks=5)
    assert schedule.due_on == dt.date(2026, 4, 7)
    schedule.interval_weeks = 2
    schedule.set_due(default_weeks=5)
    assert schedule.due_on == dt.date(2026, 3, 17)


@pytest.mark.parametrize("weeks,allowed", [(None, True), (1, True), (26, True), (0, False), (27, False)])
def test_a_maintenance_interval_is_1_to_26_weeks(weeks, allowed):
    if allowed:
        MaintenanceSchedule.check_interval(weeks)
    else:
        with pytest.raises(ValidationError, match="between 1 and 26 weeks"):
            MaintenanceSchedule.check_interval(weeks)
