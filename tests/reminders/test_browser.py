"""A patient's side in a real browser: open the confirm link from the e-mail, press the button."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.clock import local_datetime
from scheduling.models import Reminder, Visit
from scheduling.reminders.sending import reminders_send
from tests.factories import PatientFactory
from tests.reminders.factories import book_visit
from tests.scheduling.factories import Clinic, practitioner

# No time travel: the browser keeps real time.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_confirms_the_visit_from_the_reminder_email(live_server, page, settings):
    settings.SITE_URL = live_server.url
    clinic = Clinic()
    lin = practitioner(display_name="Lin Zhao")
    patient = PatientFactory(first_name="Isla")
    # Tomorrow at 10:00: less than 48 hours away, so the reminder is due at once.
    starts = local_datetime(timezone.localdate() + dt.timedelta(days=1), dt.time(10))
    visit = book_visit(clinic=clinic, practitioner=lin, starts=starts, patient=patient)
    reminder = Reminder.objects.get(visit=visit)
    assert reminders_send(reminder_ids=[reminder.pk]) == ["sent"]
    confirm = re.search(r"Confirm:\s+(\S+)", mail.outbox[0].body).group(1)

    page.goto(confirm)
    expect(page.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    expect(page.get_by_text("with Lin Zhao")).to_be_visible()
    assert Visit.objects.get(pk=visit.pk).confirmed_at is None  # opening the page did nothing
    page.get_by_role("button", name="Yes, I am coming").click()
    expect(page.get_by_text("Your visit is confirmed.")).to_be_visible()
    assert Visit.objects.get(pk=visit.pk).confirmed_at is not None

    page.goto(confirm)
    expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()
