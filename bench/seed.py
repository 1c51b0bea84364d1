"""Builds a clinic of a given size for the benchmark: practitioners, patients and five years of
visits (4½ years past, ½ year ahead), with bulk inserts.

One generator yields the visit rows for every database; only the writer differs (``COPY`` on
PostgreSQL, ``executemany`` on SQLite), so both hold the same clinic. The data are deterministic
(a fixed random seed): every run of a size builds the same clinic.
"""

import datetime as dt
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from bench.sizes import DESK_PASSWORD, DESK_USERNAME, Size
from patients.models import Patient
from scheduling.clock import clinic_zone, local_datetime
from scheduling.models import AppointmentType, ClinicSettings, OpeningHours, Practitioner, Room, WorkingHours
from staff.roles import FRONT_DESK

# Bump when the generator changes, so a database seeded by an older one is built again.
SEED_VERSION = 1
# Patients kept free of history: the benchmark books its series for them.
SPARE_PATIENTS = 200
DAYS_PAST, DAYS_AHEAD = 1643, 183
WORK_HOURS = range(9, 18)  # one-hour visits from 09:00 to 17:00, working 09:00–18:00
FIRST_NAMES = ["Amelia", "Olivia", "Isla", "Ava", "Mia", "Grace", "Sophia", "Lily", "Emily", "Ella", "Chloe", "Zoe",
               "Hannah", "Ruby", "Leah", "Nora", "Maya", "Anna", "Eva", "Rosa", "Priya", "Aisha", "Mei", "Yuki"]
LAST_NAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
              "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
              "Clarke", "Khan", "Lewis", "Harris", "Martin", "Cooper", "King", "Lee", "Baker", "Hughes",
              "Okafor", "Nguyen", "Kowalski", "Murphy", "O'Brien", "Zhao", "Rossi", "Silva", "Novak", "Fischer"]


VISIT_COLUMNS = (
    "patient_id", "practitioner_id", "room_id", "appointment_type_id", "starts_at", "ends_at", "status",
    "shifted", "cancel_reason", "cancelled_by", "late_cancel", "created_at", "updated_at",
)


def marker(size: Size) -> str:
    """Stored as the clinic's name: tells a database seeded for this size by this generator."""
    return f"Bench {size.name} v{SEED_VERSION}"


def is_seeded(size: Size) -> bool:
    return ClinicSettings.objects.filter(pk=1, name=marker(size)).exists()


@dataclass
class Clinic:
    practitioners: list[Practitioner]
    rooms: list[Room]
    treatment: AppointmentType
    front_desk: User
    spare_patient_ids: list[int]


def clinic() -> Clinic:
    """The seeded clinic's handles, read back from the database."""
    return Clinic(
        practitioners=list(Practitioner.objects.order_by("pk")),
        rooms=list(Room.objects.order_by("pk")),
        treatment=AppointmentType.objects.get(kind=AppointmentType.Kind.TREATMENT),
        front_desk=User.objects.get(username=DESK_USERNAME),
        spare_patient_ids=list(
            Patient.objects.order_by("-pk").values_list("pk", flat=True)[:SPARE_PATIENTS]
        ),
    )


def _setup(size: Size) -> tuple[list[int], list[int], int, list[int]]:
    ClinicSettings.objects.update_or_create(pk=1, defaults={"name": marker(size), "slot_minutes": 15})
    OpeningHours.objects.bulk_create(OpeningHours(weekday=d, opens=dt.time(8), closes=dt.time(20)) for d in range(6))
    types = AppointmentType.objects.bulk_create([
        AppointmentType(name="Consultation and treatment", kind="consultation", duration_minutes=90),
        AppointmentType(name="Treatment", kind="treatment", duration_minutes=60),
        AppointmentType(name="Maintenance", kind="maintenance", duration_minutes=60),
    ])
    desk = User.objects.create_user(username=DESK_USERNAME, password=DESK_PASSWORD, first_name="Bench")
    desk.groups.add(Group.objects.get(name=FRONT_DESK))
    User.objects.bulk_create(
        User(username=f"bench-acu-{i}", first_name="Acu", last_name=f"{i:02d}") for i in range(size.practitioners)
    )
    users = list(User.objects.filter(username__startswith="bench-acu-").order_by("pk"))
    Practitioner.objects.bulk_create(Practitioner(user=u, display_name=f"Acu {u.last_name}") for u in users)
    practitioners = list(Practitioner.objects.order_by("pk").values_list("pk", flat=True))
    WorkingHours.objects.bulk_create(
        WorkingHours(practitioner_id=p, weekday=d, starts=dt.time(9), ends=dt.time(18))
        for p in practitioners for d in range(6)
    )
    # One room per practitioner and two spare ones.
    Room.objects.bulk_create(Room(name=f"Room {i + 1}", display_order=i) for i in range(size.practitioners + 2))
    rooms = list(Room.objects.order_by("pk").values_list("pk", flat=True))
    return practitioners, rooms, types[1].pk, _patients(size)


def _patients(size: Size) -> list[int]:
    rng = random.Random(7)
    batch = []
    for i in range(size.patients):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        batch.append(Patient(
            first_name=first, last_name=last, date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000)),
            email=f"{first}.{last}.{i}@bench.example".lower().replace("'", ""), phone=f"+447700{i:06d}",
        ))
    Patient.objects.bulk_create(batch, batch_size=5000)
    return list(Patient.objects.order_by("pk").values_list("pk", flat=True))


def visit_rows(*, size: Size, practitioners: list[int], rooms: list[int], treatment_id: int,
               patients: list[int], today: dt.date) -> Iterator[tuple]:
    """Hourly one-hour visits on working days, each practitioner in their own room, as many as
    the size asks (spread evenly by a per-slot probability). No two overlap for a practitioner,
    room or patient, as the database requires."""
    rng = random.Random(13)
    tz = clinic_zone()
    first_day = today - dt.timedelta(days=DAYS_PAST)
    working_days = [first_day + dt.timedelta(days=n) for n in range(DAYS_PAST + DAYS_AHEAD)]
    working_days = [d for d in working_days if d.weekday() < 6]
    slots = len(working_days) * len(WORK_HOURS) * len(practitioners)
    density = min(0.95, size.visits / slots)
    # Patients with history; the spare ones stay free for the benchmark's bookings.
    with_history = patients[: len(patients) - SPARE_PATIENTS]
    created = timezone.now()
    hour = dt.timedelta(hours=1)
    count = 0
    for day in working_days:
        past = day < today
        for clock in WORK_HOURS:
            starts = local_datetime(day, dt.time(clock), tz=tz, fold=0)
            # Consecutive patients at one hour: never one patient with two practitioners at once.
            base = rng.randrange(len(with_history))
            for index, practitioner in enumerate(practitioners):
                if count >= size.visits or rng.random() >= density:
                    continue
                roll = rng.random()
                if past:
                    status = "completed" if roll < 0.9 else ("cancelled" if roll < 0.96 else "no_show")
                else:
                    status = "booked" if roll < 0.95 else "cancelled"
                count += 1
                yield (
                    with_history[(base + index) % len(with_history)], practitioner, rooms[index], treatment_id,
                    starts, starts + hour, status, False, "Patient unwell" if status == "cancelled" else "",
                    "patient" if status == "cancelled" else "", False, created, created,
                )


def _write_visits(rows: Iterator[tuple]) -> int:
    table = "scheduling_visit"
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_value(value) for value in row) + "\n")
                count += 1
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({', '.join(VISIT_COLUMNS)}) FROM STDIN", buffer)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            sql = f"INSERT INTO {table} ({', '.join(VISIT_COLUMNS)}) VALUES ({', '.join('%s' for _ in VISIT_COLUMNS)})"
            batch = []
            for row in rows:
                batch.append(tuple(adapt(v) if isinstance(v, dt.datetime) else v for v in row))
                count += 1
                if len(batch) == 10_000:
                    cursor.executemany(sql, batch)
                    batch = []
            cursor.executemany(sql, batch)
    return count


def _copy_value(value) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def seed(size: Size, *, today: dt.date | None = None) -> int:
    """Fills an empty, migrated database with the clinic of ``size``; returns the visits made."""
    today = today or timezone.localdate()
    with transaction.atomic():
        practitioners, rooms, treatment_id, patients = _setup(size)
        count = _write_visits(visit_rows(size=size, practitioners=practitioners, rooms=rooms,
                                         treatment_id=treatment_id, patients=patients, today=today))
    if connection.vendor == "postgresql":
        # VACUUM as well as ANALYZE: it moves the rows COPY left in the trigram indexes' GIN
        # pending lists into the indexes (a search otherwise scans the list: 50 ms, not 3) and
        # sets the visibility map for index-only scans. Autovacuum would do both in time; it may
        # be slow to come, or off (as on the benchmark machine). VACUUM cannot run in a
        # transaction (a test's): there, ANALYZE alone.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return count
