"""The pre-visit health check in a real browser: the patient reports a pregnancy from the e-mail's
link; at the visit the acupuncturist's *Today* shows it and the session leaves out LI4 and SP6."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Screening
from scheduling.models import Reminder, Visit
from scheduling.reminders.outbox import reminders_dispatch
from scheduling.reminders.sending import reminders_send
from tests.factories import acupuncturist_user, intake_patient
from tests.scheduling.factories import Clinic, practitioner
from tests.test_browser_accessibility import blocking_violations
from tests.treatments.factories import codes, saved_plan
from treatments.services import plan_context

# Real time while the patient answers (the browser keeps it); the clock then moves on to the visit.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reported_pregnancy_reaches_today_and_the_session_leaves_out_li4_and_sp6(live_server, page, login, settings):
    settings.SITE_URL = live_server.url
    clinic = Clinic()
    acupuncturist = acupuncturist_user()
    lin = practitioner(user=acupuncturist, display_name="Lin Zhao")
    patient = intake_patient(concerns={"fine-lines": 7, "puffiness": 5})
    saved_plan(patient, by=acupuncturist)
    # In an hour (written directly: a booking would depend on the hour the test runs at).
    starts = (timezone.now() + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    visit = Visit.objects.create(
        patient=patient, practitioner=lin, room=clinic.rooms[0], appointment_type=clinic.treatment,
        starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
    )
    reminders_dispatch(publish=lambda ids: None)
    check = Reminder.objects.get(kind="health_check", visit=visit)
    assert reminders_send(reminder_ids=[check.pk]) == ["sent"]
    link = re.search(r"Has anything changed\? (\S+)", mail.outbox[0].body).group(1)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    expect(page.get_by_role("heading", name="Has anything changed since your last visit?")).to_be_visible()
    assert Screening.objects.filter(patient=patient).count() == 1  # opening the page did nothing
    assert blocking_violations(page) == []  # axe-core, at phone width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    pregnant = page.get_by_role("group", name=re.compile("Pregnant or trying to conceive"))
    expect(pregnant.get_by_label("No")).to_be_checked()  # last time's answer, to confirm or change
    pregnant.get_by_label("Yes").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("will go through your new answers with you at the visit")).to_be_visible()
    assert Screening.objects.latest_for(patient).source == Screening.Source.PATIENT_CHECK

    with time_machine.travel(starts + dt.timedelta(minutes=5), tick=True):
        login(acupuncturist)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/treatments/today/")
        row = page.locator("#today-visits tbody tr", has_text=patient.full_name)
        expect(row).to_contain_text("Reported by the patient")
        expect(row).to_contain_text("pregnant or trying to conceive")
        row.get_by_role("link", name=re.compile("Record session")).click()
        expect(page.get_by_text("Reported by the patient (health check): review at the visit.")).to_be_visible()
        page.get_by_role("button", name="Nothing has changed: record the session").click()
        expect(page.locator("#dropped")).to_contain_text("LI4 Hegu: never needled in pregnancy")
        expect(page.locator("#exclusions")).to_contain_text("LI4 Hegu: never needled in pregnancy")
        expect(page.locator("#exclusions")).to_contain_text("SP6")
        # Whatever the page offers of LI4 and SP6 is left unticked in the session's prefill.
        for box in page.get_by_role("checkbox", name=re.compile(r"^(LI4|SP6) ")).all():
            expect(box).not_to_be_checked()
    assert not {"LI4", "SP6"} & codes(plan_context(patient).suggest().items)
