"""Placing a series' sessions: cadence, preferred time, shifts around taken or closed times."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from scheduling.booking import series_book, visit_book
from scheduling.clock import to_local
from scheduling.errors import BookingError
from scheduling.models import Closure, Series
from tests.factories import PatientFactory
from tests.scheduling.factories import at, propose_series

pytestmark = pytest.mark.usefixtures("frozen")


def test_fortnightly_series_uses_the_first_type_for_the_first_session(clinic, lin, patient):
    proposal = propose_series(patient, lin, clinic, sessions=10, cadence_days=14, first_appointment_type=clinic.consultation)

    assert [s.target_day.isoformat() for s in proposal.sessions[:3]] == ["2026-03-03", "2026-03-17", "2026-03-31"]
    assert proposal.sessions[0].ends_at - proposal.sessions[0].starts_at == dt.timedelta(minutes=90)
    assert proposal.sessions[1].appointment_type == clinic.treatment


def test_series_shifts_a_taken_slot_to_the_nearest_free_time(clinic, lin, patient):
    # Lin is busy 09:30–10:30 on the third Tuesday: 10:30 is the closest free start.
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-17", "09:30"), by=None)

    proposal = propose_series(patient, lin, clinic)

    third = proposal.sessions[2]
    assert third.shifted
    assert to_local(third.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-03-17 10:30"
    assert "already has a visit" in third.note
    assert proposal.shifted_count == 1


def test_series_moves_to_a_neighbouring_day_when_the_clinic_is_closed(clinic, lin, patient):
    Closure.objects.create(first_day=dt.date(2026, 3, 24), last_day=dt.date(2026, 3, 24), reason="Staff training")

    proposal = propose_series(patient, lin, clinic)

    fourth = proposal.sessions[3]
    assert fourth.shifted and "Staff training" in fourth.note
    # Same time of day, the day after (later days are tried before earlier ones).
    assert to_local(fourth.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-03-25 10:00"


def test_series_keeps_sessions_apart_when_shifting(clinic, lin, patient):
    # Tuesday 10 March closed and Wednesday 11 March fully booked → the nearest day is Monday 9,
    # but that is too close to nothing... it is 6 days after the first session, which is fine.
    Closure.objects.create(first_day=dt.date(2026, 3, 10), last_day=dt.date(2026, 3, 12), reason="Away")

    proposal = propose_series(patient, lin, clinic)

    second = proposal.sessions[1]
    assert to_local(second.starts_at).date() == dt.date(2026, 3, 9)
    # The first session was on the 3rd; a day before the 7th (4 days minimum gap) is never used.
    assert (to_local(second.starts_at).date() - dt.date(2026, 3, 3)).days >= 4


def test_series_pushed_past_a_closure_returns_to_its_weekday_after_it(clinic, lin, patient):
    Closure.objects.create(first_day=dt.date(2026, 3, 15), last_day=dt.date(2026, 3, 22), reason="Easter holiday")

    proposal = propose_series(patient, lin, clinic)

    assert [to_local(s.starts_at).strftime("%a %d %b %H:%M") for s in proposal.sessions] == [
        "Tue 03 Mar 10:00", "Tue 10 Mar 10:00", "Mon 23 Mar 10:00", "Tue 31 Mar 10:00", "Tue 07 Apr 10:00",
        "Tue 14 Apr 10:00",
    ]
    assert "Pushed back" in proposal.sessions[2].note and "Easter holiday" in proposal.sessions[2].note
    assert [s.shifted for s in proposal.sessions] == [False, False, True, False, False, False]


def test_series_leaves_a_session_unplaced_when_nothing_is_free_nearby_and_cannot_be_booked(clinic, lin, patient):
    Closure.objects.create(first_day=dt.date(2026, 3, 15), last_day=dt.date(2026, 4, 19), reason="Building works")

    proposal = propose_series(patient, lin, clinic)

    assert proposal.sessions[2].starts_at is None and "No free time" in proposal.sessions[2].note
    assert not proposal.complete
    with pytest.raises(BookingError):
        series_book(proposal=proposal, by=None)
    assert not Series.objects.exists()


@pytest.mark.parametrize("sessions", [5, 13])
def test_series_length_is_6_to_12(clinic, lin, patient, sessions):
    with pytest.raises(ValidationError) as exc:
        propose_series(patient, lin, clinic, sessions=sessions)
    assert "sessions" in exc.value.error_dict


def test_series_cannot_start_in_the_past(clinic, lin, patient):
    with pytest.raises(ValidationError) as exc:
        propose_series(patient, lin, clinic, first_day=dt.date(2026, 3, 1))
    assert "first_day" in exc.value.error_dict
