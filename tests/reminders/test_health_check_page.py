"""The health-check page behind the link (``scheduling/health_check_views.py``): GET shows the
questions prefilled and changes nothing, POST records the answer once; an altered, expired,
reused or foreign link changes nothing; the front desk sees the answer, urgent when it blocks."""

import datetime as dt

import pytest
from django.core import signing
from django.urls import reverse

from clinic.celery import app
from patients.models import Screening
from scheduling.models import LinkUse, PatientRequest, Reminder
from scheduling.reminders.outbox import reminders_dispatch
from scheduling.reminders.tokens import SALT, link_token
from staff.models import AuditEvent
from tests.factories import PatientFactory, ScreeningFactory, screening_post
from tests.reminders.factories import book_visit
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def check(clinic, lin, frozen):
    patient = PatientFactory(first_name="Ada")
    ScreeningFactory(patient=patient, medications="Vitamin D", filler_on=dt.date(2025, 11, 3), filler_areas=["nasolabial"])
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"), patient=patient)
    frozen.move_to(at("2026-03-02", "09:00"))
    reminders_dispatch(publish=lambda ids: None)
    return Reminder.objects.get(kind="health_check", visit=visit)


def url(reminder, action="health_check"):
    return reverse("links:health_check", kwargs={"token": link_token(reminder=reminder, action=action)})


def as_before(**changes) -> dict:
    """The page's POST with last time's answers (filler on 3 Nov 2025, nasolabial folds), then ``changes``."""
    data = screening_post("h", filler_on="2025-11-03", filler_areas="nasolabial", medications="Vitamin D")
    return data | screening_post("h", **changes) if changes else data


def nothing_happened(patient) -> bool:
    return (
        not LinkUse.objects.exists() and not PatientRequest.objects.exists()
        and Screening.objects.filter(patient=patient).count() == 1
    )


def test_opening_the_link_shows_the_questions_prefilled_and_changes_nothing(client, check):
    response = client.get(url(check))
    page = response.content.decode()
    assert response.status_code == 200 and 'method="post"' in page and "csrfmiddlewaretoken" in page
    assert "Has anything changed since your last visit?" in page and "Thursday 5 March 2026 at 10:00" in page
    # Each question is an explicit Yes/No, pre-selected to last time's answer.
    assert 'name="h-pregnant_or_trying" value="no"' in page and "checked" in page
    assert 'value="Vitamin D"' not in page and "Vitamin D" in page  # in its textarea
    assert 'value="2025-11-03"' in page
    assert "Acuclinic" in page  # the clinic's name and contact
    assert response["Cache-Control"].startswith("max-age=0")
    assert nothing_happened(check.patient)
    assert AuditEvent.objects.filter(action="view", patient_id=check.patient_id, object_type="patients.screening",
                                     summary="health check page (the patient's e-mail link)").exists()


@pytest.fixture
def eager():
    """Tasks run in this process when published (the after-commit callbacks still decide when)."""
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield
    app.conf.task_always_eager = previous


def test_sending_the_answers_unchanged_confirms_and_emails_the_patient(
    client, check, mailoutbox, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(check), as_before())
    assert response.status_code == 200 and b"Nothing has changed" in response.content
    assert PatientRequest.objects.get().kind == "health_confirmed"
    assert Screening.objects.filter(patient=check.patient).count() == 1
    (receipt,) = mailoutbox  # sent by the task queued after the commit
    assert receipt.to == [check.patient.email] and "Nothing has changed" in receipt.body


def test_a_reported_pregnancy_is_a_new_screening_from_the_patient(client, check):
    response = client.post(url(check), as_before(pregnant_or_trying=True))
    assert response.status_code == 200 and b"will go through your new answers with you" in response.content
    latest = Screening.objects.latest_for(check.patient)
    assert latest.pregnant_or_trying and latest.source == "patient_check"
    assert PatientRequest.objects.get().kind == "health_changed"


@pytest.mark.parametrize("bad, message", [
    ({"h-epilepsy": None}, "Answer Yes or No."),
    ({"h-filler_on": "2026-02-25", "h-filler_areas": None}, "Tick the treated areas so that they can be avoided."),
    ({"h-botox_on": "2026-03-20", "h-botox_areas": "forehead"}, "This date cannot be in the future."),
])
def test_bad_answers_get_the_staff_forms_messages_and_change_nothing(client, check, bad, message):
    data = {key: value for key, value in (as_before() | bad).items() if value is not None}
    response = client.post(url(check), data)
    page = response.content.decode()
    assert response.status_code == 400 and message in page and "alert-link" in page  # with the summary
    assert nothing_happened(check.patient)
    assert client.get(url(check)).status_code == 200  # the link still works


def test_a_blocking_answer_tells_the_patient_and_flags_the_front_desk(client, check, front_desk_client):
    response = client.post(url(check), as_before(active_skin_infection=True))
    assert b"someone from the clinic will contact you before your visit" in response.content
    request = PatientRequest.objects.get()
    assert request.kind == "health_blocked"
    PatientRequest.objects.create(kind="new_time", patient=check.patient, visit=check.visit)  # newer, not urgent
    listing = front_desk_client.get(reverse("scheduling:requests")).content.decode()
    assert listing.index("Urgent") < listing.index("treatment blocked") < listing.index("Another time for a visit")
    home = front_desk_client.get(reverse("home")).content.decode()
    day = home[home.index('id="desk-day-requests"'):]
    assert day.index("Urgent") < day.index("Health check: treatment blocked") < day.index("Another time")


def test_the_answer_is_on_the_patients_timeline(client, check, front_desk_client):
    client.post(url(check), as_before())
    page = front_desk_client.get(reverse("scheduling:patient", args=[check.patient_id])).content.decode()
    timeline = page[page.index('id="patient-requests"'):]
    assert "Health check: nothing has changed" in timeline


def test_a_reused_link_changes_nothing(client, check):
    client.post(url(check), as_before())
    again = client.post(url(check), as_before(pregnant_or_trying=True))
    assert again.status_code == 410 and b"already been used" in again.content
    assert client.get(url(check)).status_code == 410
    assert PatientRequest.objects.count() == 1 and not Screening.objects.latest_for(check.patient).pregnant_or_trying


def test_an_altered_link_changes_nothing(client, check):
    token = link_token(reminder=check, action="health_check")
    response = client.post(reverse("links:health_check", kwargs={"token": token[:-2] + "xx"}), as_before())
    assert response.status_code == 400 and b"does not work" in response.content
    # Signed again for another patient's visit: still refused.
    other = signing.dumps({"r": check.pk, "p": check.patient_id + 1, "s": check.visit_id, "a": "health_check"},
                          salt=SALT, compress=True)
    assert client.post(reverse("links:health_check", kwargs={"token": other}), as_before()).status_code == 400
    assert nothing_happened(check.patient)


def test_another_links_token_does_not_open_the_check_and_this_one_does_not_open_the_others(client, check):
    stop = link_token(reminder=check, action="stop")
    assert client.post(reverse("links:health_check", kwargs={"token": stop}), as_before()).status_code == 400
    mine = link_token(reminder=check, action="health_check")
    assert client.post(reverse("links:page", kwargs={"token": mine})).status_code == 400
    assert nothing_happened(check.patient) and check.patient.reminder_consent


def test_the_link_expires_when_the_visit_begins(client, check, frozen):
    frozen.move_to(at("2026-03-05", "10:00"))
    response = client.post(url(check), as_before(pregnant_or_trying=True))
    assert response.status_code == 410 and b"can no longer be changed online" in response.content
    assert nothing_happened(check.patient)
