"""Outcomes: each concern's ratings across the series, the change from intake, the summary."""

import re

import pytest
from django.urls import reverse

from tests.scheduling.factories import at
from tests.treatments.factories import record_session
from treatments.outcomes import series_outcome
from treatments.sessions import ReactionEntry

pytestmark = pytest.mark.django_db

# Intake: fine lines 7, puffiness 5 (the conftest patient).
RATINGS = [{"fine-lines": 6, "puffiness": 5}, {"fine-lines": 5, "puffiness": 6}, {"fine-lines": 3, "puffiness": 4}]


@pytest.fixture
def three_sessions(series, acupuncturist, traveller):
    visits = list(series.visits.order_by("sequence"))
    records = []
    for week, ratings in enumerate(RATINGS):
        traveller.move_to(at(f"2026-03-{2 + 7 * week:02d}", "10:30"))
        reactions = [ReactionEntry("bruising", "mild")] if week == 0 else []
        if week == 2:
            reactions = [ReactionEntry("fainting", "moderate", "lay down 10 minutes")]
        records.append(record_session(visits[week], by=acupuncturist, ratings=ratings, reactions=reactions))
    return records


def test_ratings_follow_the_series_with_the_change_from_intake(series, three_sessions):
    outcome = series_outcome(series)
    by_code = {c.code: c for c in outcome.concerns}
    assert by_code["fine-lines"].intake == 7 and by_code["fine-lines"].ratings == [6, 5, 3]
    assert by_code["fine-lines"].change == -4
    assert by_code["puffiness"].ratings == [5, 6, 4] and by_code["puffiness"].change == -1
    # Intake plus one point per session, left to right, higher ratings drawn higher up.
    points = by_code["fine-lines"].points
    assert [p.label for p in points] == ["Intake", "Session 1", "Session 2", "Session 3"]
    assert [p.x for p in points] == sorted(p.x for p in points)
    assert points[0].y < points[-1].y  # 7 is above 3


def test_the_change_is_measured_from_the_first_severity_even_after_the_concerns_are_edited(series, patient, three_sessions):
    from patients.intake import concerns_set
    from patients.models import Concern

    concerns_set(
        by=None, patient=patient, concerns={Concern.objects.get(code="fine-lines"): 2, Concern.objects.get(code="puffiness"): 5}
    )
    by_code = {c.code: c for c in series_outcome(series).concerns}
    assert by_code["fine-lines"].intake == 7 and by_code["fine-lines"].change == -4


def test_summary_counts_sessions_needles_and_reactions(series, three_sessions):
    outcome = series_outcome(series)
    assert outcome.sessions_done == 3
    assert outcome.total_needles == sum(r.total_needles for r in three_sessions)
    assert [(r.kind, r.severity) for r in outcome.reactions] == [("bruising", "mild"), ("fainting", "moderate")]
    assert [r.kind for r in outcome.adverse_events] == ["fainting"]


def test_outcome_page_draws_the_chart_and_the_printable_summary(acupuncturist_client, series, three_sessions):
    page = acupuncturist_client.get(reverse("treatments:series_outcomes", args=[series.pk])).content.decode()
    assert 'id="outcome-chart"' in page and page.count("<polyline") == 2
    line = re.search(r'data-concern="fine-lines">\s*<polyline points="([^"]+)"', page).group(1)
    assert len(line.split()) == 4
    assert re.search(r'id="sessions-done">\s*3 of 6', page)
    assert "-4 (better)" in page and "-1 (better)" in page
    assert "Fainting or near-fainting, moderate — lay down 10 minutes" in page
    assert "Print summary" in page


def test_outcome_page_of_a_series_without_records_says_so(acupuncturist_client, series):
    page = acupuncturist_client.get(reverse("treatments:series_outcomes", args=[series.pk])).content.decode()
    assert "No session of this series has been recorded yet" in page and "<polyline" not in page


@pytest.mark.parametrize("sessions", [1, 4])
def test_outcome_page_makes_a_fixed_number_of_queries(
    acupuncturist_client, acupuncturist, series, traveller, django_assert_num_queries, sessions
):
    visits = list(series.visits.order_by("sequence"))
    for week in range(sessions):
        traveller.move_to(at(f"2026-03-{2 + 7 * week:02d}", "10:30"))
        record_session(visits[week], by=acupuncturist, reactions=[ReactionEntry("headache", "mild")])
    # session, user, roles and permissions, series; records, ratings, intake, reactions, concern
    # names; audit
    with django_assert_num_queries(10):
        assert acupuncturist_client.get(reverse("treatments:series_outcomes", args=[series.pk])).status_code == 200
