import pytest
from playwright.sync_api import expect

from tests.factories import acupuncturist_user, intake_patient
from treatments.models import Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_acupuncturist_reviews_adjusts_and_saves_a_plan(live_server, page, login):
    patient = intake_patient(concerns={"fine-lines": 7, "puffiness": 5}, pregnant_or_trying=True)
    login(acupuncturist_user())

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator("#treatment-plan")).to_contain_text("No treatment plan yet")
    page.get_by_role("link", name="Build the plan").click()

    # Review: the suggestion explains itself and shows what pregnancy rules out.
    expect(page.get_by_role("heading", name=f"New plan · {patient.full_name}")).to_be_visible()
    expect(page.locator("#exclusions")).to_contain_text("LI4 Hegu: never needled in pregnancy")
    expect(page.get_by_label("LI4 Hegu")).to_be_disabled()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    total = int(page.locator("#needle-total").inner_text())
    assert 40 <= total <= 70

    # Adjust: add a point, change a line pattern's needles and the retention; the total follows.
    gv20 = page.get_by_label("GV20 Baihui")
    if gv20.is_checked():
        gv20.uncheck()
        total -= 1
    gv20.check()
    expect(page.locator("#needle-total")).to_have_text(str(total + 1))
    page.get_by_label("Retention (minutes)").fill("24")
    page.get_by_role("button", name="Save as the current plan").click()

    expect(page.get_by_role("alert")).to_contain_text("saved as the patient's current plan")
    expect(page.locator("#plan-summary")).to_contain_text(f"{total + 1} needles")
    expect(page.locator("#plan-summary")).to_contain_text("24 minutes")
    expect(page.locator("#plan-items")).to_contain_text("GV20 Baihui")
    plan = Plan.objects.get(patient=patient)
    assert not plan.items.filter(point__code__in=["LI4", "SP6"]).exists()

    # A refused adjustment keeps the page and says why.
    page.get_by_role("link", name="Make a new plan").click()
    page.get_by_label("Retention (minutes)").fill("45")
    page.get_by_role("button", name="Save as the current plan").click()
    expect(page.locator("#plan-errors")).to_contain_text("Retention must be 20–30 minutes, not 45")
    assert Plan.objects.filter(patient=patient).count() == 1
