"""Every scheduling page runs the same number of SQL queries with a little data and with a lot
(many visits in view, years of history). If a count changes, justify the new query."""

import datetime as dt
import itertools

import pytest
from django.urls import reverse

from scheduling import timetable
from scheduling.models import MaintenanceSchedule, PatientRequest, Reminder, Visit
from tests.factories import PatientFactory
from tests.scheduling.factories import at, book_series, practitioner

pytestmark = pytest.mark.usefixtures("frozen")


def populate(*, clinic, practitioners, patients, first_day, days, hours=range(9, 17)):
    """Fills ``days`` from ``first_day`` with back-to-back visits for every practitioner (each in
    their own room), written directly: this is bulk test data, not a booking flow."""
    visits = []
    for offset, (j, who) in itertools.product(range(days), enumerate(practitioners)):
        day = first_day + dt.timedelta(days=offset)
        for h in hours:
            start = at(day, f"{h:02d}:00")
            visits.append(Visit(
                patient=patients[(j * len(hours) + h) % len(patients)], practitioner=who, room=clinic.rooms[j],
                appointment_type=clinic.treatment, starts_at=start, ends_at=start + dt.timedelta(hours=1),
                status=Visit.Status.COMPLETED if start < at("2026-03-02", "08:00") else Visit.Status.BOOKED,
            ))
    Visit.objects.bulk_create(visits)


@pytest.fixture
def busy_clinic(clinic, lin, patient):
    """The larger data: two busy practitioners for the next 2 weeks, a year of history, the
    patient with a series and many past visits, and 60 patients due for maintenance."""
    sara = practitioner(display_name="Sara Okafor")
    others = [PatientFactory() for _ in range(16)]
    populate(clinic=clinic, practitioners=[lin, sara], patients=others, first_day=dt.date(2025, 3, 1), days=360,
             hours=range(9, 11))
    populate(clinic=clinic, practitioners=[lin, sara], patients=others, first_day=dt.date(2026, 3, 3), days=14)
    book_series(patient=patient, practitioner=lin, clinic=clinic, time="18:00", sessions=12)
    Visit.objects.filter(patient=others[0]).update(patient=patient)  # a long history
    MaintenanceSchedule.objects.bulk_create(
        MaintenanceSchedule(patient=p, since=dt.date(2026, 1, 1), due_on=dt.date(2026, 2, 5)) for p in others[1:]
    )
    # Reminders: a year of sent ones for the patient, and many failed and waiting clinic-wide.
    past = list(Visit.objects.filter(patient=patient, starts_at__lt=at("2026-03-02", "08:00"))[:300])
    Reminder.objects.bulk_create(
        Reminder(kind="visit_upcoming", patient=patient, visit=v, due_at=v.starts_at, expires_at=v.starts_at,
                 next_attempt_at=v.starts_at, state="sent", sent_at=v.starts_at, attempts=1)
        for v in past
    )
    ahead = Visit.objects.filter(starts_at__gte=at("2026-03-02", "08:00")).exclude(patient=patient)[:200]
    Reminder.objects.bulk_create(
        Reminder(kind="visit_upcoming", patient_id=v.patient_id, visit=v, due_at=v.starts_at, expires_at=v.starts_at,
                 next_attempt_at=v.starts_at, state="failed" if i % 2 else "pending", attempts=5 if i % 2 else 0)
        for i, v in enumerate(ahead)
    )
    PatientRequest.objects.bulk_create(
        PatientRequest(kind="new_time", patient_id=v.patient_id, visit=v, note="mornings") for v in ahead[:120]
    )
    return sara


def pages(lin, clinic, patient):
    visit = Visit.objects.filter(patient=patient).order_by("-starts_at").first()
    return {
        "practitioner day": f"{reverse('scheduling:calendar')}?practitioner={lin.pk}&view=day&date=2026-03-03",
        "practitioner week": f"{reverse('scheduling:calendar')}?practitioner={lin.pk}&view=week&date=2026-03-03",
        "room day": f"{reverse('scheduling:calendar')}?room={clinic.rooms[0].pk}&view=day&date=2026-03-03",
        "room week": f"{reverse('scheduling:calendar')}?who=room%3D{clinic.rooms[0].pk}&view=week&date=2026-03-03",
        "all practitioners day": f"{reverse('scheduling:calendar')}?practitioner=all&date=2026-03-03",
        "patient timeline": reverse("scheduling:patient", args=[patient.pk]),
        "maintenance list": reverse("scheduling:maintenance"),
        "visit": reverse("scheduling:visit", args=[visit.pk]),
        "reminder list": reverse("scheduling:reminders"),
        "failed reminders": reverse("scheduling:reminders") + "?show=failed",
        "patient requests": reverse("scheduling:requests"),
        "home": reverse("home"),
    }


# Page → queries, the same with little and with a lot of data, once the process holds the
# timetable (``scheduling.timetable``; the first page after a change reads it: ``TIMETABLE``
# more). Each count includes the 3 that every signed-in page makes (session, user, the user's
# roles and permissions in one), and for staff who decide about visits inside closures the count
# behind that banner (``BANNER``).
BANNER = 1
TIMETABLE = 5
EXPECTED = {
    # + the settings, practitioners, rooms (the one asked for is among them), the grid's visits,
    # the practitioner's visits
    "practitioner day": 8 + BANNER,
    "practitioner week": 8 + BANNER,
    "room day": 7 + BANNER,
    "room week": 7 + BANNER,
    # one read of the day's visits for every practitioner (scheduling.availability_day)
    "all practitioners day": 9 + BANNER,
    # + its reminder history and the patient's link actions (one query each, the latest 50)
    "patient timeline": 10 + BANNER,
    # + one audit insert for the page and every patient row shown (lists below too)
    "maintenance list": 7 + BANNER,
    # + the times this visit freed, for the waiting list (scheduling.waitlist.slot_offers)
    "visit": 8 + BANNER,
    # session, user, roles and permissions + count + page + audit
    "reminder list": 6 + BANNER,
    "failed reminders": 6 + BANNER,
    # + the freed times offered to the waiting list
    "patient requests": 7 + BANNER,
    # + the day panel: today's visits, today's requests, late cancellations, two counts
    "home": 8 + BANNER,
}


@pytest.mark.parametrize("page_name", list(EXPECTED))
def test_page_runs_a_fixed_number_of_queries_with_little_data(front_desk_client, clinic, lin, patient, page_name,
                                                               django_assert_num_queries):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, time="18:00", sessions=6)
    MaintenanceSchedule.objects.create(patient=series.patient, since=dt.date(2026, 1, 1), due_on=dt.date(2026, 2, 5))
    first = series.visits.first()
    Reminder.objects.filter(visit=first).update(state="failed")  # one of each on the reminder pages
    PatientRequest.objects.create(kind="new_time", patient=patient, visit=first)
    url = pages(lin, clinic, patient)[page_name]
    front_desk_client.get(url)  # the process reads the timetable once
    with django_assert_num_queries(EXPECTED[page_name]):
        assert front_desk_client.get(url).status_code == 200


@pytest.mark.parametrize("page_name", list(EXPECTED))
def test_page_runs_the_same_number_of_queries_with_a_lot_of_data(front_desk_client, busy_clinic, clinic, lin, patient,
                                                                  page_name, django_assert_num_queries):
    url = pages(lin, clinic, patient)[page_name]
    assert Visit.objects.count() > 1500
    front_desk_client.get(url)  # the process reads the timetable once
    with django_assert_num_queries(EXPECTED[page_name]):
        response = front_desk_client.get(url)
    assert response.status_code == 200
    if page_name.startswith(("practitioner", "all")):
        # The busy data is on the page: visits as blocks.
        assert response.content.count(b'class="cal-visit') >= 8


def test_listing_free_slots_for_a_month_is_a_fixed_number_of_queries(busy_clinic, lin, django_assert_num_queries):
    from scheduling.availability import free_slots

    month = {"practitioner": lin, "first_day": dt.date(2026, 3, 3), "last_day": dt.date(2026, 4, 2),
             "duration": dt.timedelta(minutes=60)}
    # The first time: the settings, the timetable (opening hours, closures, working hours, time
    # off, rooms with the count of practitioners: can rooms fill up?), the practitioner's visits,
    # the free starts' rooms. Afterwards the timetable is known: three.
    timetable.forget()
    with django_assert_num_queries(3 + TIMETABLE):
        free_slots(**month)
    with django_assert_num_queries(3):
        slots = free_slots(**month)
    # 3–16 March: Lin works 08:00–20:00 and is booked 09:00–17:00, so only the edges are free.
    assert [s.starts_at.strftime("%H:%M") for s in slots[dt.date(2026, 3, 3)]][:1] == ["08:00"]
    assert all(not 9 <= s.starts_at.hour < 17 for s in slots[dt.date(2026, 3, 3)])


@pytest.mark.parametrize("busy", [False, True])
def test_the_patient_page_section_runs_three_queries(request, clinic, lin, patient, busy, django_assert_num_queries):
    """The appointments section that scheduling adds to the patient page (patients/ owns the page)."""
    from django.template import Context, Template

    if busy:
        request.getfixturevalue("busy_clinic")
    else:
        book_series(patient=patient, practitioner=lin, clinic=clinic, time="18:00", sessions=6)
    template = Template("{% load scheduling_tags %}{% scheduling_patient_summary patient %}")
    with django_assert_num_queries(3):
        html = template.render(Context({"patient": patient, "perms": {}}))
    assert "0 of" in html and "Next visits" in html
