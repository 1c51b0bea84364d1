import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.booking import visit_book
from scheduling.calendar import calendar_grid
from scheduling.models import Closure, OpeningHours, Visit
from scheduling.visit_status import visit_confirm, visit_mark_arrived
from tests.factories import PatientFactory
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")


def test_a_visit_is_a_block_spanning_its_duration_and_its_time_is_not_free(clinic, lin, patient):
    visit_book(patient=patient, practitioner=lin, appointment_type=clinic.consultation,
               starts_at=at("2026-03-03", "10:00"), by=None)

    grid = calendar_grid(days=[dt.date(2026, 3, 3)], practitioner=lin)

    [block] = grid.blocks
    assert grid.times[block.row - 2] == dt.time(10) and block.span == 6  # 90 minutes of 15
    free_times = {cell.starts_at.strftime("%H:%M") for cell in grid.free}
    assert {"09:45", "11:30"} <= free_times
    assert not free_times & {"10:00", "10:15", "11:15"}


def test_a_room_calendar_shows_every_practitioner_in_that_room(clinic, lin, sara):
    room = clinic.rooms[0]
    for who, time in ((lin, "10:00"), (sara, "11:00")):
        visit_book(patient=PatientFactory(), practitioner=who, appointment_type=clinic.treatment,
                   starts_at=at("2026-03-03", time), by=None, room_id=room.pk)

    grid = calendar_grid(days=[dt.date(2026, 3, 3)], room=room)

    assert {b.visit.practitioner for b in grid.blocks} == {lin, sara}
    assert "12:00" in {cell.starts_at.strftime("%H:%M") for cell in grid.free}


def test_closed_days_are_marked_and_have_no_free_time(clinic, lin):
    Closure.objects.create(first_day=dt.date(2026, 3, 4), last_day=dt.date(2026, 3, 4), reason="Staff training")

    grid = calendar_grid(days=[dt.date(2026, 3, 3), dt.date(2026, 3, 4)], practitioner=lin)

    assert grid.closed == {dt.date(2026, 3, 4): "Staff training"}
    assert {cell.starts_at.date() for cell in grid.free} == {dt.date(2026, 3, 3)}


def test_the_calendar_page_links_free_time_to_booking_and_visits_to_their_page(front_desk_client, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)

    response = front_desk_client.get(reverse("scheduling:calendar"), {"practitioner": lin.pk, "date": "2026-03-03"})

    html = response.content.decode()
    assert f'href="{reverse("scheduling:visit", args=[visit.pk])}"' in html
    # The link is HTML-escaped in the attribute ("&amp;"), as an href should be.
    assert f"{reverse('scheduling:visit_new')}?start=2026-03-03T11%3A00%3A00%2B00%3A00&amp;practitioner={lin.pk}" in html
    assert 'aria-label="Book Tue 03 Mar 11:00"' in html


def test_on_the_spring_forward_day_visits_sit_at_their_local_time(clinic, lin, patient, frozen):
    frozen.move_to(at("2026-03-28", "08:00"))
    visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-29", "10:00"), by=None)

    grid = calendar_grid(days=[dt.date(2026, 3, 29)], practitioner=lin)

    assert grid.times[grid.blocks[0].row - 2] == dt.time(10)


def test_a_practitioner_sees_their_own_calendar_first(client, clinic, lin, sara):
    client.force_login(sara.user)
    response = client.get(reverse("scheduling:calendar"))
    assert response.context["practitioner"] == sara


@pytest.mark.parametrize("chosen", ["sara", "inactive", "unknown", "not a number"])
def test_the_calendar_shows_an_active_practitioner_asked_for_and_ignores_any_other(front_desk_client, clinic, lin,
                                                                                   sara, chosen):
    if chosen == "inactive":
        sara.active = False
        sara.save()
    value = {"sara": sara.pk, "inactive": sara.pk, "unknown": 999999, "not a number": "x"}[chosen]
    response = front_desk_client.get(reverse("scheduling:calendar"), {"practitioner": value, "view": "week"})
    # An unknown choice is ignored as a whole (view and date too): the first practitioner's day.
    expected = (sara, "week") if chosen == "sara" else (lin, "day")
    assert (response.context["practitioner"], response.context["view"]) == expected


def test_time_labels_cover_the_grid_from_the_first_row_and_each_hour(clinic, lin):
    OpeningHours.objects.update(opens=dt.time(8, 30), closes=dt.time(10))
    grid = calendar_grid(days=[dt.date(2026, 3, 3)], practitioner=lin)
    # 15-minute rows from 08:30 (row 2) to 09:45 (row 7): "08:30" spans two rows, "09:00" four.
    assert grid.hour_labels == [(2, 2, dt.time(8, 30)), (4, 4, dt.time(9))]


def test_cells_come_with_their_links_and_labels(clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    grid = calendar_grid(days=[dt.date(2026, 3, 3)], practitioner=lin)
    [block] = grid.blocks
    assert (block.href, block.title) == (reverse("scheduling:visit", args=[visit.pk]), f"10:00–11:00 {patient.full_name}")
    assert block.where == str(visit.room)
    cell = grid.free[0]
    assert cell.href.startswith(reverse("scheduling:visit_new") + "?start=") and f"practitioner={lin.pk}" in cell.href
    assert (cell.time, cell.label) == ("08:00", "Book Tue 03 Mar 08:00")


@pytest.mark.parametrize("query", ["date=9999-12-31", "date=0001-01-01&view=week", "date=9999-12-31&view=week"])
def test_a_date_at_the_end_of_time_is_refused_not_a_server_error(front_desk_client, query):
    response = front_desk_client.get(f"/scheduling/calendar/?{query}")
    assert response.status_code == 200


def test_calendar_cells_say_confirmed_arrived_and_shifted_in_words(front_desk_client, clinic, lin):
    def book(time):
        return visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
                          starts_at=at("2026-03-02", time), by=None)

    visit_confirm(visit=book("10:00"))
    visit_mark_arrived(visit=book("09:00"), by=None)
    Visit.objects.filter(pk=book("12:00").pk).update(shifted=True)
    html = front_desk_client.get(
        f"{reverse('scheduling:calendar')}?practitioner={lin.pk}&view=day&date=2026-03-02").content.decode()
    blocks = html.split('class="cal-visit')[1:]
    assert len(blocks) == 3
    assert sum("Confirmed by patient" in b for b in blocks) == 1
    assert sum("Arrived" in b for b in blocks) == 1
    assert sum("Shifted from the series" in b for b in blocks) == 1


@pytest.mark.parametrize("subject", ["practitioner", "room"])
def test_the_calendar_reads_visits_on_a_bounded_range_of_start_times(clinic, lin, subject):
    # Without a lower bound on starts_at, the index range of the visits query reaches back to
    # the first visit ever: years of history (issue 13).
    with CaptureQueriesContext(connection) as captured:
        whom = {"practitioner": lin} if subject == "practitioner" else {"room": clinic.rooms[0]}
        calendar_grid(days=[dt.date(2026, 3, 3)], **whom)
    [blocks_query] = [q["sql"] for q in captured if 'JOIN "patients_patient"' in q["sql"]]
    assert '"scheduling_visit"."starts_at" >=' in blocks_query


@pytest.mark.parametrize("view", ["day", "week"])
def test_names_and_reasons_on_the_calendar_are_escaped(front_desk_client, clinic, lin, view):
    patient = PatientFactory(first_name='<script>alert("x")</script>', last_name="O'Brien & Co")
    visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-03", "10:00"), by=None)
    Closure.objects.create(first_day=dt.date(2026, 3, 4), last_day=dt.date(2026, 3, 4), reason="<b>Flood</b>")
    html = front_desk_client.get(reverse("scheduling:calendar"),
                                 {"practitioner": lin.pk, "view": view, "date": "2026-03-03"}).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#x27;Brien &amp; Co" in html
    assert ("Closed: &lt;b&gt;Flood&lt;/b&gt;" in html) == (view == "week") and "<b>Flood" not in html
