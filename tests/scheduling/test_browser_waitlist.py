"""The waiting list in a real browser: a patient added with a window, a visit cancelled, the freed
time offered to that patient on the cancelled visit's page, and booked with one click."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from scheduling.booking import visit_book
from scheduling.clock import local_datetime, today
from scheduling.models import Visit, WaitlistEntry
from tests.factories import PatientFactory, front_desk_user
from tests.scheduling.factories import Clinic, practitioner

# No time travel here: the browser keeps real time (see test_browser.py).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cancelled_time_is_offered_to_the_waiting_patient_and_booked(live_server, page, login):
    clinic = Clinic()
    lin = practitioner(display_name="Lin Zhao")
    isla = PatientFactory(first_name="Isla", last_name="Browning", date_of_birth=dt.date(1990, 5, 6))
    day = today() + dt.timedelta(days=6)
    visit = visit_book(patient=PatientFactory(first_name="Amy", last_name="Hart"), practitioner=lin,
                       appointment_type=clinic.treatment, starts_at=local_datetime(day, dt.time(10)), by=None)
    login(front_desk_user(username="desk"))

    page.get_by_role("link", name="Waiting list").first.click()
    picker = page.get_by_role("combobox", name="Patient")
    picker.fill("browning")
    options = page.get_by_role("listbox", name="Matching patients").get_by_role("option")
    expect(options).to_have_count(1)
    options.first.click()
    expect(picker).to_have_value(re.compile("^Browning, Isla"))
    page.get_by_label("Practitioner").select_option(label="Lin Zhao")
    page.get_by_label("Type").select_option(label="Treatment (60 min)")
    page.get_by_label("Starting at or after (clinic time)").fill("09:00")
    page.get_by_label("Ending by (clinic time)").fill("12:00")
    page.get_by_role("button", name="Add to the waiting list").click()
    expect(page.get_by_text("Isla Browning is on the waiting list for Lin Zhao.")).to_be_visible()
    assert WaitlistEntry.objects.get().patient == isla

    page.goto(f"{live_server.url}/scheduling/visits/{visit.pk}/")
    page.get_by_label("Reason for cancelling").fill("Flu")
    page.get_by_role("button", name="Cancel visit").click()
    offers = page.locator("#freed-offers")
    expect(offers).to_contain_text("This freed time suits waiting patients")
    expect(offers).to_contain_text("Isla Browning")

    offers.get_by_role("button", name="Book Isla Browning").click()
    expect(page.get_by_text(f"Booked Isla Browning on {day:%a %d %b %Y} 10:00.")).to_be_visible()
    booked = Visit.objects.get(patient=isla)
    assert (booked.status, booked.starts_at) == ("booked", visit.starts_at)
    assert WaitlistEntry.objects.get().status == "booked"
