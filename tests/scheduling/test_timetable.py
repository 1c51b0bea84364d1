"""The timetable cache (``scheduling.timetable``): read once per process, and read again after any
change to opening hours, closures, working hours, time off, rooms or practitioners — however
the change is made (the ORM, the admin's queries, raw SQL) — because a trigger gives the settings
row a new version."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from scheduling import timetable
from scheduling.availability import free_slots
from scheduling.models import ClinicSettings, Closure, OpeningHours, Room, TimeOff, WorkingHours
from scheduling.models.clinic import clinic_settings_scope
from tests.scheduling.factories import at, practitioner

pytestmark = pytest.mark.usefixtures("frozen")
TUESDAY = dt.date(2026, 3, 3)
HOUR = dt.timedelta(hours=1)


def version() -> int:
    return ClinicSettings.objects.values_list("timetable_version", flat=True).get()


def starts(lin) -> list[str]:
    with clinic_settings_scope():  # as in a request
        return [f"{slot.starts_at:%H:%M}" for slot in free_slots(practitioner=lin, first_day=TUESDAY, duration=HOUR)[TUESDAY]]


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def lin(clinic):
    ClinicSettings.objects.update_or_create(pk=1, defaults={"slot_minutes": 60})
    return practitioner(display_name="Lin Zhao", starts=dt.time(9), ends=dt.time(13))


def test_a_second_request_reads_no_timetable_table(lin):
    starts(lin)
    with CaptureQueriesContext(connection) as captured:
        starts(lin)
    tables = " ".join(query["sql"] for query in captured)
    for table in timetable.TABLES:
        assert f'"{table}"' not in tables, table


@pytest.mark.parametrize("change", [
    "time off in raw SQL", "time off through the ORM", "a closure", "opening hours", "working hours",
    "working hours deleted", "the last room retired",
])
def test_every_kind_of_change_shows_at_the_next_request(lin, change):
    assert starts(lin) == ["09:00", "10:00", "11:00", "12:00"]
    before = version()
    if change == "time off in raw SQL":
        raw("INSERT INTO scheduling_timeoff (practitioner_id, starts_at, ends_at, reason) VALUES (%s, %s, %s, '')",
            [lin.pk, at(TUESDAY, "09:00"), at(TUESDAY, "11:00")])
        expected = ["11:00", "12:00"]
    elif change == "time off through the ORM":
        TimeOff.objects.create(practitioner=lin, starts_at=at(TUESDAY, "12:00"), ends_at=at(TUESDAY, "13:00"))
        expected = ["09:00", "10:00", "11:00"]
    elif change == "a closure":
        Closure.objects.create(first_day=TUESDAY, last_day=TUESDAY, reason="Flood")
        expected = []
    elif change == "opening hours":
        OpeningHours.objects.filter(weekday=TUESDAY.weekday()).update(opens=dt.time(10))
        expected = ["10:00", "11:00", "12:00"]
    elif change == "working hours":
        raw("UPDATE scheduling_workinghours SET ends = %s WHERE practitioner_id = %s", ["11:00:00", lin.pk])
        expected = ["09:00", "10:00"]
    elif change == "working hours deleted":
        WorkingHours.objects.filter(practitioner=lin).delete()
        expected = []
    else:
        Room.objects.update(active=False)
        expected = []
    assert version() != before
    assert starts(lin) == expected


def test_a_rolled_back_change_never_lends_its_version_to_a_later_one(lin):
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        TimeOff.objects.create(practitioner=lin, starts_at=at(TUESDAY, "09:00"), ends_at=at(TUESDAY, "13:00"))
        assert starts(lin) == []  # cached, inside the transaction, under its own version
        inside = version()
        raise RuntimeError("rolled back")
    assert version() == before
    assert starts(lin) == ["09:00", "10:00", "11:00", "12:00"]
    Closure.objects.create(first_day=dt.date(2027, 1, 1), last_day=dt.date(2027, 1, 1), reason="New year")
    assert version() not in (before, inside)
    assert starts(lin) == ["09:00", "10:00", "11:00", "12:00"]


def test_saving_the_settings_never_writes_an_old_version_back(lin):
    settings = ClinicSettings.load()
    TimeOff.objects.create(practitioner=lin, starts_at=at(TUESDAY, "09:00"), ends_at=at(TUESDAY, "10:00"))
    changed = version()
    settings.name = "Renamed clinic"
    settings.save()
    assert version() == changed
    assert ClinicSettings.objects.get().name == "Renamed clinic"


def test_every_timetable_table_has_its_trigger_after_the_migrations(db):
    """On SQLite a migration that rebuilds a table drops its triggers silently: install them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {name for (name,) in cursor.fetchall()}
    assert timetable.trigger_names(connection.vendor) <= names
