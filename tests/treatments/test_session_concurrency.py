"""Simultaneous saves of one visit's session on PostgreSQL: real threads, each on its own
connection, released together. The visit's row lock must let exactly one record through."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from scheduling.models import Visit
from tests.scheduling.factories import at
from tests.treatments.factories import record_session
from treatments.models import SessionRecord

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JOIN_TIMEOUT = 30  # seconds; a thread still running after this means something hangs


def test_five_simultaneous_saves_of_one_visit_record_it_once(needs_postgres, series, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:30"))
    visit = series.visits.get(sequence=1)
    barrier = threading.Barrier(5)
    outcomes: list = [None] * 5

    def worker(index):
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            record_session(visit, by=acupuncturist)
            outcomes[index] = "ok"
        except ValidationError as exc:
            outcomes[index] = "refused" if "recorded already" in " ".join(exc.messages) else exc
        except Exception as exc:  # reported by the assertion below, not swallowed
            outcomes[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a saving thread hangs"
    assert sorted(map(str, outcomes)) == ["ok", "refused", "refused", "refused", "refused"], outcomes
    assert SessionRecord.objects.filter(visit=visit).count() == 1
    assert Visit.objects.get(pk=visit.pk).status == Visit.Status.COMPLETED
