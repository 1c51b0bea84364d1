import pytest
from playwright.sync_api import expect

from tests.factories import front_desk_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_registers_finds_and_reviews_a_patient(live_server, page, login):
    login(front_desk_user())

    page.get_by_role("link", name="New patient", exact=True).click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Date of birth").fill("1985-12-10")
    page.get_by_label("E-mail", exact=True).fill("ada@example.com")
    page.get_by_label("Phone", exact=True).fill("07700 900123")
    page.get_by_label("The patient agrees to receive appointment reminders by e-mail").check()
    page.get_by_label("Fine lines").fill("7")
    page.get_by_label("Puffiness").fill("4")
    page.get_by_label("Bleeding disorder, or anticoagulant/antiplatelet medication").check()
    page.get_by_label("Current medications").fill("Warfarin 5 mg")
    page.get_by_label("The patient has read and signed the consent to treatment").check()
    page.get_by_role("button", name="Register patient").click()

    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Ada Lovelace is registered")

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Name, e-mail, phone or date of birth").fill("07700 900123")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Lovelace, Ada").click()

    concerns = page.locator("#concerns")
    expect(concerns).to_contain_text("Fine lines")
    expect(concerns).to_contain_text("7/10")
    expect(concerns).to_contain_text("Puffiness")
    expect(page.locator("#screening")).to_contain_text("Bleeding disorder, or anticoagulant/antiplatelet medication")
    expect(page.locator("#screening")).to_contain_text("Warfarin 5 mg")


def test_intake_refuses_a_future_birth_date_in_the_browser(live_server, page, login):
    login(front_desk_user())
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Date of birth").fill("2099-01-01")
    page.get_by_label("E-mail", exact=True).fill("ada@example.com")
    page.get_by_label("Fine lines").fill("7")
    page.get_by_label("The patient has read and signed the consent to treatment").check()
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_text("The date of birth cannot be in the future.")).to_be_visible()
    expect(page.get_by_text("Nothing has been saved yet")).to_be_visible()
