import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from scheduling.booking import series_book, visit_book, visit_move, visit_move_following
from scheduling.clock import to_local
from scheduling.errors import BookingError, SlotTaken
from scheduling.models import Reminder, Series, TimeOff, Visit
from scheduling.visit_status import visit_cancel
from tests.factories import PatientFactory
from tests.scheduling.factories import at, book_series, propose_series

pytestmark = pytest.mark.usefixtures("frozen")


def local_times(visits):
    return [to_local(v.starts_at).strftime("%a %Y-%m-%d %H:%M") for v in visits]


def test_series_books_every_session_on_its_cadence_at_the_preferred_time(clinic, lin, patient, front_desk):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, by=front_desk)

    visits = list(series.visits.order_by("sequence"))
    assert [v.sequence for v in visits] == [1, 2, 3, 4, 5, 6]
    assert local_times(visits) == [f"Tue 2026-03-{d:02d} 10:00" for d in (3, 10, 17, 24, 31)] + ["Tue 2026-04-07 10:00"]
    assert all(v.ends_at - v.starts_at == dt.timedelta(minutes=60) for v in visits)
    assert not any(v.shifted for v in visits)


def test_series_with_a_slot_taken_meanwhile_books_nothing(clinic, lin, patient):
    proposal = propose_series(patient, lin, clinic)
    # Someone else takes the 5th session's time between the proposal and the confirmation.
    other = visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-31", "10:30"), by=None)

    with pytest.raises(SlotTaken, match="Session 5"):
        series_book(proposal=proposal, by=None)

    assert not Series.objects.exists()
    assert list(Visit.objects.all()) == [other]


def test_series_whose_patient_was_booked_elsewhere_meanwhile_books_nothing(clinic, lin, sara, patient):
    proposal = propose_series(patient, lin, clinic)
    visit_book(patient=patient, practitioner=sara, appointment_type=clinic.treatment,
               starts_at=at("2026-03-17", "09:30"), by=None)

    with pytest.raises(SlotTaken, match="Session 3, .*The patient already has a visit then"):
        series_book(proposal=proposal, by=None)
    assert not Series.objects.exists()


def test_series_whose_room_was_taken_meanwhile_books_nothing(clinic, lin, sara, patient):
    proposal = propose_series(patient, lin, clinic)
    room = proposal.sessions[1].room_id
    visit_book(patient=PatientFactory(), practitioner=sara, appointment_type=clinic.treatment,
               starts_at=at("2026-03-10", "10:45"), by=None, room_id=room)

    with pytest.raises(SlotTaken, match="Session 2, .*That room is taken then"):
        series_book(proposal=proposal, by=None)
    assert not Series.objects.exists()


def test_booking_a_series_reads_visits_once_and_only_around_its_sessions(clinic, lin, patient):
    # Not the weeks between the sessions, and the rooms' visits in the same query (issue 13):
    # the practitioner's, the patient's and the sessions' room's, each on its own index range
    # around each session, joined by UNION.
    proposal = propose_series(patient, lin, clinic)
    with CaptureQueriesContext(connection) as captured:
        series_book(proposal=proposal, by=None)
    reads = [q["sql"] for q in captured if '"scheduling_visit"."id" AS "id"' in q["sql"]]
    assert len(reads) == 1
    assert reads[0].count("UNION") == 2
    assert reads[0].count('"scheduling_visit"."starts_at" >=') == 3 * len(proposal.sessions)


def test_booking_new_visits_gives_each_a_reminder_without_looking_for_old_ones(clinic, lin, patient):
    # Visits made in this transaction have no reminder to cancel: no UPDATE for them.
    proposal = propose_series(patient, lin, clinic)
    with CaptureQueriesContext(connection) as captured:
        series = series_book(proposal=proposal, by=None)
    assert not [q for q in captured if q["sql"].startswith('UPDATE "scheduling_reminder"')]
    assert Reminder.objects.filter(visit__series=series, state=Reminder.State.PENDING).count() == 6


def test_back_to_back_visits_fit_because_ranges_are_half_open(clinic, lin, patient):
    visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment, starts_at=at("2026-03-03", "10:00"),
               by=None, room_id=clinic.rooms[0].pk)
    second = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                        starts_at=at("2026-03-03", "11:00"), by=None, room_id=clinic.rooms[0].pk)
    assert second.pk


def test_a_practitioner_cannot_have_two_overlapping_visits(clinic, lin):
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-03", "10:00"), by=None)
    with pytest.raises(SlotTaken, match="Lin Zhao already has a visit"):
        visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
                   starts_at=at("2026-03-03", "10:30"), by=None)


def test_a_patient_cannot_have_two_overlapping_visits(clinic, lin, sara, patient):
    visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment, starts_at=at("2026-03-03", "10:00"), by=None)
    with pytest.raises(SlotTaken, match="patient already has a visit"):
        visit_book(patient=patient, practitioner=sara, appointment_type=clinic.treatment,
                   starts_at=at("2026-03-03", "10:59"), by=None)


def test_a_room_cannot_hold_two_overlapping_visits(clinic, lin, sara):
    room = clinic.rooms[0]
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-03", "10:00"), by=None, room_id=room.pk)
    with pytest.raises(SlotTaken, match="room is taken"):
        visit_book(patient=PatientFactory(), practitioner=sara, appointment_type=clinic.treatment,
                   starts_at=at("2026-03-03", "10:00"), by=None, room_id=room.pk)
    # Without a room asked for, the other room is used.
    other = visit_book(patient=PatientFactory(), practitioner=sara, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    assert other.room == clinic.rooms[1]


def test_a_cancelled_visit_frees_its_slot(clinic, lin, patient):
    first = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    visit_cancel(visit=first, reason="Patient unwell", by=None)
    again = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    assert again.pk != first.pk


def test_booking_outside_working_hours_or_on_time_off_is_refused(clinic, lin, patient):
    with pytest.raises(BookingError, match="does not work"):
        visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                   starts_at=at("2026-03-03", "19:30"), by=None)
    TimeOff.objects.create(practitioner=lin, starts_at=at("2026-03-04", "00:00"), ends_at=at("2026-03-05", "00:00"))
    with pytest.raises(BookingError, match="time off"):
        visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                   starts_at=at("2026-03-04", "10:00"), by=None)


def test_the_database_refuses_overlaps_the_code_did_not_check(clinic, lin, sara, patient, needs_postgres):
    def visit(**fields):
        defaults = dict(patient=PatientFactory(), practitioner=sara, room=clinic.rooms[1], appointment_type=clinic.treatment,
                        starts_at=at("2026-03-03", "10:30"), ends_at=at("2026-03-03", "11:30"))
        return Visit.objects.create(**{**defaults, **fields})

    visit(patient=patient, practitioner=lin, room=clinic.rooms[0], starts_at=at("2026-03-03", "10:00"),
          ends_at=at("2026-03-03", "11:00"))
    # Same practitioner, same patient, or same room, half an hour later: each is refused.
    for same in ({"practitioner": lin}, {"patient": patient}, {"room": clinic.rooms[0]}):
        with pytest.raises(IntegrityError, match="visit_no_overlap"), transaction.atomic():
            visit(**same)
    # Back to back is fine (half-open ranges), and so is a cancelled visit on top.
    visit(practitioner=lin, patient=patient, room=clinic.rooms[0], starts_at=at("2026-03-03", "11:00"),
          ends_at=at("2026-03-03", "12:00"))
    visit(practitioner=lin, patient=patient, room=clinic.rooms[0], status=Visit.Status.CANCELLED, cancel_reason="Ill")
    assert connection.vendor == "postgresql"


# --- Moving ------------------------------------------------------------------------------------


def test_moving_one_visit_leaves_the_rest_of_the_series_alone(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    third = series.visits.get(sequence=3)

    visit_move(visit=third, starts_at=at("2026-03-19", "14:00"), by=None)

    assert local_times(series.visits.order_by("sequence")) == [
        "Tue 2026-03-03 10:00", "Tue 2026-03-10 10:00", "Thu 2026-03-19 14:00",
        "Tue 2026-03-24 10:00", "Tue 2026-03-31 10:00", "Tue 2026-04-07 10:00",
    ]


def test_moving_onto_a_taken_time_is_refused_and_changes_nothing(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-12", "10:00"), by=None)
    second = series.visits.get(sequence=2)

    with pytest.raises(SlotTaken):
        visit_move(visit=second, starts_at=at("2026-03-12", "10:30"), by=None)

    second.refresh_from_db()
    assert to_local(second.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-03-10 10:00"


def test_moving_a_visit_within_its_own_time_is_allowed(clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    visit_move(visit=visit, starts_at=at("2026-03-03", "10:30"), by=None)
    visit.refresh_from_db()
    assert to_local(visit.starts_at).strftime("%H:%M") == "10:30"


def test_moving_this_and_following_shifts_the_rest_by_the_same_local_amount(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    fourth = series.visits.get(sequence=4)

    # Tuesday 10:00 → Thursday 11:00 for the 4th session and every later one.
    moved = visit_move_following(visit=fourth, starts_at=at("2026-03-26", "11:00"), by=None)

    assert [v.sequence for v in moved] == [4, 5, 6]
    assert local_times(series.visits.order_by("sequence")) == [
        "Tue 2026-03-03 10:00", "Tue 2026-03-10 10:00", "Tue 2026-03-17 10:00",
        "Thu 2026-03-26 11:00", "Thu 2026-04-02 11:00", "Thu 2026-04-09 11:00",
    ]


def test_moving_following_by_more_than_a_week_does_not_trip_over_its_own_visits(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    second = series.visits.get(sequence=2)

    visit_move_following(visit=second, starts_at=at("2026-03-17", "10:00"), by=None)

    assert local_times(series.visits.order_by("sequence"))[1:] == [
        "Tue 2026-03-17 10:00", "Tue 2026-03-24 10:00", "Tue 2026-03-31 10:00", "Tue 2026-04-07 10:00", "Tue 2026-04-14 10:00",
    ]


def test_moving_following_is_all_or_nothing(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    # The 6th session's new time (Wed 8 April 10:00) is taken.
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-04-08", "10:00"), by=None)
    before = local_times(series.visits.order_by("sequence"))

    with pytest.raises(SlotTaken, match="Session 6"):
        visit_move_following(visit=series.visits.get(sequence=3), starts_at=at("2026-03-18", "10:00"), by=None)

    assert local_times(series.visits.order_by("sequence")) == before


def test_cancelled_and_completed_visits_are_not_moved_with_the_following(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    visit_cancel(visit=series.visits.get(sequence=5), reason="Away", by=None)

    visit_move_following(visit=series.visits.get(sequence=4), starts_at=at("2026-03-25", "10:00"), by=None)

    assert to_local(series.visits.get(sequence=5).starts_at).date() == dt.date(2026, 3, 31)
    assert to_local(series.visits.get(sequence=6).starts_at).date() == dt.date(2026, 4, 8)


# --- Cancelling --------------------------------------------------------------------------------

