"""Local times stay local: series across clock changes, skipped and repeated hours."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings

from scheduling.booking import visit_move_following
from scheduling.clock import AmbiguousLocalTime, NonexistentLocalTime, local_datetime, to_local
from scheduling.proposal import series_propose
from tests.scheduling.factories import LONDON, at, book_series

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.timezone.utc


def test_a_time_skipped_by_the_spring_clock_change_is_refused():
    with pytest.raises(NonexistentLocalTime, match="does not exist"):
        local_datetime(dt.date(2026, 3, 29), dt.time(1, 30), tz=LONDON)


def test_a_repeated_time_needs_an_explicit_choice():
    with pytest.raises(AmbiguousLocalTime, match="happens twice"):
        local_datetime(dt.date(2026, 10, 25), dt.time(1, 30), tz=LONDON)
    first = local_datetime(dt.date(2026, 10, 25), dt.time(1, 30), tz=LONDON, fold=0)
    second = local_datetime(dt.date(2026, 10, 25), dt.time(1, 30), tz=LONDON, fold=1)
    assert first.astimezone(UTC).time() == dt.time(0, 30)
    assert second.astimezone(UTC).time() == dt.time(1, 30)


def test_ordinary_times_need_no_choice():
    assert local_datetime(dt.date(2026, 7, 1), dt.time(10), tz=LONDON).astimezone(UTC).hour == 9


@override_settings(TIME_ZONE="America/New_York")
def test_new_york_weekly_series_stays_at_ten_across_the_november_change(clinic, lin, patient):
    with time_machine.travel(dt.datetime(2025, 10, 20, 8, tzinfo=NEW_YORK), tick=False):
        series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2025-10-21", sessions=6)

    visits = list(series.visits.order_by("sequence"))
    assert [to_local(v.starts_at, NEW_YORK).strftime("%m-%d %H:%M") for v in visits] == [
        "10-21 10:00", "10-28 10:00", "11-04 10:00", "11-11 10:00", "11-18 10:00", "11-25 10:00",
    ]
    # 10:00 EDT is 14:00 UTC; after 2 November 10:00 EST is 15:00 UTC.
    assert [v.starts_at.astimezone(UTC).hour for v in visits] == [14, 14, 15, 15, 15, 15]


def test_london_weekly_series_stays_at_ten_across_the_march_change(clinic, lin, patient):
    with time_machine.travel(dt.datetime(2026, 3, 16, 8, tzinfo=LONDON), tick=False):
        series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-17", sessions=6)

    visits = list(series.visits.order_by("sequence"))
    assert {to_local(v.starts_at, LONDON).strftime("%H:%M") for v in visits} == {"10:00"}
    assert [v.starts_at.astimezone(UTC).hour for v in visits] == [10, 10, 9, 9, 9, 9]


def test_moving_following_across_the_clock_change_keeps_the_wall_clock_time(clinic, lin, patient):
    with time_machine.travel(dt.datetime(2026, 3, 16, 8, tzinfo=LONDON), tick=False):
        series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-17", sessions=6)
        visit_move_following(visit=series.visits.get(sequence=1), starts_at=at("2026-03-18", "09:00"), by=None)

    assert {to_local(v.starts_at, LONDON).strftime("%a %H:%M") for v in series.visits.all()} == {"Wed 09:00"}


def test_series_proposal_refuses_a_preferred_time_that_does_not_exist(clinic, lin, patient):
    with time_machine.travel(dt.datetime(2026, 3, 16, 8, tzinfo=LONDON), tick=False):
        with pytest.raises(ValidationError) as exc:
            series_propose(patient=patient, practitioner=lin, appointment_type=clinic.treatment, sessions=6,
                           cadence_days=7, first_day=dt.date(2026, 3, 29), preferred_time=dt.time(1, 30))
    assert "does not exist" in exc.value.error_dict["preferred_time"][0].message


def test_series_proposal_asks_which_repeated_hour_is_meant(clinic, lin, patient):
    with time_machine.travel(dt.datetime(2026, 10, 20, 8, tzinfo=LONDON), tick=False):
        with pytest.raises(ValidationError) as exc:
            series_propose(patient=patient, practitioner=lin, appointment_type=clinic.treatment, sessions=6,
                           cadence_days=7, first_day=dt.date(2026, 10, 25), preferred_time=dt.time(1, 30))
        assert "happens twice" in exc.value.error_dict["preferred_time"][0].message
        # With the choice made, the proposal goes ahead (the clinic is closed at 01:30, so each
        # session lands on the nearest open time).
        proposal = series_propose(patient=patient, practitioner=lin, appointment_type=clinic.treatment, sessions=6,
                                  cadence_days=7, first_day=dt.date(2026, 10, 25), preferred_time=dt.time(1, 30), fold=1)
    assert proposal.complete
