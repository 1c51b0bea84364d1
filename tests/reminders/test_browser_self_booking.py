"""A patient books their maintenance visit from the reminder e-mail in a real browser (on a phone's
width, checked with axe-core), and the front desk finds it in the calendar with its reminder waiting."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.clock import local_datetime, to_local
from scheduling.maintenance import maintenance_restart
from scheduling.models import AppointmentType, PatientRequest, Reminder, Visit
from scheduling.reminders.sending import reminders_send
from tests.factories import PatientFactory, front_desk_user
from tests.scheduling.factories import Clinic, practitioner
from tests.test_browser_accessibility import blocking_violations

# No time travel: the browser keeps real time.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_picks_a_maintenance_time_from_the_email_and_the_desk_sees_it(live_server, page, settings, login):
    settings.SITE_URL = live_server.url
    clinic = Clinic()
    lin = practitioner(display_name="Lin Zhao")
    patient = PatientFactory(first_name="Isla")
    # Their course with Lin ended four weeks ago: maintenance is due in a week (the clinic's 5).
    today = timezone.localdate()
    last = local_datetime(today - dt.timedelta(weeks=4), dt.time(10))
    Visit.objects.create(patient=patient, practitioner=lin, room=clinic.rooms[0], appointment_type=clinic.treatment,
                         starts_at=last, ends_at=last + dt.timedelta(hours=1), status=Visit.Status.COMPLETED)
    with transaction.atomic():
        maintenance_restart(patient_id=patient.pk, day=last.date())
    reminder = Reminder.objects.filter(kind=Reminder.Kind.MAINTENANCE_DUE).order_by("due_at").first()
    assert reminders_send(reminder_ids=[reminder.pk]) == ["sent"]
    link = re.search(r"Choose a time for it online: (\S+)", mail.outbox[0].body).group(1)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    expect(page.get_by_role("heading", name="Book your maintenance visit")).to_be_visible()
    found = blocking_violations(page)  # labelled, keyboard-usable, on a phone's width
    assert not Visit.objects.filter(appointment_type__kind=AppointmentType.Kind.MAINTENANCE).exists()
    page.locator("input[name=starts_at]").first.check()
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_role("heading", name="Your maintenance visit is booked")).to_be_visible()
    found += blocking_violations(page)
    assert found == [], "\n".join(found)

    visit = Visit.objects.get(appointment_type__kind=AppointmentType.Kind.MAINTENANCE)
    assert (visit.patient_id, visit.practitioner_id) == (patient.pk, lin.pk)
    assert Reminder.objects.filter(visit=visit, kind=Reminder.Kind.VISIT_UPCOMING, state="pending").exists()
    assert PatientRequest.objects.filter(kind="booked", patient=patient).exists()
    page.goto(link)  # the link did its job
    expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()

    page.set_viewport_size({"width": 1280, "height": 900})
    login(front_desk_user(username="desk"))
    local = to_local(visit.starts_at)
    page.goto(f"{live_server.url}{reverse('scheduling:calendar')}?practitioner={lin.pk}&view=day&date={local.date()}")
    expect(page.get_by_text(patient.full_name).first).to_be_visible()
    page.goto(f"{live_server.url}{reverse('scheduling:patient', args=[patient.pk])}")
    reminders = page.get_by_role("table", name="Reminder e-mails")
    expect(reminders.get_by_role("row").filter(has_text="Upcoming visit").filter(has_text="Waiting")).to_have_count(1)
    expect(page.get_by_role("table", name="What the patient did online")).to_contain_text("Booked online")
