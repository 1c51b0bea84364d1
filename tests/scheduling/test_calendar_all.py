"""The all-practitioners day in the calendar: one column per practitioner, each visit in its
practitioner's column with its state in words, each one's free time a link to book with them, and
a fixed number of queries however many practitioners and visits."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.booking import visit_book
from scheduling.calendar import calendar_day_all
from scheduling.models import TimeOff, Visit
from scheduling.visit_status import visit_confirm, visit_mark_arrived
from tests.factories import PatientFactory
from tests.scheduling.factories import at, practitioner

pytestmark = pytest.mark.usefixtures("frozen")
DAY = dt.date(2026, 3, 2)  # the frozen "now" is 08:00 on this Monday
URL = f"{reverse('scheduling:calendar')}?practitioner=all&date=2026-03-02"


def _book(clinic, who, time, **kwargs):
    return visit_book(patient=PatientFactory(), practitioner=who, appointment_type=clinic.treatment,
                      starts_at=at("2026-03-02", time), by=None, **kwargs)


def test_each_practitioner_has_a_column_with_their_visits_and_free_time(clinic, lin, sara):
    lins, saras = _book(clinic, lin, "10:00"), _book(clinic, sara, "11:00")
    TimeOff.objects.create(practitioner=sara, starts_at=at("2026-03-02", "14:00"), ends_at=at("2026-03-02", "16:00"))

    grid = calendar_day_all(day=DAY)

    columns = {p: column for column, p, _ in grid.practitioner_columns}
    assert set(columns) == {lin, sara}
    assert {(b.visit, b.column) for b in grid.blocks} == {(lins, columns[lin]), (saras, columns[sara])}
    free = {(cell.column, cell.starts_at.strftime("%H:%M")) for cell in grid.free}
    assert (columns[lin], "11:00") in free and (columns[sara], "11:00") not in free
    assert (columns[sara], "10:00") in free and (columns[lin], "10:00") not in free
    assert (columns[lin], "14:00") in free and (columns[sara], "14:00") not in free  # Sara's time off


def test_when_every_room_is_taken_nobody_has_free_time_then(clinic, lin, sara):
    third = practitioner(display_name="Tom Reyes")
    _book(clinic, lin, "10:00")
    _book(clinic, sara, "10:00")  # both rooms of the clinic are taken at 10:00

    grid = calendar_day_all(day=DAY)

    column = next(c for c, p, _ in grid.practitioner_columns if p == third)
    times = {cell.starts_at.strftime("%H:%M") for cell in grid.free if cell.column == column}
    assert "10:00" not in times and "11:00" in times


def test_the_page_shows_confirmed_arrived_in_treatment_and_shifted_and_links_free_time(front_desk_client, clinic, lin, sara):
    visit_confirm(visit=_book(clinic, lin, "10:00"))
    visit_mark_arrived(visit=_book(clinic, sara, "09:00"), by=None)
    in_treatment = _book(clinic, lin, "15:00")
    Visit.objects.filter(pk=in_treatment.pk).update(status="arrived", treatment_started_at=at("2026-03-02", "08:05"))
    Visit.objects.filter(pk=_book(clinic, sara, "12:00").pk).update(shifted=True)

    html = front_desk_client.get(URL).content.decode()

    assert "All practitioners" in html and "Lin Zhao" in html and "Sara Okafor" in html
    blocks = html.split('class="cal-visit')[1:]
    assert len(blocks) == 4
    for words in ("Confirmed by patient", "Arrived", "In treatment", "Shifted from the series"):
        assert sum(words in block for block in blocks) == 1, words
    book = reverse("scheduling:visit_new")
    assert f"{book}?start=2026-03-02T13%3A00%3A00%2B00%3A00&amp;practitioner={sara.pk}" in html
    assert 'aria-label="Book Mon 02 Mar 13:00 with Sara Okafor"' in html
    # The keyboard skips the free cells: a practitioner's heading opens their day to book.
    assert 'tabindex="-1"' in html.split('class="cal-free"', 1)[1].split(">", 1)[0]
    assert f'href="?practitioner={lin.pk}&view=day&date=2026-03-02"' in html


def test_the_all_practitioners_day_is_a_fixed_number_of_queries(front_desk_client, clinic, lin, sara,
                                                               django_assert_num_queries):
    _book(clinic, lin, "10:00")
    front_desk_client.get(URL)  # the process reads the timetable (scheduling.timetable) once
    with django_assert_num_queries(10):
        assert front_desk_client.get(URL).status_code == 200
    for n in range(4):
        extra = practitioner(display_name=f"Extra {n}")
        for hour in (9 + n, 14 + n):
            _book(clinic, extra, f"{hour:02d}:00")
        TimeOff.objects.create(practitioner=extra, starts_at=at("2026-03-02", "18:00"), ends_at=at("2026-03-02", "19:00"))
    front_desk_client.get(URL)  # the timetable changed: read again once
    with django_assert_num_queries(10):
        html = front_desk_client.get(URL).content.decode()
    assert html.count('class="cal-visit') == 9


def test_the_home_page_link_opens_the_all_practitioners_day(front_desk_client, clinic, lin, sara):
    html = front_desk_client.get(reverse("home")).content.decode()
    assert "practitioner=all" in html
    response = front_desk_client.get(f"{reverse('scheduling:calendar')}?view=day&practitioner=all")
    assert response.context["everyone"] and response.context["grid"].practitioners == [lin, sara]
