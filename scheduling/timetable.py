"""The clinic's timetable: opening hours, closures, the practitioners' working hours and time off,
and the rooms in use — what every availability question and calendar needs, and what changes a
few times a month.

Each process keeps the timetable it last read, keyed by ``ClinicSettings.timetable_version``,
which every request reads anyway (one settings row per request: ``clinic_settings_scope``). A
trigger on each of the timetable's tables gives the settings row a new random version on any
change — through a form, the admin, a migration or raw SQL, in the same transaction — so the
first request that sees the new version reads the tables again, and no request ever uses an
older timetable than its settings row. The version is random, not a counter: a change that is
rolled back (whose transaction may have cached what it saw) can never hand its number to a later
change.

Within one request the settings row is read once: a request that changes the timetable and then
asks about availability must do so in a new ``clinic_settings_scope``. (None does today: the
timetable is edited in the admin, whose pages answer no availability question.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Subquery, Value

from scheduling.models import ClinicSettings, Closure, OpeningHours, Practitioner, Room, TimeOff, WorkingHours

# The tables whose changes give the settings row a new version (migration 0019's triggers).
TABLES = (
    "scheduling_openinghours", "scheduling_closure", "scheduling_workinghours", "scheduling_timeoff",
    "scheduling_room", "scheduling_practitioner",
)
SETTINGS_TABLE = "scheduling_clinicsettings"


@dataclass(frozen=True)
class Timetable:
    # weekday → (opens, closes), local wall-clock times
    opening: dict[int, tuple[dt.time, dt.time]]
    # in date order (read-only: shared by every request of the process)
    closures: tuple[Closure, ...]
    # practitioner id → weekday → [(starts, ends)], in time order
    working: dict[int, dict[int, list[tuple[dt.time, dt.time]]]]
    # practitioner id → [(starts_at, ends_at)], in time order
    time_off: dict[int, list[tuple[dt.datetime, dt.datetime]]]
    # the rooms in use, in display order
    room_ids: tuple[int, ...]
    # every practitioner, active or not (each holds at most one room at a time)
    practitioners: int

    def closures_between(self, first_day: dt.date, last_day: dt.date) -> list[Closure]:
        return [c for c in self.closures if c.first_day <= last_day and c.last_day >= first_day]

    def working_of(self, practitioner_id: int) -> dict[int, list[tuple[dt.time, dt.time]]]:
        return self.working.get(practitioner_id, {})

    def time_off_between(self, practitioner_id: int, starts_at: dt.datetime,
                         ends_at: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        return [(s, e) for s, e in self.time_off.get(practitioner_id, ()) if s < ends_at and e > starts_at]


# (version, timetable): replaced whole, never changed in place, so threads need no lock.
_cached: tuple[int, Timetable] | None = None


def timetable(settings: ClinicSettings | None = None) -> Timetable:
    """The timetable as of ``settings`` (the request's settings row by default): from this
    process's cache when the version matches, else read in four queries."""
    global _cached
    version = (settings or ClinicSettings.load()).timetable_version
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    # Read after the version: the tables are at least as new as it, never older.
    table = _read()
    _cached = (version, table)
    return table


def forget() -> None:
    """Drops this process's cached timetable (the tests start each test without one)."""
    global _cached
    _cached = None


def _read() -> Timetable:
    working: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = {}
    for practitioner_id, weekday, starts, ends in WorkingHours.objects.order_by(
        "practitioner_id", "weekday", "starts"
    ).values_list("practitioner_id", "weekday", "starts", "ends"):
        working.setdefault(practitioner_id, {}).setdefault(weekday, []).append((starts, ends))
    time_off: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for practitioner_id, starts_at, ends_at in TimeOff.objects.order_by("practitioner_id", "starts_at").values_list(
        "practitioner_id", "starts_at", "ends_at"
    ):
        time_off.setdefault(practitioner_id, []).append((starts_at, ends_at))
    everyone = Practitioner.objects.order_by().values(one=Value(1)).annotate(count=Count("pk")).values("count")
    rooms = list(Room.objects.filter(active=True).annotate(everyone=Subquery(everyone)).values_list("id", "everyone"))
    return Timetable(
        opening={weekday: (opens, closes) for weekday, opens, closes in
                 OpeningHours.objects.values_list("weekday", "opens", "closes")},
        closures=tuple(Closure.objects.order_by("first_day", "last_day")),
        working=working,
        time_off=time_off,
        room_ids=tuple(room_id for room_id, _ in rooms),
        practitioners=rooms[0][1] if rooms else Practitioner.objects.count(),
    )


# --- The triggers (migration 0019) --------------------------------------------------------------
_NEW_VERSION = {
    # 53 random bits, as ``models.clinic.new_timetable_version``.
    "postgresql": "floor(random() * 9007199254740991)::bigint",
    "sqlite": "(random() & 9007199254740991)",
}


def install(schema_editor) -> None:
    """Creates the triggers: any change to a timetable table gives the settings row a new version."""
    vendor = schema_editor.connection.vendor
    bump = f"UPDATE {SETTINGS_TABLE} SET timetable_version = {_NEW_VERSION.get(vendor, '0')}"
    statements = []
    if vendor == "postgresql":
        statements.append(
            f"CREATE FUNCTION scheduling_timetable_changed() RETURNS trigger AS $$ BEGIN {bump}; RETURN NULL; END $$"
            " LANGUAGE plpgsql"
        )
        statements += [
            f"CREATE TRIGGER {table}_timetable_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION scheduling_timetable_changed()"
            for table in TABLES
        ]
    elif vendor == "sqlite":
        statements += [
            f"CREATE TRIGGER {table}_timetable_{op.lower()} AFTER {op} ON {table} BEGIN {bump}; END"
            for table in TABLES for op in ("INSERT", "UPDATE", "DELETE")
        ]
    for sql in statements:
        schema_editor.execute(sql, None)


def uninstall(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = []
    if vendor == "postgresql":
        statements += [f"DROP TRIGGER IF EXISTS {table}_timetable_changed ON {table}" for table in TABLES]
        statements.append("DROP FUNCTION IF EXISTS scheduling_timetable_changed()")
    elif vendor == "sqlite":
        statements += [f"DROP TRIGGER IF EXISTS {table}_timetable_{op}" for table in TABLES
                       for op in ("insert", "update", "delete")]
    for sql in statements:
        schema_editor.execute(sql, None)


def trigger_names(vendor: str) -> set[str]:
    """The triggers ``install`` creates (the tests check they survive the migrations)."""
    if vendor == "postgresql":
        return {f"{table}_timetable_changed" for table in TABLES}
    return {f"{table}_timetable_{op}" for table in TABLES for op in ("insert", "update", "delete")}
