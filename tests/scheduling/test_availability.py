import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from scheduling.availability import MAX_VISIT, free_slots
from scheduling.booking import visit_book
from scheduling.models import ClinicSettings, OpeningHours, TimeOff, Visit
from tests.factories import PatientFactory
from tests.scheduling.factories import at, practitioner

pytestmark = pytest.mark.usefixtures("frozen")
TUESDAY = dt.date(2026, 3, 3)


def times(slots):
    return [s.starts_at.strftime("%H:%M") for s in slots]


def test_free_starts_are_where_opening_hours_and_working_hours_meet(clinic):
    OpeningHours.objects.filter(weekday=1).update(opens=dt.time(9), closes=dt.time(18))
    tom = practitioner(display_name="Tom", starts=dt.time(12), ends=dt.time(19))

    slots = free_slots(practitioner=tom, first_day=TUESDAY, duration=dt.timedelta(minutes=60))[TUESDAY]

    assert times(slots)[0] == "12:00" and times(slots)[-1] == "17:00"
    assert len(slots) == 21  # 12:00, 12:15, ..., 17:00


def test_the_grid_follows_the_clinic_setting(clinic, lin):
    ClinicSettings.objects.filter(pk=1).update(slot_minutes=30)
    slots = free_slots(practitioner=lin, first_day=TUESDAY, duration=dt.timedelta(minutes=60))[TUESDAY]
    assert times(slots)[:3] == ["08:00", "08:30", "09:00"]


def test_time_off_and_visits_are_not_free(clinic, lin):
    TimeOff.objects.create(practitioner=lin, starts_at=at(TUESDAY, "08:00"), ends_at=at(TUESDAY, "12:00"))
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at(TUESDAY, "13:00"), by=None)

    slots = times(free_slots(practitioner=lin, first_day=TUESDAY, duration=dt.timedelta(minutes=60))[TUESDAY])

    assert slots[:4] == ["12:00", "14:00", "14:15", "14:30"]


def test_the_patients_other_visits_are_not_free_for_them(clinic, lin, sara, patient):
    visit_book(patient=patient, practitioner=sara, appointment_type=clinic.treatment,
               starts_at=at(TUESDAY, "08:00"), by=None)

    mine = free_slots(practitioner=lin, first_day=TUESDAY, duration=dt.timedelta(minutes=60), patient_id=patient.pk)
    anyone = free_slots(practitioner=lin, first_day=TUESDAY, duration=dt.timedelta(minutes=60))

    assert times(mine[TUESDAY])[0] == "09:00" and times(anyone[TUESDAY])[0] == "08:00"


def test_each_free_start_comes_with_a_free_room(clinic, lin, sara):
    visit_book(patient=PatientFactory(), practitioner=sara, appointment_type=clinic.treatment,
               starts_at=at(TUESDAY, "08:00"), by=None, room_id=clinic.rooms[0].pk)

    slots = free_slots(practitioner=lin, first_day=TUESDAY, duration=dt.timedelta(minutes=60))[TUESDAY]

    assert slots[0].room_id == clinic.rooms[1].pk
    assert slots[-1].room_id == clinic.rooms[0].pk


def test_when_every_room_is_taken_there_is_no_free_time(clinic, lin):
    for room in clinic.rooms:
        visit_book(patient=PatientFactory(), practitioner=practitioner(), appointment_type=clinic.treatment,
                   starts_at=at(TUESDAY, "08:00"), by=None, room_id=room.pk)

    slots = free_slots(practitioner=lin, first_day=TUESDAY, duration=dt.timedelta(minutes=60))[TUESDAY]

    assert times(slots)[0] == "09:00"


def test_a_range_lists_each_day(clinic, lin):
    days = free_slots(practitioner=lin, first_day=TUESDAY, last_day=TUESDAY + dt.timedelta(days=6),
                      duration=dt.timedelta(minutes=60))
    assert list(days) == [TUESDAY + dt.timedelta(days=i) for i in range(7)]
    assert all(len(slots) == 45 for slots in days.values())  # 08:00–19:00 every 15 minutes


def test_the_database_refuses_a_visit_longer_than_eight_hours(clinic, lin, patient):
    # Availability reads visits starting at most MAX_VISIT before the time asked.
    start = at("2026-03-03", "09:00")
    fields = dict(patient=patient, practitioner=lin, room=clinic.rooms[0], appointment_type=clinic.treatment)
    Visit.objects.create(starts_at=start, ends_at=start + MAX_VISIT, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(starts_at=start + dt.timedelta(days=1),
                             ends_at=start + dt.timedelta(days=1) + MAX_VISIT + dt.timedelta(minutes=1), **fields)


def test_the_practitioners_and_patients_visits_are_read_as_two_index_ranges(clinic, lin, patient):
    # One OR over both led PostgreSQL to walk every practitioner's visits of the window; a UNION
    # of the two ranges is two index-only scans (migration 0009), whatever the history.
    with CaptureQueriesContext(connection) as captured:
        free_slots(practitioner=lin, first_day=TUESDAY, last_day=TUESDAY + dt.timedelta(weeks=12),
                   duration=dt.timedelta(minutes=60), patient_id=patient.pk)
    [busy] = [q["sql"] for q in captured if '"scheduling_visit"."patient_id"' in q["sql"]]
    assert " UNION " in busy and '"scheduling_visit"."practitioner_id" = ' in busy
