"""Patients choosing a time themselves through their e-mail links (``scheduling/reminders/self_booking.py``):
only their practitioner's free times, never inside the clinic's notice window, booked through the
booking functions; a screening that blocks treatment or a time taken meanwhile changes nothing."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from scheduling import booking
from scheduling.booking import visit_book
from scheduling.errors import BookingError, SlotTaken
from scheduling.models import ClinicSettings, LinkUse, PatientRequest, Reminder, Visit
from scheduling.reminders.actions import link_open
from scheduling.reminders.self_booking import TreatmentBlocked, choice_book, choice_offer, series_choice_book, series_offer
from scheduling.reminders.tokens import LinkError, link_token
from tests.factories import PatientFactory, ScreeningFactory
from tests.reminders.factories import book_visit, maintenance_due, series_two_left
from tests.scheduling.factories import at, practitioner

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def visit(clinic, lin):
    return book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))


def token(reminder: Reminder, action: str) -> str:
    return link_token(reminder=reminder, action=action)


def new_time_token(visit: Visit) -> str:
    return token(Reminder.objects.get(visit=visit), "new_time")


@pytest.fixture
def maintenance_reminder(clinic, lin, frozen):
    return maintenance_due(clinic=clinic, practitioner=lin, frozen=frozen)


def offered(reminder: Reminder, action: str) -> list[dt.datetime]:
    offer = choice_offer(link=link_open(token=token(reminder, action)))
    return sorted(offer.starts)


def test_another_time_offers_the_next_three_weeks_outside_the_notice_window(visit):
    # Now is Mon 2 March 08:00; the default notice is 24 hours.
    starts = offered(Reminder.objects.get(visit=visit), "new_time")
    assert starts[0] == at("2026-03-03", "08:00")
    assert at("2026-03-02", "12:00") not in starts  # inside the notice window
    assert at("2026-03-05", "10:00") not in starts  # where the visit already is
    assert at("2026-03-05", "10:15") in starts  # overlapping its own old time is fine: it moves
    assert starts[-1].date() == dt.date(2026, 3, 23)


def test_the_notice_window_is_a_clinic_setting(clinic, visit):
    clinic.settings.patient_min_notice_hours = 72
    clinic.settings.save()
    starts = offered(Reminder.objects.get(visit=visit), "new_time")
    assert starts[0] == at("2026-03-05", "08:00")


def test_a_time_inside_the_notice_window_is_refused(visit):
    with pytest.raises(BookingError, match="24 hours"):
        choice_book(token=new_time_token(visit), starts_at=at("2026-03-02", "14:00"))
    assert Visit.objects.get(pk=visit.pk).starts_at == at("2026-03-05", "10:00")
    assert not LinkUse.objects.exists() and not PatientRequest.objects.exists()


def test_only_the_patients_own_practitioner_is_offered(clinic, lin, visit):
    practitioner(display_name="Sara Okafor")
    # Lin is busy on Wed 4 March 09:00–10:00; Sara is free then, but she is not this patient's.
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-04", "09:00"))
    starts = offered(Reminder.objects.get(visit=visit), "new_time")
    assert at("2026-03-04", "09:00") not in starts and at("2026-03-04", "08:15") not in starts
    assert at("2026-03-04", "10:00") in starts
    with pytest.raises(SlotTaken):
        choice_book(token=new_time_token(visit), starts_at=at("2026-03-04", "09:00"))


def test_choosing_moves_the_visit_through_booking(visit):
    moved = choice_book(token=new_time_token(visit), starts_at=at("2026-03-06", "14:00"))
    assert moved.pk == visit.pk and moved.starts_at == at("2026-03-06", "14:00")
    # Its reminder follows, the front desk sees it, and the link is used.
    live = Reminder.objects.filter(visit=visit, state="pending").get()
    assert live.expires_at == at("2026-03-06", "14:00")
    request = PatientRequest.objects.get()
    assert (request.kind, request.visit_id, request.note) == ("moved", visit.pk, "Moved online to Fri 06 Mar 2026 14:00")
    assert LinkUse.objects.filter(action="new_time").count() == 1


def test_a_used_link_changes_nothing_more(visit):
    link = new_time_token(visit)
    choice_book(token=link, starts_at=at("2026-03-06", "14:00"))
    with pytest.raises(LinkError):
        choice_book(token=link, starts_at=at("2026-03-09", "14:00"))
    assert Visit.objects.get(pk=visit.pk).starts_at == at("2026-03-06", "14:00")


def test_a_time_taken_since_the_page_was_shown_is_slot_taken_and_changes_nothing(clinic, lin, visit):
    link = new_time_token(visit)
    # The front desk books that time for someone else between the page and the button.
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-06", "14:00"))
    with pytest.raises(SlotTaken):
        choice_book(token=link, starts_at=at("2026-03-06", "14:00"))
    assert Visit.objects.get(pk=visit.pk).starts_at == at("2026-03-05", "10:00")
    assert not LinkUse.objects.exists() and not PatientRequest.objects.exists()
    # The link still works for another time.
    assert choice_book(token=link, starts_at=at("2026-03-06", "15:00")).starts_at == at("2026-03-06", "15:00")


def test_a_clash_only_the_database_sees_is_slot_taken_and_changes_nothing(monkeypatch, clinic, lin, visit):
    """The race itself: the time was free when checked, then another booking lands first."""
    link = new_time_token(visit)
    other = PatientFactory()
    real_move = booking.visit_move

    def front_desk_first(**kwargs):
        visit_book(patient=other, practitioner=lin, appointment_type=clinic.treatment,
                   starts_at=at("2026-03-06", "14:00"), by=None)
        return real_move(**kwargs)

    monkeypatch.setattr(booking, "visit_move", front_desk_first)
    with pytest.raises(SlotTaken):
        choice_book(token=link, starts_at=at("2026-03-06", "14:00"))
    assert Visit.objects.get(pk=visit.pk).starts_at == at("2026-03-05", "10:00")
    assert not LinkUse.objects.exists() and not PatientRequest.objects.exists()


def test_a_screening_that_blocks_treatment_refuses_and_asks_the_front_desk(visit):
    ScreeningFactory(patient=visit.patient, active_skin_infection=True)
    with pytest.raises(TreatmentBlocked):
        choice_book(token=new_time_token(visit), starts_at=at("2026-03-06", "14:00"))
    assert Visit.objects.get(pk=visit.pk).starts_at == at("2026-03-05", "10:00")
    request = PatientRequest.objects.get()
    assert request.kind == "new_time" and "screening blocks treatment" in request.note


def test_a_screening_that_has_cleared_does_not_block(visit, frozen):
    ScreeningFactory(patient=visit.patient, active_skin_infection=True)
    frozen.shift(dt.timedelta(minutes=1))
    ScreeningFactory(patient=visit.patient)
    assert choice_book(token=new_time_token(visit), starts_at=at("2026-03-06", "14:00")).starts_at == at("2026-03-06", "14:00")


def test_maintenance_is_offered_around_its_due_date_with_the_patients_practitioner(maintenance_reminder):
    starts = offered(maintenance_reminder, "maintenance")
    # Due Tue 7 April: a week before to two weeks after.
    assert starts[0].date() == dt.date(2026, 3, 31) and starts[-1].date() == dt.date(2026, 4, 21)


def test_choosing_maintenance_books_it_and_stops_the_maintenance_reminders(clinic, lin, maintenance_reminder):
    visit = choice_book(token=token(maintenance_reminder, "maintenance"), starts_at=at("2026-04-07", "11:00"))
    assert (visit.practitioner, visit.appointment_type, visit.patient_id) == (lin, clinic.maintenance,
                                                                               maintenance_reminder.patient_id)
    assert Reminder.objects.filter(visit=visit, state="pending").exists()
    assert not Reminder.objects.filter(kind=Reminder.Kind.MAINTENANCE_DUE, state="pending").exists()
    assert PatientRequest.objects.get().kind == "booked"


def test_a_maintenance_link_is_outdated_once_maintenance_is_booked(clinic, lin, maintenance_reminder):
    visit_book(patient=maintenance_reminder.patient, practitioner=lin, appointment_type=clinic.maintenance,
               starts_at=at("2026-04-08", "10:00"), by=None)
    with pytest.raises(LinkError, match="outdated"):
        choice_book(token=token(maintenance_reminder, "maintenance"), starts_at=at("2026-04-07", "11:00"))


# --- The remaining sessions of a course --------------------------------------------------------------
@pytest.fixture
def series_reminder(clinic, lin, patient):
    return series_two_left(clinic=clinic, practitioner=lin, patient=patient)


def test_the_remaining_sessions_are_proposed_on_the_course_cadence(series_reminder):
    proposal = series_offer(link=link_open(token=token(series_reminder, "series")))
    assert [(s.sequence, s.starts_at) for s in proposal.sessions] == [
        (7, at("2026-03-31", "10:00")), (8, at("2026-04-07", "10:00")),
    ]


def test_the_remaining_sessions_are_booked_into_the_course_all_at_once(series_reminder):
    link = token(series_reminder, "series")
    proposal = series_offer(link=link_open(token=link))
    visits = series_choice_book(token=link, proposal=proposal)
    assert [v.series_id for v in visits] == [series_reminder.series_id] * 2
    assert Reminder.objects.filter(visit__in=visits, state="pending").count() == 2
    assert Reminder.objects.get(pk=series_reminder.pk).state == "cancelled"  # nothing left to book
    assert PatientRequest.objects.get().kind == "booked"
    with pytest.raises(LinkError):
        series_choice_book(token=link, proposal=proposal)


def test_one_taken_session_books_none_of_them(clinic, lin, series_reminder):
    link = token(series_reminder, "series")
    proposal = series_offer(link=link_open(token=link))
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-04-07", "10:00"))  # the front desk, meanwhile
    with pytest.raises(SlotTaken):
        series_choice_book(token=link, proposal=proposal)
    assert not Visit.objects.filter(series=series_reminder.series, sequence__gt=6).exists()
    assert not LinkUse.objects.exists() and not PatientRequest.objects.exists()


def test_a_blocking_screening_refuses_the_remaining_sessions(series_reminder):
    link = token(series_reminder, "series")
    proposal = series_offer(link=link_open(token=link))
    ScreeningFactory(patient=series_reminder.patient, active_skin_infection=True)
    with pytest.raises(TreatmentBlocked):
        series_choice_book(token=link, proposal=proposal)
    assert not Visit.objects.filter(series=series_reminder.series, sequence__gt=6).exists()
    assert PatientRequest.objects.get().kind == "series"


def test_the_notice_setting_is_bounded_by_the_database(clinic):
    for hours in (169, 1000):
        with pytest.raises(IntegrityError), transaction.atomic():
            ClinicSettings.objects.filter(pk=1).update(patient_min_notice_hours=hours)
    ClinicSettings.objects.filter(pk=1).update(patient_min_notice_hours=168)


def test_the_notice_setting_is_in_the_clinic_settings_admin(admin_client_):
    ClinicSettings.load()
    response = admin_client_.get(reverse("admin:scheduling_clinicsettings_change", args=[1]))
    assert b"patient_min_notice_hours" in response.content
