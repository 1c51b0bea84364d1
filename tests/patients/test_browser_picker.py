"""The patient picker in a real browser: found by typing, chosen with the keyboard alone."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import Series
from tests.factories import PatientFactory, front_desk_user
from tests.scheduling.factories import Clinic, practitioner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_finds_the_patient_by_typing_and_chooses_with_the_keyboard(live_server, page, login):
    Clinic()
    practitioner(display_name="Lin Zhao")
    PatientFactory(first_name="Isla", last_name="Browne", date_of_birth=dt.date(1980, 1, 1))
    isla = PatientFactory(first_name="Isla", last_name="Browning", date_of_birth=dt.date(1990, 5, 6))
    login(front_desk_user(username="desk"))
    page.goto(f"{live_server.url}/scheduling/series/new/")

    picker = page.get_by_role("combobox", name="Patient")
    picker.fill("brown")
    options = page.get_by_role("listbox", name="Matching patients").get_by_role("option")
    expect(options).to_have_count(2)
    picker.press("ArrowDown")
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(picker).to_have_value("Browning, Isla · 06 May 1990 · " + isla.email)

    page.get_by_label("Practitioner").select_option(label="Lin Zhao")
    page.get_by_label("First date").fill((timezone.localdate() + dt.timedelta(days=7)).isoformat())
    page.get_by_label("Preferred time (clinic time)").fill("10:00")
    page.get_by_label("Sessions").fill("6")
    page.get_by_role("button", name="Propose sessions").click()
    page.get_by_role("button", name="Book all 6 sessions").click()
    expect(page.get_by_text("Booked 6 sessions for Isla Browning.")).to_be_visible()
    assert Series.objects.get().patient == isla
