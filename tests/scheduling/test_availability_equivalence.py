"""The availability that reads only what is asked gives the same answers as the one that read
every visit of the window (kept as ``oracle_availability``), on randomised clinics: free slots,
single questions with holds, series proposals (with shifted and pushed sessions) and calendar
grids."""

import datetime as dt
import random

import pytest
import time_machine

from scheduling import availability, calendar, proposal
from scheduling.clock import clinic_zone, local_datetime
from scheduling.models import Closure, OpeningHours, Room, TimeOff, Visit
from tests.factories import PatientFactory
from tests.scheduling import oracle_availability as oracle
from tests.scheduling.factories import NOW, Clinic, practitioner

FIRST_DAY = NOW.date()
SEEDS = range(12)


class _OracleForBooking(oracle.Availability):
    """The oracle behind the proposal's calls (which now batch room reads)."""

    def prefetch_rooms(self, times) -> None:
        pass

    def first_free_rooms(self, times):
        return [self.free_room(starts_at=s, ends_at=e) for s, e in times]

    def free_starts(self, day, duration):
        return [slot.starts_at for slot in self.free_slots(day, duration)]


def _random_clinic(rng: random.Random) -> dict:
    """Rooms (few, so that they fill up; some not in use), practitioners with split shifts,
    closed weekdays, closures, time off, and visits in every state that never overlap for a
    practitioner, room or patient among those holding their time."""
    clinic = Clinic(rooms=rng.randint(1, 3), weekdays=[])
    for weekday in rng.sample(range(7), rng.randint(4, 7)):
        OpeningHours.objects.create(weekday=weekday, opens=dt.time(rng.choice([7, 8, 9])),
                                    closes=dt.time(rng.choice([17, 19, 20])))
    if rng.random() < 0.4:
        Room.objects.create(name="Old room", active=False)
    people = []
    for _ in range(rng.randint(2, 4)):
        person = practitioner(weekdays=rng.sample(range(7), rng.randint(4, 7)), starts=dt.time(rng.choice([8, 9, 10])),
                              ends=dt.time(rng.choice([13, 16, 18])))
        if rng.random() < 0.5:  # a split shift
            person.working_hours.create(weekday=rng.randrange(7), starts=dt.time(14), ends=dt.time(19))
        people.append(person)
    patients = [PatientFactory() for _ in range(6)]
    tz = clinic_zone()
    for _ in range(rng.randint(0, 2)):
        first = FIRST_DAY + dt.timedelta(days=rng.randint(0, 60))
        Closure.objects.create(first_day=first, last_day=first + dt.timedelta(days=rng.randint(0, 3)), reason="Holiday")
    for person in people:
        for _ in range(rng.randint(0, 3)):
            start = local_datetime(FIRST_DAY + dt.timedelta(days=rng.randint(0, 60)), dt.time(rng.randint(8, 15)), tz=tz)
            TimeOff.objects.create(practitioner=person, starts_at=start, ends_at=start + dt.timedelta(hours=rng.randint(1, 30)))
    rooms = list(Room.objects.all())
    held: list[tuple] = []
    for _ in range(rng.randint(60, 160)):
        day = FIRST_DAY + dt.timedelta(days=rng.randint(-7, 70))
        start = local_datetime(day, dt.time(rng.randint(7, 19), rng.choice([0, 15, 30, 45, 10])), tz=tz)
        end = start + dt.timedelta(minutes=rng.choice([30, 45, 60, 90, 120]))
        who, patient, room = rng.choice(people), rng.choice(patients), rng.choice(rooms)
        status = rng.choice(["booked"] * 5 + ["completed", "arrived", "cancelled", "no_show"])
        blocking = status in Visit.BLOCKING
        if blocking and any(
            start < e and s < end and (p == who.pk or pa == patient.pk or r == room.pk) for s, e, p, pa, r in held
        ):
            continue
        if blocking:
            held.append((start, end, who.pk, patient.pk, room.pk))
        Visit.objects.create(
            patient=patient, practitioner=who, room=room, appointment_type=clinic.treatment, starts_at=start,
            ends_at=end, status=status, cancel_reason="Unwell" if status == "cancelled" else "",
        )
    return {"clinic": clinic, "practitioners": people, "patients": patients, "rooms": rooms}


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("seed", SEEDS)
def test_free_slots_are_the_same_as_before(db, frozen_now, seed):
    rng = random.Random(seed)
    world = _random_clinic(rng)
    for person in world["practitioners"]:
        for patient_id in (None, rng.choice(world["patients"]).pk):
            args = dict(practitioner=person, first_day=FIRST_DAY, last_day=FIRST_DAY + dt.timedelta(days=27),
                        duration=dt.timedelta(minutes=rng.choice([30, 60, 90])), patient_id=patient_id)
            assert _slots(availability.free_slots(**args)) == _slots(oracle.free_slots(**args))


def _slots(by_day: dict) -> dict:
    return {day: [(s.starts_at, s.ends_at, s.room_id) for s in slots] for day, slots in by_day.items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_each_question_and_hold_gets_the_same_answer_as_before(db, frozen_now, seed):
    rng = random.Random(seed)
    world = _random_clinic(rng)
    tz = clinic_zone()
    person, patient = rng.choice(world["practitioners"]), rng.choice(world["patients"])
    last = FIRST_DAY + dt.timedelta(days=30)
    ignore = list(Visit.objects.filter(practitioner=person).values_list("pk", flat=True)[:2])
    args = dict(practitioner=person, first_day=FIRST_DAY, last_day=last, patient_id=patient.pk, ignore_visit_ids=ignore)
    new, old = availability.Availability(**args), oracle.Availability(**args)
    room_choices = [None, *[room.pk for room in world["rooms"]], 999_999]
    for _ in range(300):
        day = FIRST_DAY + dt.timedelta(days=rng.randint(0, 30))
        start = local_datetime(day, dt.time(rng.randint(7, 19), rng.choice([0, 15, 30, 45])), tz=tz)
        end = start + dt.timedelta(minutes=rng.choice([30, 60, 90]))
        room = rng.choice(room_choices)
        answer = new.problem(starts_at=start, ends_at=end, room_id=room)
        assert answer == _same_problem(old.problem(starts_at=start, ends_at=end, room_id=room)), (start, room)
        prefer = rng.choice(room_choices)
        assert new.free_room(starts_at=start, ends_at=end, prefer=prefer) == old.free_room(
            starts_at=start, ends_at=end, prefer=prefer)
        if answer is None and rng.random() < 0.3:
            held_room = new.free_room(starts_at=start, ends_at=end)
            new.hold(starts_at=start, ends_at=end, room_id=held_room)
            old.hold(starts_at=start, ends_at=end, room_id=held_room)


def _same_problem(problem):
    return availability.Problem(problem.message, problem.conflict) if problem else None


@pytest.mark.parametrize("seed", SEEDS)
def test_series_proposals_are_the_same_as_before(db, frozen_now, seed, monkeypatch):
    rng = random.Random(seed)
    world = _random_clinic(rng)
    clinic = world["clinic"]
    for _ in range(4):
        args = dict(
            patient=rng.choice(world["patients"]), practitioner=rng.choice(world["practitioners"]),
            appointment_type=clinic.treatment, sessions=rng.randint(6, 12), cadence_days=rng.choice([7, 14]),
            first_day=FIRST_DAY + dt.timedelta(days=rng.randint(0, 10)),
            preferred_time=dt.time(rng.randint(8, 18), rng.choice([0, 30])),
            first_appointment_type=rng.choice([None, clinic.consultation]),
        )
        new = proposal.series_propose(**args)
        with monkeypatch.context() as patch:
            patch.setattr(proposal, "Availability", _OracleForBooking)
            old = proposal.series_propose(**args)
        assert _sessions(new) == _sessions(old)


def _sessions(series) -> list[tuple]:
    return [(s.sequence, s.starts_at, s.room_id, s.shifted, s.note) for s in series.sessions]


@pytest.mark.parametrize("seed", SEEDS)
def test_calendar_grids_are_the_same_as_before(db, frozen_now, seed):
    rng = random.Random(seed)
    world = _random_clinic(rng)
    offset = 7 * rng.randint(0, 4)
    week = [FIRST_DAY + dt.timedelta(days=d) for d in range(offset, offset + 7)]
    for subject in [{"practitioner": p} for p in world["practitioners"]] + [{"room": r} for r in world["rooms"]]:
        for days in (week, week[2:3]):
            new = calendar.calendar_grid(days=days, **subject)
            old = oracle.calendar_grid(days=days, **subject)
            assert new.closed == old.closed
            assert new.times == old.times
            assert [(b.visit.pk, b.column, b.row, b.span) for b in new.blocks] == [
                (b.visit.pk, b.column, b.row, b.span) for b in old.blocks]
            assert [(c.column, c.row, c.starts_at) for c in new.free] == [
                (c.column, c.row, c.starts_at) for c in old.free]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_booking_check_reading_only_its_times_and_rooms_answers_as_before(db, frozen_now, seed):
    """``only_times`` and ``only_rooms`` (a series' booking check) read less, never answer differently."""
    rng = random.Random(seed)
    world = _random_clinic(rng)
    tz = clinic_zone()
    person, patient = rng.choice(world["practitioners"]), rng.choice(world["patients"])
    room_choices = [None, *[room.pk for room in world["rooms"]], 999_999]
    for _ in range(20):
        days = sorted(rng.sample(range(28), rng.randint(1, 12)))
        times = []
        for offset in days:
            start = local_datetime(FIRST_DAY + dt.timedelta(days=offset), dt.time(rng.randint(7, 19), rng.choice([0, 30])),
                                   tz=tz)
            times.append((start, start + dt.timedelta(minutes=rng.choice([30, 60, 90])), rng.choice(room_choices)))
        args = dict(practitioner=person, first_day=FIRST_DAY, last_day=FIRST_DAY + dt.timedelta(days=28),
                    patient_id=patient.pk)
        new = availability.Availability(**args, only_times=[(s, e) for s, e, _ in times],
                                        only_rooms={room for _, _, room in times if room is not None})
        old = oracle.Availability(**args)
        for start, end, room in times:
            answer = new.problem(starts_at=start, ends_at=end, room_id=room)
            assert answer == _same_problem(old.problem(starts_at=start, ends_at=end, room_id=room)), (start, room)
            if answer is None:
                new.hold(starts_at=start, ends_at=end, room_id=room)
                old.hold(starts_at=start, ends_at=end, room_id=room)
