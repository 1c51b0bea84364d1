"""A front desk's day in a real browser: a mistaken arrival undone, a patient not treated after
all, a closure over a booked visit decided from the banner."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.closures import affected_visits_record
from scheduling.models import AffectedVisit, Closure, Visit
from tests.factories import PatientFactory, front_desk_user
from tests.scheduling.factories import Clinic, practitioner

# No time travel here: the browser keeps real time (see test_browser.py).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _visit_now(clinic, who, patient) -> Visit:
    """A visit that has just started today (written directly: no booking is "in the past" here)."""
    starts = timezone.now().replace(second=0, microsecond=0)
    return Visit.objects.create(patient=patient, practitioner=who, room=clinic.rooms[0],
                                appointment_type=clinic.treatment, starts_at=starts, ends_at=starts + dt.timedelta(hours=1))


def test_an_arrived_visit_is_never_stuck_undo_then_not_treated_with_a_reason(live_server, page, login):
    clinic = Clinic()
    visit = _visit_now(clinic, practitioner(display_name="Lin Zhao"), PatientFactory(first_name="Isla", last_name="Browning"))

    login(front_desk_user(username="desk"))
    page.goto(f"{live_server.url}/scheduling/visits/{visit.pk}/")
    page.get_by_role("button", name="Mark arrived").click()
    expect(page.locator("#visit-status")).to_have_text("Arrived")

    page.get_by_role("button", name="Undo arrival").click()
    expect(page.get_by_text("Arrival undone")).to_be_visible()
    expect(page.locator("#visit-status")).to_have_text("Booked")

    page.get_by_role("button", name="Mark arrived").click()
    page.get_by_role("button", name="Mark not treated").click()  # no reason yet
    expect(page.locator("[data-error-summary]")).to_contain_text("Give a reason")
    page.get_by_label("Why was the patient not treated?").fill("New screening: active skin infection")
    page.get_by_role("button", name="Mark not treated").click()

    expect(page.locator("#visit-status")).to_have_text("Not treated")
    expect(page.get_by_text("New screening: active skin infection")).to_be_visible()
    expect(page.get_by_role("button", name="Mark arrived")).to_have_count(0)


def test_a_closure_over_a_booked_visit_shows_a_banner_until_it_is_decided(live_server, page, login):
    clinic = Clinic()
    lin = practitioner(display_name="Lin Zhao")
    visit = _visit_now(clinic, lin, PatientFactory(first_name="Isla", last_name="Browning"))
    day = timezone.localdate()
    affected_visits_record(closure=Closure.objects.create(first_day=day, last_day=day, reason="Boiler repair"))

    login(front_desk_user(username="desk"))
    banner = page.locator("#decisions-banner")
    expect(banner).to_contain_text("1 booked visit")
    banner.get_by_role("link", name="Decide now").click()
    row = page.locator(f"#affected-{AffectedVisit.objects.get().pk}")
    expect(row).to_contain_text("Isla Browning")
    expect(row).to_contain_text("Boiler repair")
    row.get_by_label("Why it stays").fill("Lin opens for this one")
    row.get_by_role("button", name="Keep").click()

    expect(page.get_by_text("Nothing to decide")).to_be_visible()
    expect(page.locator("#decisions-banner")).to_have_count(0)
    assert AffectedVisit.objects.get(visit=visit).decision == "kept"
