"""axe-core (axe-playwright-python, which ships axe-core in its wheel: no network) over the main
pages as each role sees them: no serious or critical violation, and the skip link and the week
calendar work from the keyboard."""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import Visit
from tests.factories import acupuncturist_user, front_desk_user, intake_patient
from tests.scheduling.factories import Clinic, book_series, practitioner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}) {v['help']} at {[node['html'][:120] for node in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.fixture
def clinic_day():
    clinic = Clinic()
    lin = practitioner(display_name="Lin Zhao")
    patient = intake_patient(concerns={"fine-lines": 7})
    first = timezone.localdate() + dt.timedelta(days=1)
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day=first.isoformat(), sessions=6)
    return {"patient": patient, "practitioner": lin, "visit": Visit.objects.filter(series=series).first(), "day": first}


def test_main_pages_have_no_serious_or_critical_violations(live_server, page, login, clinic_day):
    patient, visit, day, lin = clinic_day["patient"], clinic_day["visit"], clinic_day["day"], clinic_day["practitioner"]
    page.goto(f"{live_server.url}/accounts/login/")
    found = blocking_violations(page)

    login(front_desk_user(username="desk"))
    calendar = f"/scheduling/calendar/?practitioner={lin.pk}&date={day:%Y-%m-%d}"
    for path in (
        "/", "/patients/", f"/patients/?q={patient.last_name}", f"/patients/{patient.pk}/", "/patients/new/",
        f"{calendar}&view=day", f"{calendar}&view=week", f"/scheduling/calendar/?practitioner=all&date={day:%Y-%m-%d}",
        f"/scheduling/visits/{visit.pk}/", "/scheduling/series/new/",
    ):
        page.goto(live_server.url + path)
        found += blocking_violations(page)

    page.context.clear_cookies()
    login(acupuncturist_user(username="acu"))
    for path in (f"/treatments/patients/{patient.pk}/plan/new/", f"/treatments/patients/{patient.pk}/plan/"):
        page.goto(live_server.url + path)
        found += blocking_violations(page)
    assert found == [], "\n".join(found)


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_main_content(live_server, page, login):
    login(front_desk_user(username="desk"))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_the_week_calendar_is_crossed_by_keyboard_day_by_day_not_slot_by_slot(live_server, page, login, clinic_day):
    login(front_desk_user(username="desk"))
    lin, day = clinic_day["practitioner"], clinic_day["day"]
    page.goto(f"{live_server.url}/scheduling/calendar/?practitioner={lin.pk}&date={day:%Y-%m-%d}&view=week")
    free = page.locator(".cal-free")
    assert free.count() > 100
    heads = page.locator(".cal-head a")
    expect(heads).to_have_count(7)
    heads.last.focus()
    page.keyboard.press("Tab")
    # Past the last day heading the keyboard reaches the booked visits, not the free cells.
    expect(page.locator(".cal-visit").first).to_be_focused()

    # A day's free slots are reached from its own page, where each is a link to book it.
    page.get_by_role("link", name=f"{day:%A %d %B}: open the day to book a free time").press("Enter")
    page.wait_for_url("**view=day**")
    page.locator(".cal-free").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/scheduling/visits/new/**")


def test_the_all_practitioners_day_is_crossed_by_keyboard_practitioner_by_practitioner(live_server, page, login, clinic_day):
    practitioner(display_name="Sara Okafor")
    login(front_desk_user(username="desk"))
    day = clinic_day["day"]
    page.goto(f"{live_server.url}/scheduling/calendar/?practitioner=all&date={day:%Y-%m-%d}")
    assert page.locator(".cal-free").count() > 40
    heads = page.locator(".cal-head a")
    expect(heads).to_have_count(2)
    heads.last.focus()
    page.keyboard.press("Tab")
    # Past the last practitioner's heading the keyboard reaches the booked visits, not the free cells.
    expect(page.locator(".cal-visit").first).to_be_focused()
    heads.first.press("Enter")
    page.wait_for_url(f"**practitioner={clinic_day['practitioner'].pk}&view=day**")
    page.locator(".cal-free").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/scheduling/visits/new/**")
