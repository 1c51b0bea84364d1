"""The front desk's main flow in a real browser: book a series, see it, move one visit."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.clock import to_local
from scheduling.models import Series
from tests.factories import PatientFactory, front_desk_user
from tests.scheduling.factories import Clinic, practitioner

# No time travel here: the browser keeps real time, and would drop a session cookie that the
# server had dated months away.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_books_a_fortnightly_series_sees_it_on_the_calendar_and_moves_a_visit(live_server, page, login):
    Clinic()
    practitioner(display_name="Lin Zhao")
    patient = PatientFactory(first_name="Isla", last_name="Browning")
    desk = front_desk_user(username="desk")
    first_day = timezone.localdate() + dt.timedelta(days=7)

    login(desk)
    page.goto(f"{live_server.url}/scheduling/series/new/?patient={patient.pk}")
    page.get_by_label("Practitioner").select_option(label="Lin Zhao")
    page.get_by_label("Sessions").fill("10")
    page.get_by_label("How often").select_option(label="Every other week")
    page.get_by_label("First date").fill(first_day.isoformat())
    page.get_by_label("Preferred time (clinic time)").fill("10:00")
    page.get_by_role("button", name="Propose sessions").click()

    expect(page.locator("tbody tr[data-sequence]")).to_have_count(10)
    page.get_by_role("button", name="Book all 10 sessions").click()

    expect(page.get_by_text("Booked 10 sessions for Isla Browning.")).to_be_visible()
    expect(page.get_by_text("0 of 10 done")).to_be_visible()
    series = Series.objects.get(patient=patient)
    assert series.visits.count() == 10

    # The week of the first session, on Lin's calendar.
    page.get_by_role("link", name="Calendar", exact=True).first.click()
    page.get_by_label("Date", exact=True).fill(first_day.isoformat())
    page.get_by_label("View", exact=True).select_option("week")
    page.get_by_role("button", name="Show").click()
    block = page.locator(".cal-visit", has_text="Isla Browning")
    expect(block).to_have_count(1)
    expect(block).to_contain_text("10:00–11:00")
    expect(block).to_contain_text("1/10")

    # Open it and move it to the next day at 11:30; the rest of the series stays.
    block.click()
    new_day = first_day + dt.timedelta(days=1)
    page.get_by_label("New date").fill(new_day.isoformat())
    page.get_by_label("New time (clinic time)").fill("11:30")
    page.get_by_label("Only this visit").check()
    page.get_by_role("button", name="Move visit").click()
    expect(page.get_by_text("Visit moved.")).to_be_visible()

    first = series.visits.get(sequence=1)
    assert to_local(first.starts_at).date() == new_day and to_local(first.starts_at).strftime("%H:%M") == "11:30"
    assert to_local(series.visits.get(sequence=2).starts_at).date() == first_day + dt.timedelta(days=14)

    page.get_by_role("link", name="Calendar", exact=True).first.click()
    page.get_by_label("Date", exact=True).fill(new_day.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".cal-visit", has_text="Isla Browning")).to_contain_text("11:30–12:30")
