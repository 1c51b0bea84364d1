"""The timed operations, run on one size's database (``python -m bench.operations SIZE`` with
``bench.settings``, as ``bench/run.py`` does). Prints progress on stderr and the rows as one JSON
line on stdout."""

import datetime as dt
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

import django
import psycopg2

if __name__ == "__main__":
    django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import seed  # noqa: E402
from bench.sizes import SIZES, Size  # noqa: E402
from patients.models import Patient  # noqa: E402
from scheduling.availability import free_slots  # noqa: E402
from scheduling.booking import series_book  # noqa: E402
from scheduling.models import Series, Visit  # noqa: E402
from scheduling.models.clinic import clinic_settings_scope  # noqa: E402
from scheduling.proposal import series_propose  # noqa: E402

WARM_UP = 2
SEARCH_TERMS = ["smi", "okaf", "amelia jon", "07700001234", "zhao"]


def _time(fn: Callable[[int], object], *, runs: int, after: Callable[[object], None] | None = None) -> dict:
    """Median time of ``runs`` calls after warm-up; queries and peak memory of one more call."""
    timings, cpu = [], []
    for index in range(WARM_UP + runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn(index)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        if after:
            after(result)
        if index >= WARM_UP:
            timings.append(elapsed)
            cpu.append(elapsed_cpu)
    with CaptureQueriesContext(connection) as captured:
        tracemalloc.start()
        result = fn(WARM_UP + runs)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if after:
        after(result)
    # The CPU time of this process (Python, not the database's): steadier than the wall time
    # when other work shares the cores.
    row = {"median_ms": statistics.median(timings) * 1000, "cpu_ms": statistics.median(cpu) * 1000,
           "queries": len(captured), "peak_kib": peak / 1024}
    if hasattr(result, "content"):
        row["bytes"] = len(result.content)
    return row


def operations(clinic: seed.Clinic, *, today: dt.date) -> list[tuple[str, Callable, Callable | None]]:
    practitioner = clinic.practitioners[0]
    start = today + dt.timedelta(days=7)
    spare = clinic.spare_patient_ids
    duration = clinic.treatment.duration
    client = Client()
    client.force_login(clinic.front_desk)
    calendar = reverse("scheduling:calendar")

    def book_series(index: int) -> Series:
        # Two requests in the app (the proposal shown, then its confirmation): two settings scopes.
        with clinic_settings_scope():
            patient = Patient.objects.get(pk=spare[index % len(spare)])
            proposal = series_propose(
                patient=patient, practitioner=practitioner, appointment_type=clinic.treatment, sessions=12,
                cadence_days=7, first_day=start, preferred_time=dt.time(10),
            )
        with clinic_settings_scope():
            return series_book(proposal=proposal, by=clinic.front_desk)

    def unbook(series: Series) -> None:
        # Untimed: each run books into the same calendar. The booking's audit events stay (the
        # trail is append-only); a few rows per run do not change the figures.
        Visit.objects.filter(series=series).delete()
        series.delete()

    def get(url: str, status: int = 200):
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code)
        return response

    def search_url(index: int) -> str:
        term = SEARCH_TERMS[index % len(SEARCH_TERMS)]
        try:
            return reverse("patients:search") + f"?q={term}"
        except NoReverseMatch:  # the code before the search endpoint: the patients list page
            return reverse("patients:list") + f"?q={term}"

    week = start + dt.timedelta(days=7)
    return [
        ("book a 12-session series", book_series, unbook),
        ("free slots, one day", lambda i: free_slots(
            practitioner=practitioner, first_day=start + dt.timedelta(days=i % 5), duration=duration), None),
        ("free slots, 12 weeks", lambda i: free_slots(
            practitioner=practitioner, first_day=start, last_day=start + dt.timedelta(weeks=12), duration=duration),
         None),
        ("day calendar page", lambda i: get(
            f"{calendar}?practitioner={practitioner.pk}&view=day&date={start + dt.timedelta(days=i % 5)}"), None),
        ("week calendar page", lambda i: get(f"{calendar}?practitioner={practitioner.pk}&view=week&date={week}"), None),
        ("patient search", lambda i: get(search_url(i)), None),
        ("Book a series page", lambda i: get(reverse("scheduling:series_new")), None),
    ]


def run(size: Size, *, runs: int) -> list[dict]:
    if not connection.in_atomic_block:  # (a test's database is migrated already, and its transaction kept)
        call_command("migrate", verbosity=0)
    if not seed.is_seeded(size):
        if Visit.objects.exists() or Patient.objects.exists():
            sys.exit(f"{connection.settings_dict['NAME']} holds another clinic: drop it first")
        started = time.perf_counter()
        count = seed.seed(size)
        print(f"seeded {size.name}: {count} visits in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    elif connection.vendor == "postgresql":
        # Earlier runs booked and deleted series: with autovacuum slow or off, their dead rows
        # and stale statistics would make each run slower than the last.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            # Write the pages VACUUM dirtied now, not during the timed runs (needs a superuser or
            # pg_checkpoint; without it the runs start at once).
            try:
                cursor.execute("CHECKPOINT")
            except DatabaseError:
                pass
    today = timezone.localdate()
    rows = []
    for name, fn, after in operations(seed.clinic(), today=today):
        print(f"{size.name}: {name} ...", file=sys.stderr)
        rows.append({"what": name, **_time(fn, runs=runs, after=after)})
    return rows


def _ensure_postgres_database(name: str) -> None:
    """Creates the size's database on first use (PostgreSQL cannot create one on connect)."""
    params = dict(connection.settings_dict)
    admin = psycopg2.connect(dbname="postgres", user=params["USER"], host=params["HOST"], port=params["PORT"] or 5432,
                             password=params["PASSWORD"] or None)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


if __name__ == "__main__":
    size = SIZES[sys.argv[1]]
    if connection.vendor == "postgresql":
        _ensure_postgres_database(connection.settings_dict["NAME"])
    print(json.dumps(run(size, runs=int(os.environ.get("BENCH_RUNS", "15")))))
