"""Online intake in a real browser: the front desk e-mails the form, the new patient fills it
from the link in the e-mail (on a phone-sized screen), and the front desk reviews it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from patients.models import Patient, Screening
from tests.factories import front_desk_user
from tests.patients.test_browser_intake import answer_screening
from tests.test_browser_accessibility import blocking_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_patient_completes_online_intake_and_the_front_desk_reviews_it(live_server, page, login, settings,
                                                                            eager):
    settings.SITE_URL = live_server.url
    login(front_desk_user())
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_role("link", name="E-mail an intake form").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_role("button", name="Send the intake form").click()
    expect(page.get_by_role("alert")).to_contain_text("on its way to ada@example.com")

    (invitation,) = mail.outbox
    link = re.search(r"Intake form: (\S+)", invitation.body).group(1)
    patient_page = page.context.browser.new_page(viewport={"width": 390, "height": 844})
    patient_page.goto(link)
    expect(patient_page.get_by_role("heading", name="Before your first visit")).to_be_visible()
    expect(patient_page.get_by_label("First name")).to_have_value("Ada")
    assert blocking_violations(patient_page) == []
    assert patient_page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    patient_page.get_by_label("Date of birth").fill("1985-12-10")
    patient_page.get_by_label("Phone", exact=True).fill("07700 900123")
    patient_page.get_by_label("Fine lines").fill("7")
    patient_page.get_by_role("button", name="Send my intake form").click()
    # Nothing answered yet: every problem at once, nothing saved.
    expect(patient_page.get_by_text("Answer Yes or No.").first).to_be_visible()
    expect(patient_page.get_by_text("Treatment cannot be booked without the patient's signed consent.").first).to_be_visible()
    assert Patient.objects.count() == 0
    assert blocking_violations(patient_page) == []

    answer_screening(patient_page, yes=("pregnant_or_trying",))
    patient_page.get_by_label("I have read the information about facial acupuncture and consent to treatment").check()
    patient_page.get_by_label("Send me appointment reminders by e-mail (optional)").check()
    patient_page.get_by_label("Type your full name to sign").fill("Ada Lovelace")
    patient_page.get_by_role("button", name="Send my intake form").click()
    expect(patient_page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert "We have your intake form" in mail.outbox[-1].subject
    patient = Patient.objects.get()
    assert patient.screenings.get().source == Screening.Source.PATIENT_INTAKE

    patient_page.goto(link)
    expect(patient_page.get_by_role("heading", name="This link has already been used")).to_be_visible()

    page.goto(f"{live_server.url}/scheduling/requests/")
    row = page.get_by_role("row").filter(has_text="Online intake to review")
    expect(row).to_contain_text("Ada Lovelace")
    row.get_by_role("link", name="check their answers").click()
    expect(page.locator("#screening")).to_contain_text("Reported by the patient (online intake): review at the visit")
    expect(page.locator("#screening")).to_contain_text("Pregnant or trying to conceive")
    page.go_back()
    page.get_by_role("button", name="Mark reviewed for Ada Lovelace").click()
    expect(page.get_by_text("No open requests.")).to_be_visible()
