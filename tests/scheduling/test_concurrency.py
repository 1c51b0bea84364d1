"""Simultaneous bookings on PostgreSQL: real threads, each on its own connection, released
together by a barrier. The exclusion constraints must let exactly one booking through."""

import datetime as dt

import pytest
import time_machine

from scheduling.booking import series_book, visit_book
from scheduling.errors import SlotTaken
from scheduling.models import Series, Visit
from scheduling.proposal import series_propose
from tests.concurrency import run_together
from tests.factories import PatientFactory
from tests.scheduling.factories import NOW, Clinic, at, practitioner

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REFUSALS: list[str] = []


def book_together(jobs):
    """Runs each booking job in its own thread, all starting at the same moment; returns their
    outcomes ("ok", "taken", or the unexpected exception)."""
    outcomes = []
    for result in run_together(jobs):
        if isinstance(result, SlotTaken):
            # "slot_taken" is the constraint's refusal; otherwise the in-transaction check saw
            # the other booking already committed.
            outcomes.append("taken")
            REFUSALS.append("constraint" if result.code == "slot_taken" else "check")
        else:
            outcomes.append(result if isinstance(result, Exception) else "ok")
    return outcomes


@pytest.fixture
def clock():
    # tick=False would freeze time for every thread too, which is what we want: all bookings
    # see the same "now".
    with time_machine.travel(NOW, tick=False):
        yield


def test_twenty_simultaneous_bookings_of_one_slot_let_exactly_one_through(needs_postgres, clock, capsys):
    clinic = Clinic(rooms=4)
    lin = practitioner(display_name="Lin Zhao")
    patients = [PatientFactory() for _ in range(20)]
    start = at("2026-03-03", "10:00")

    def booking(patient):
        return lambda: visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                                  starts_at=start, by=None)

    REFUSALS.clear()
    outcomes = book_together([booking(p) for p in patients])

    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("taken") == 19, outcomes
    assert Visit.objects.count() == 1
    with capsys.disabled():
        print(f"\n[concurrency] same slot: attempts=20 winners={outcomes.count('ok')} refused={outcomes.count('taken')} "
              f"(by the exclusion constraint: {REFUSALS.count('constraint')}, by the check: {REFUSALS.count('check')})")


def test_two_series_whose_fifth_sessions_collide_book_one_whole_series_fifty_times(needs_postgres, clock, capsys):
    clinic = Clinic(rooms=1)
    lin, sara = practitioner(display_name="Lin Zhao"), practitioner(display_name="Sara Okafor")
    anna, bea = PatientFactory(), PatientFactory()

    def propose(patient, who, time):
        return series_propose(patient=patient, practitioner=who, appointment_type=clinic.treatment, sessions=8,
                              cadence_days=7, first_day=dt.date(2026, 3, 3), preferred_time=time)

    repetitions, wins = 50, {"a": 0, "b": 0}
    REFUSALS.clear()
    for _ in range(repetitions):
        # Different practitioners, patients and hours; only the 5th sessions share the one room
        # at the same time (as if the front desk had moved B's 5th onto A's before confirming).
        a, b = propose(anna, lin, dt.time(10)), propose(bea, sara, dt.time(14))
        b.sessions[4].starts_at, b.sessions[4].room_id = a.sessions[4].starts_at, a.sessions[4].room_id

        # Default arguments bind this round's proposals (the threads run before the next round).
        outcomes = book_together(
            [lambda a=a: series_book(proposal=a, by=None), lambda b=b: series_book(proposal=b, by=None)]
        )

        assert sorted(outcomes) == ["ok", "taken"], outcomes
        winner = "a" if outcomes[0] == "ok" else "b"
        wins[winner] += 1
        series = Series.objects.get()
        assert series.patient == (anna if winner == "a" else bea)
        assert series.visits.count() == 8
        assert Visit.objects.count() == 8  # the loser left no row
        Visit.objects.all().delete()
        Series.objects.all().delete()

    with capsys.disabled():
        print(f"\n[concurrency] colliding series: repetitions={repetitions} attempts={2 * repetitions} "
              f"one-series-booked={repetitions} (A won {wins['a']}, B won {wins['b']}) leftover rows=0 hangs=0; "
              f"loser refused by the constraint {REFUSALS.count('constraint')}×, by the check {REFUSALS.count('check')}×")
