"""bench/reminders.py at a tiny size, so it never rots: the real beat and worker processes on
Redis and the test database, over SMTP to the benchmark's sink. Only counts are checked here
(none lost or duplicated, batches sharing connections); the rate is for the full-size run."""

import pytest
from django.db import connection

from bench import reminders as bench
from tests.conftest import skip_or_fail
from tests.reminders.conftest import broker  # noqa: F401  (Redis from REDIS_URL, queue emptied)

pytestmark = [pytest.mark.celery, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_reminder_benchmark_sends_every_reminder_once_in_batches(broker):  # noqa: F811
    if connection.vendor != "postgresql":
        # The worker processes cannot see SQLite's in-memory test database.
        skip_or_fail("needs PostgreSQL (set DATABASE_URL)")
    result = bench.run(count=120, concurrency=2, sweep_seconds=1, timeout=120)
    assert (result.received, result.lost, result.duplicated) == (120, 0, 0)
    # 50 ids per task, one connection per task: 3 batches (more only if a sweep split them).
    assert 3 <= result.connections <= 10
    assert "e-mails per second" in bench.report(result)
