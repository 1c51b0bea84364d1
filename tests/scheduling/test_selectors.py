"""Reads behind the scheduling pages (``scheduling.selectors``): the front desk's day."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.models import MaintenanceSchedule, PatientRequest, Reminder, Visit
from scheduling.selectors import desk_day
from scheduling.visit_status import visit_cancel, visit_confirm, visit_mark_arrived
from tests.factories import PatientFactory
from tests.reminders.factories import book_visit
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")
TODAY = dt.date(2026, 3, 2)  # the frozen "now" is 08:00 on this Monday


@pytest.fixture
def day(clinic, lin, sara):
    """Today's visits for two practitioners, in each state the desk tells apart, and one tomorrow."""
    visits = {
        "booked": book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-02", "11:00")),
        "confirmed": book_visit(clinic=clinic, practitioner=sara, starts=("2026-03-02", "10:00")),
        "arrived": book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-02", "09:00")),
        "late": book_visit(clinic=clinic, practitioner=sara, starts=("2026-03-02", "15:00")),
        "tomorrow": book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-03", "09:00")),
    }
    visit_confirm(visit=visits["confirmed"])
    visit_mark_arrived(visit=visits["arrived"], by=None)
    visit_cancel(visit=visits["late"], reason="Unwell", by=None, cancelled_by=Visit.CancelledBy.PATIENT)
    return visits


def test_the_day_holds_every_practitioners_visits_of_today_in_time_order(day):
    result = desk_day(today=TODAY)
    assert [v.pk for v in result["visits"]] == [day[k].pk for k in ("arrived", "confirmed", "booked", "late")]
    assert [v.pk for v in result["late_cancels"]] == [day["late"].pk]


def test_the_day_holds_todays_patient_actions_and_the_counts(day, frozen):
    old = PatientRequest.objects.create(kind="new_time", patient=day["booked"].patient, visit=day["booked"])
    PatientRequest.objects.filter(pk=old.pk).update(created_at=at("2026-03-01", "18:00"))
    new = PatientRequest.objects.create(kind="confirmed", patient=day["confirmed"].patient, visit=day["confirmed"])
    Reminder.objects.filter(visit=day["tomorrow"]).update(state=Reminder.State.FAILED)
    MaintenanceSchedule.objects.create(patient=PatientFactory(), since=dt.date(2026, 1, 1), due_on=TODAY)
    result = desk_day(today=TODAY)
    assert [r.pk for r in result["requests"]] == [new.pk]
    assert (result["failed_reminders"], result["maintenance_due"]) == (1, 1)


def test_the_home_page_shows_the_day_with_each_visits_state(front_desk_client, day):
    html = front_desk_client.get(reverse("home")).content.decode()
    table = html[html.index('id="desk-day-visits"'):html.index("</table>", html.index('id="desk-day-visits"'))]
    assert table.index("09:00") < table.index("10:00") < table.index("11:00") < table.index("15:00")
    for state in ("Arrived", "Confirmed by patient", "Booked", "Cancelled by the patient (late)"):
        assert state in table
    assert day["tomorrow"].patient.full_name not in table
    late = html[html.index('id="desk-day-late"'):]
    assert day["late"].patient.full_name in late[:late.index("</ul>")]


@pytest.mark.parametrize("visits_today", [1, 60])
def test_the_home_page_runs_the_same_queries_however_busy_the_day(
    front_desk_client, clinic, lin, sara, visits_today, django_assert_num_queries
):
    for i in range(visits_today):
        start = at("2026-03-02", "09:00") + dt.timedelta(minutes=10 * i)
        patient = PatientFactory()
        Visit.objects.create(patient=patient, practitioner=(lin, sara)[i % 2], room=clinic.rooms[i % 2],
                             appointment_type=clinic.treatment, starts_at=start, ends_at=start + dt.timedelta(minutes=10))
        PatientRequest.objects.create(kind="confirmed", patient=patient)
    # Signed-in page (3) + the closure banner (1) + the day panel (5).
    with django_assert_num_queries(9):
        response = front_desk_client.get(reverse("home"))
    assert response.content.decode().count("Booked</span>") == visits_today
