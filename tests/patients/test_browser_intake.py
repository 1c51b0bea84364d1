import pytest
from playwright.sync_api import expect

from patients.models import Screening
from tests.factories import front_desk_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_screening(page, *, yes: tuple[str, ...] = ()) -> None:
    """Answers every safety question, each in its own group of two radios (Yes for ``yes``)."""
    for name in Screening.FLAG_FIELDS:
        question = str(Screening._meta.get_field(name).verbose_name)
        group = page.get_by_role("group", name=question[:1].upper() + question[1:])
        group.get_by_label("Yes" if name in yes else "No", exact=True).check()


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
    answer_screening(page, yes=("bleeding_risk",))
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


def _submit_intake(page, *, email: str, consent: bool) -> None:
    """Ada Lovelace, born in 2099, with one concern."""
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Date of birth").fill("2099-01-01")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Fine lines").fill("7")
    answer_screening(page)
    if consent:
        page.get_by_label("The patient has read and signed the consent to treatment").check()
    page.get_by_role("button", name="Register patient").click()


def test_intake_refuses_a_future_birth_date_in_the_browser(live_server, page, login):
    login(front_desk_user())
    page.goto(f"{live_server.url}/patients/new/")
    _submit_intake(page, email="ada@example.com", consent=True)
    # Beside the field (the summary at the top repeats it, prefixed with the field's name).
    expect(page.get_by_text("The date of birth cannot be in the future.", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing has been saved yet")).to_be_visible()


def test_intake_shows_a_missing_consent_with_a_bad_birth_date_and_e_mail_at_once(live_server, page, login):
    login(front_desk_user())
    page.goto(f"{live_server.url}/patients/new/")
    _submit_intake(page, email="ada@@example", consent=False)

    summary = page.locator("[data-error-summary]")
    expect(summary.locator("li")).to_have_count(3)
    expect(summary).to_contain_text("signed consent")
    summary.get_by_role("link", name="E-mail").click()
    expect(page.get_by_label("E-mail", exact=True)).to_be_in_viewport()
    assert page.url.endswith("#id_p-email")
