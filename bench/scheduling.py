"""Benchmark: booking a 12-session series and listing a month of free slots, on an empty clinic
and on one with years of history. SPEC §6 asks that history must not slow these down.

    .venv/bin/python bench/scheduling.py                                    # SQLite (in memory)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/acuclinic .venv/bin/python bench/scheduling.py

BENCH_YEARS (default 5) and BENCH_RUNS (default 5) change the size and the repetitions.

It works in a throwaway test database (``test_<name>``), never in the real one.
"""

import datetime as dt
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from patients.models import Patient  # noqa: E402
from scheduling.availability import free_slots  # noqa: E402
from scheduling.booking import series_book  # noqa: E402
from scheduling.clock import clinic_zone, local_datetime  # noqa: E402
from scheduling.models import (  # noqa: E402
    AppointmentType,
    OpeningHours,
    Practitioner,
    Room,
    Visit,
    WorkingHours,
)
from scheduling.proposal import series_propose  # noqa: E402
from staff.demo import load as load_staff  # noqa: E402

YEARS = int(os.environ.get("BENCH_YEARS", "5"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def make_clinic():
    ctx = {"logins": []}
    load_staff(ctx)
    rooms = [Room.objects.create(name=f"Room {i}") for i in range(4)]
    OpeningHours.objects.bulk_create(OpeningHours(weekday=d, opens=dt.time(8), closes=dt.time(20)) for d in range(6))
    practitioners = []
    for user in ctx["acupuncturists"]:
        p = Practitioner.objects.create(user=user, display_name=user.get_full_name())
        WorkingHours.objects.bulk_create(
            WorkingHours(practitioner=p, weekday=d, starts=dt.time(9), ends=dt.time(18)) for d in range(6)
        )
        practitioners.append(p)
    treatment = AppointmentType.objects.create(name="Treatment", kind="treatment", duration_minutes=60)
    patients = Patient.objects.bulk_create(
        Patient(first_name=f"P{i}", last_name="Bench", date_of_birth=dt.date(1980, 1, 1), email=f"p{i}@bench.example")
        for i in range(3000)
    )
    return practitioners, rooms, treatment, patients


def add_history(*, practitioners, rooms, treatment, patients, years: int) -> int:
    """Completed visits 09:00–17:00 every working day for ``years`` before today."""
    tz = clinic_zone()
    today = timezone.localdate()
    day = today - dt.timedelta(days=365 * years)
    visits, n = [], 0
    while day < today - dt.timedelta(days=1):
        if day.weekday() < 6:
            for hour in range(9, 17):
                starts = local_datetime(day, dt.time(hour), tz=tz, fold=0)
                for index, practitioner in enumerate(practitioners):
                    n += 1
                    visits.append(
                        Visit(
                            patient=patients[n % len(patients)], practitioner=practitioner, room=rooms[index],
                            appointment_type=treatment, starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
                            status="completed",
                        )
                    )
        if len(visits) >= 5000:
            Visit.objects.bulk_create(visits)
            visits = []
        day += dt.timedelta(days=1)
    Visit.objects.bulk_create(visits)
    return Visit.objects.count()


def measure(label: str, fn) -> dict:
    timings, queries, peaks = [], 0, []
    for _ in range(RUNS):
        tracemalloc.start()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            sid = transaction.savepoint()
            fn()
            transaction.savepoint_rollback(sid)  # each run books into the same free calendar
            timings.append(time.perf_counter() - started)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        queries = len(captured)
    return {"what": label, "median_ms": statistics.median(timings) * 1000, "queries": queries,
            "peak_kib": max(peaks) / 1024}


def run_cases(*, practitioners, treatment, patients) -> list[dict]:
    start = timezone.localdate() + dt.timedelta(days=7)
    practitioner, patient = practitioners[0], patients[-1]

    def book_series():
        proposal = series_propose(
            patient=patient, practitioner=practitioner, appointment_type=treatment, sessions=12,
            cadence_days=7, first_day=start, preferred_time=dt.time(10),
        )
        series_book(proposal=proposal, by=None)

    def month_of_slots():
        free_slots(practitioner=practitioner, first_day=start, last_day=start + dt.timedelta(days=30),
                   duration=treatment.duration)

    return [measure("book a 12-session series", book_series), measure("free slots for a month", month_of_slots)]


def main() -> None:
    old = setup_databases(verbosity=0, interactive=False, aliases=["default"])
    try:
        with transaction.atomic():
            practitioners, rooms, treatment, patients = make_clinic()
            results = [("empty clinic", 0, run_cases(practitioners=practitioners, treatment=treatment, patients=patients))]
            count = add_history(practitioners=practitioners, rooms=rooms, treatment=treatment, patients=patients, years=YEARS)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            results.append(
                (
                    f"{YEARS} years of history",
                    count,
                    run_cases(practitioners=practitioners, treatment=treatment, patients=patients),
                )
            )
            transaction.set_rollback(True)
    finally:
        teardown_databases(old, verbosity=0)
    print(f"database: {connection.vendor}; {RUNS} runs each, median time, peak Python memory")
    for label, count, rows in results:
        print(f"\n{label} ({count} visits)")
        for row in rows:
            print(f"  {row['what']:<28} {row['median_ms']:8.1f} ms  {row['queries']:3d} queries  {row['peak_kib']:8.0f} KiB")


main()
