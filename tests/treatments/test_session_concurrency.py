"""Simultaneous saves of one visit's session on PostgreSQL: real threads, each on its own
connection, released together. The visit's row lock must let exactly one record through."""

import pytest
from django.core.exceptions import ValidationError

from scheduling.models import Visit
from tests.concurrency import run_together
from tests.scheduling.factories import at
from tests.treatments.factories import record_session
from treatments.models import SessionRecord

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_five_simultaneous_saves_of_one_visit_record_it_once(needs_postgres, series, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:30"))
    visit = series.visits.get(sequence=1)

    def outcome(result):
        if isinstance(result, ValidationError):
            return "refused" if "recorded already" in " ".join(result.messages) else result
        return result if isinstance(result, Exception) else "ok"

    outcomes = [outcome(r) for r in run_together([lambda: record_session(visit, by=acupuncturist)] * 5)]
    assert sorted(map(str, outcomes)) == ["ok", "refused", "refused", "refused", "refused"], outcomes
    assert SessionRecord.objects.filter(visit=visit).count() == 1
    assert Visit.objects.get(pk=visit.pk).status == Visit.Status.COMPLETED
