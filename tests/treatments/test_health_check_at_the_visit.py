"""What the acupuncturist sees of the patient's pre-visit health check: the patient's new
screening flagged on *Today* against the visit, the session check starting from it, and plans and
sessions going by it (LI4 and SP6 left out for a pregnancy)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import Screening
from scheduling.models import Reminder
from scheduling.reminders.outbox import reminders_dispatch
from scheduling.reminders.tokens import link_token
from tests.factories import screening_post
from tests.scheduling.factories import at
from tests.treatments.factories import codes
from treatments.services import plan_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_visit(series, traveller):
    """Monday 9 March at 10:00; its health check went out on Friday 6 March at 09:00."""
    traveller.move_to(at("2026-03-06", "09:00"))
    reminders_dispatch(publish=lambda ids: None)
    return series.visits.get(sequence=2)


def answer_check(visit, **answers):
    reminder = Reminder.objects.get(kind="health_check", visit=visit)
    token = link_token(reminder=reminder, action="health_check")
    response = Client().post(reverse("links:health_check", kwargs={"token": token}), screening_post("h", **answers))
    assert response.status_code == 200


@pytest.fixture
def at_the_visit(client, acupuncturist, traveller):
    """The acupuncturist signed in on the morning of Monday 9 March (a session of a week ago
    would have ended)."""
    def signed_in(time: str = "09:00") -> Client:
        traveller.move_to(at("2026-03-09", time))
        client.force_login(acupuncturist)
        return client
    return signed_in


def today_row(client, visit) -> str:
    page = client.get(reverse("treatments:today")).content.decode()
    start = page.index(reverse("patients:detail", args=[visit.patient_id]))
    return page[start:page.index("</tr>", start)]


def test_a_reported_pregnancy_shows_on_today_and_the_session_leaves_out_li4_and_sp6(
    second_visit, patient, at_the_visit
):
    answer_check(second_visit, pregnant_or_trying=True)
    acupuncturist_client = at_the_visit("10:05")
    row = today_row(acupuncturist_client, second_visit)
    assert "Reported by the patient" in row and "pregnant or trying to conceive" in row

    check = acupuncturist_client.get(reverse("treatments:session_new", args=[second_visit.pk])).content.decode()
    assert "Reported by the patient (health check): review at the visit" in check
    record = acupuncturist_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Reported by the patient (health check): review at the visit" in record
    latest = Screening.objects.latest_for(patient)
    assert latest.source == "patient_check"
    response = acupuncturist_client.post(
        reverse("treatments:session_screening", args=[second_visit.pk]), {"confirm": "1", "screening": latest.pk}
    )
    record_page = acupuncturist_client.get(response.url).content.decode()
    assert "LI4 Hegu: never needled in pregnancy" in record_page
    assert "Reported by the patient (health check)" in record_page
    new_plan = acupuncturist_client.get(reverse("treatments:plan_new", args=[patient.pk])).content.decode()
    assert "Reported by the patient (health check)" in new_plan
    assert not re.search(r'name="point_(LI4|SP6)"[^>]*\bchecked', new_plan)
    assert not {"LI4", "SP6"} & codes(plan_context(patient).suggest().items)


def test_nothing_changed_shows_on_today_as_confirmed(second_visit, at_the_visit):
    answer_check(second_visit)
    row = today_row(at_the_visit(), second_visit)
    assert "the patient confirmed nothing has changed" in row and "Reported by the patient" not in row


def test_a_staff_screening_is_not_flagged(second_visit, at_the_visit):
    row = today_row(at_the_visit(), second_visit)
    assert "Reported by the patient" not in row and "Health check" not in row
