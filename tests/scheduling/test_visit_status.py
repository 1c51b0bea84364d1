import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from scheduling.booking import visit_book
from scheduling.clock import to_local
from scheduling.errors import BookingError
from scheduling.models import Closure, MaintenanceSchedule, Series, Visit
from scheduling.visit_status import (
    visit_cancel,
    visit_complete,
    visit_mark_arrived,
    visit_mark_no_show,
    visit_mark_not_treated,
    visit_undo_arrival,
)
from tests.scheduling.factories import at, book_series, complete_all


def test_arrival_can_only_be_marked_on_the_day(frozen, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    with pytest.raises(BookingError, match="day of the visit"):
        visit_mark_arrived(visit=visit, by=None)

    frozen.move_to(at("2026-03-03", "09:50"))
    assert visit_mark_arrived(visit=visit, by=None).status == Visit.Status.ARRIVED
    with pytest.raises(BookingError, match="arrived cannot be marked arrived"):
        visit_mark_arrived(visit=visit, by=None)


def test_a_no_show_needs_the_visit_to_have_started_and_frees_the_slot(frozen, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    frozen.move_to(at("2026-03-03", "09:59"))
    with pytest.raises(BookingError, match="not started"):
        visit_mark_no_show(visit=visit, by=None)

    frozen.move_to(at("2026-03-03", "10:15"))
    assert visit_mark_no_show(visit=visit, by=None).status == Visit.Status.NO_SHOW
    walk_in = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                         starts_at=at("2026-03-03", "10:30"), by=None)
    assert walk_in.pk


def test_a_visit_cannot_be_completed_before_it_starts(frozen, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    with pytest.raises(BookingError, match="before it has started"):
        visit_complete(visit=visit, by=None)


def test_completing_the_last_treatment_completes_the_series_and_starts_maintenance(frozen, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    visits = list(series.visits.order_by("sequence"))
    for visit in visits[:-1]:
        frozen.move_to(visit.ends_at)
        visit_complete(visit=visit, by=None)
        series.refresh_from_db()
        assert series.status == Series.Status.ACTIVE
    assert not MaintenanceSchedule.objects.exists()

    frozen.move_to(visits[-1].ends_at)
    visit_complete(visit=visits[-1], by=None)

    series.refresh_from_db()
    assert series.status == Series.Status.COMPLETED and series.completed_on == dt.date(2026, 4, 7)
    # Clinic default: 5 weeks after the last treatment.
    assert patient.maintenance.due_on == dt.date(2026, 5, 12)


def test_a_cancelled_session_without_make_up_does_not_hold_the_series_open(frozen, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    visit_cancel(visit=series.visits.get(sequence=6), reason="Moving away", by=None)
    complete_all(series, frozen)
    series.refresh_from_db()
    assert series.status == Series.Status.COMPLETED
    assert patient.maintenance.due_on == dt.date(2026, 3, 31) + dt.timedelta(weeks=5)


def test_completing_does_not_need_front_desk_steps(clinic, lin, patient):
    # The session record (treatments) completes a visit that was never marked arrived.
    with time_machine.travel(at("2026-03-02", "08:00"), tick=False) as traveller:
        visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                           starts_at=at("2026-03-02", "10:00"), by=None)
        traveller.move_to(at("2026-03-02", "10:45"))
        assert visit_complete(visit=visit, by=lin.user).status == Visit.Status.COMPLETED


def test_cancelling_needs_a_reason(frozen, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    with pytest.raises(ValidationError) as exc:
        visit_cancel(visit=visit, reason="  ", by=None)
    assert "reason" in exc.value.error_dict
    visit.refresh_from_db()
    assert visit.status == Visit.Status.BOOKED


def test_cancelling_with_a_make_up_adds_a_session_after_the_last_one(frozen, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)

    make_up = visit_cancel(visit=series.visits.get(sequence=2), reason="Cold", by=None, make_up=True)

    assert series.visits.get(sequence=2).status == Visit.Status.CANCELLED
    assert series.visits.get(sequence=2).cancel_reason == "Cold"
    assert make_up.sequence == 7 and not make_up.shifted
    assert to_local(make_up.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-04-14 10:00"
    assert series.visits.filter(status=Visit.Status.BOOKED).count() == 6


def test_a_make_up_that_cannot_be_placed_cancels_nothing(frozen, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    Closure.objects.create(first_day=dt.date(2026, 4, 10), last_day=dt.date(2026, 4, 30), reason="Closed for works")

    with pytest.raises(BookingError, match="nothing was cancelled"):
        visit_cancel(visit=series.visits.get(sequence=2), reason="Cold", by=None, make_up=True)

    assert series.visits.get(sequence=2).status == Visit.Status.BOOKED


def test_a_make_up_is_labelled_for_the_session_it_replaces_and_linked_both_ways(
    frozen, clinic, lin, patient, front_desk_client
):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    cancelled = series.visits.get(sequence=2)

    make_up = visit_cancel(visit=cancelled, reason="Cold", by=None, make_up=True)

    assert make_up.make_up_for == cancelled and make_up.label == "Make-up for session 2"
    make_up_page = front_desk_client.get(reverse("scheduling:visit", args=[make_up.pk])).content.decode()
    assert "Make-up for session 2" in make_up_page and "(7/6)" not in make_up_page
    assert reverse("scheduling:visit", args=[cancelled.pk]) in make_up_page
    cancelled_page = front_desk_client.get(reverse("scheduling:visit", args=[cancelled.pk])).content.decode()
    assert "Made up by" in cancelled_page and reverse("scheduling:visit", args=[make_up.pk]) in cancelled_page
    timeline = front_desk_client.get(reverse("scheduling:patient", args=[patient.pk])).content.decode()
    assert "Make-up for session 2" in timeline and "7/6" not in timeline


def test_a_make_up_of_a_cancelled_make_up_still_names_the_original_session(frozen, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    first = visit_cancel(visit=series.visits.get(sequence=2), reason="Cold", by=None, make_up=True)
    second = visit_cancel(visit=first, reason="Still ill", by=None, make_up=True)
    assert second.label == "Make-up for session 2"


def test_a_mistaken_arrival_can_be_undone_and_the_reminder_comes_back(frozen, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-02", "18:00"), by=None)
    visit_mark_arrived(visit=visit, by=None)
    assert not visit.reminders.filter(state="pending").exists()

    visit = visit_undo_arrival(visit=visit, by=None)

    assert visit.status == Visit.Status.BOOKED
    assert visit.reminders.filter(state="pending").count() == 1


def test_not_treated_frees_the_session_for_rebooking_and_keeps_the_reason(frozen, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    first = series.visits.get(sequence=1)
    frozen.move_to(at("2026-03-03", "09:55"))
    visit_mark_arrived(visit=first, by=None)

    visit = visit_mark_not_treated(visit=first, reason="New screening: active skin infection", by=None)

    assert (visit.status, visit.cancel_reason) == (Visit.Status.NOT_TREATED, "New screening: active skin infection")
    assert series.reminders.filter(kind="series_unbooked", state="pending").exists()


def test_a_clinic_cancellation_is_never_late(frozen, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-02", "12:00"), by=None)
    visit_cancel(visit=visit, reason="Practitioner ill", by=None)
    visit.refresh_from_db()
    assert (visit.cancelled_by, visit.late_cancel) == ("clinic", False)
