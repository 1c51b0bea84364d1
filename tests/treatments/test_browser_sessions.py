"""An acupuncturist's day in a real browser: open today's visit, confirm the screening, record the
session, see the series move on and the outcome chart gain a point."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.clock import clinic_zone, local_datetime
from scheduling.models import Series, Visit
from tests.factories import acupuncturist_user, intake_patient
from tests.scheduling.factories import Clinic, practitioner
from tests.treatments.factories import record_session, saved_plan
from treatments.models import SessionRecord

# No time travel here: the browser keeps real time, and would drop a session cookie that the
# server had dated months away.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _series_with_a_visit_under_way(patient, who, clinic) -> Series:
    """Six weekly sessions, the first a week ago and the second started a few minutes ago.

    Written directly (not through scheduling.booking) so the test works at any hour: booking
    refuses times outside opening hours and in the past, and "a few minutes ago" may be either.
    """
    now = timezone.now()
    midnight = local_datetime(timezone.localdate(), dt.time.min, tz=clinic_zone(), fold=0)
    second_start = max(now - dt.timedelta(minutes=20), midnight)
    series = Series.objects.create(
        patient=patient, practitioner=who, appointment_type=clinic.treatment, sessions_planned=6, cadence_days=7,
        first_day=timezone.localdate(second_start - dt.timedelta(days=7)), preferred_time=dt.time(10),
    )
    for sequence in range(1, 7):
        starts = second_start + dt.timedelta(days=7 * (sequence - 2))
        Visit.objects.create(
            patient=patient, practitioner=who, room=clinic.rooms[0], appointment_type=clinic.treatment, series=series,
            sequence=sequence, starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
        )
    return series


def test_acupuncturist_records_todays_visit_and_sees_the_series_and_outcomes_move_on(live_server, page, login):
    clinic = Clinic()
    acu = acupuncturist_user(username="lin")
    lin = practitioner(user=acu, display_name="Lin Zhao")
    patient = intake_patient(concerns={"fine-lines": 7, "puffiness": 5}, severe_migraines=True)
    saved_plan(patient, by=acu)
    series = _series_with_a_visit_under_way(patient, lin, clinic)
    record_session(series.visits.get(sequence=1), by=acu, ratings={"fine-lines": 6, "puffiness": 5})

    login(acu)
    page.get_by_role("link", name="Today", exact=True).first.click()
    row = page.locator("#today-visits tbody tr", has_text=patient.full_name)
    expect(row).to_contain_text("2 of 6")
    expect(row).to_contain_text("severe migraines")
    row.get_by_role("link", name=f"Record session of {patient.full_name}").click()

    # The screening check comes first.
    expect(page.get_by_role("heading", name=f"Screening check · {patient.full_name}")).to_be_visible()
    page.get_by_role("button", name="Nothing has changed: record the session").click()

    # The record, prefilled from the last session.
    expect(page.locator("#session-progress")).to_have_text("session 2 of 6")
    expect(page.get_by_text("Prefilled from the last session")).to_be_visible()
    page.get_by_label("Fine lines", exact=True).fill("4")
    page.get_by_label("Puffiness", exact=True).fill("3")
    page.get_by_label("Bruising", exact=True).select_option("mild")
    page.get_by_label("Session notes").fill("Calm; <b>no</b> dizziness.")
    page.get_by_role("button", name="Save the session and complete the visit").click()

    expect(page.get_by_role("alert")).to_contain_text("Session 2 of 6 is done")
    expect(page.locator("#record-reactions")).to_contain_text("Bruising (mild)")
    expect(page.locator("#record-notes")).to_have_text("Calm; <b>no</b> dizziness.")
    assert Visit.objects.get(series=series, sequence=2).status == Visit.Status.COMPLETED
    assert SessionRecord.objects.filter(series=series).count() == 2

    # Outcomes: intake and both sessions on the chart, and the change from intake.
    page.get_by_role("link", name="Series outcomes").click()
    expect(page.locator("#sessions-done")).to_have_text("2 of 6")
    expect(page.locator("#outcome-chart .outcome-line[data-concern='fine-lines'] circle")).to_have_count(3)
    expect(page.locator("#outcome-table")).to_contain_text("-3 (better)")

    # Back on today's list the visit shows as recorded.
    page.get_by_role("link", name="Today", exact=True).first.click()
    expect(page.locator("#today-visits tbody tr", has_text=patient.full_name)).to_contain_text("Recorded")
