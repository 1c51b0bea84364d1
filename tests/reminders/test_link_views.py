"""The patient pages behind the links in reminder e-mails (``scheduling/link_views.py``): GET shows,
POST acts once; an altered, expired, reused, outdated or foreign link shows a friendly page and changes nothing."""

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from scheduling.booking import visit_move
from scheduling.models import LinkUse, PatientRequest, Reminder, Visit
from scheduling.reminders.tokens import SALT, link_token
from tests.reminders.factories import book_visit
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def reminder(clinic, lin):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    return Reminder.objects.get(visit=visit)


def url(reminder, action):
    return reverse("links:page", kwargs={"token": link_token(reminder=reminder, action=action)})


def unchanged(reminder):
    """Nothing a link can do has happened."""
    visit = Visit.objects.get(pk=reminder.visit_id)
    reminder.patient.refresh_from_db()
    return (
        visit.status == "booked" and visit.confirmed_at is None and reminder.patient.reminder_consent
        and not LinkUse.objects.exists() and not PatientRequest.objects.exists()
        and Reminder.objects.get(pk=reminder.pk).state == "pending"
    )


@pytest.mark.parametrize("action", ["confirm", "cancel", "new_time", "stop"])
def test_opening_a_link_shows_a_page_and_changes_nothing(client, reminder, action):
    response = client.get(url(reminder, action))
    assert response.status_code == 200
    assert b'method="post"' in response.content and b"csrfmiddlewaretoken" in response.content
    assert b"Thursday 5 March 2026 at 10:00" in response.content
    assert unchanged(reminder)


def test_confirming_works_once(client, reminder):
    link = url(reminder, "confirm")
    response = client.post(link)
    assert response.status_code == 200 and b"Your visit is confirmed" in response.content
    assert Visit.objects.get(pk=reminder.visit_id).confirmed_at is not None
    again = client.post(link)
    assert again.status_code == 410 and b"already been used" in again.content
    assert client.get(link).status_code == 410
    assert LinkUse.objects.count() == 1


def test_cancelling_cancels_the_visit_and_its_reminder(client, reminder):
    assert client.post(url(reminder, "cancel")).status_code == 200
    visit = Visit.objects.get(pk=reminder.visit_id)
    assert (visit.status, visit.cancel_reason) == ("cancelled", "Cancelled by the patient (e-mail link)")
    assert Reminder.objects.get(pk=reminder.pk).state == "cancelled"
    # The confirm link of the same e-mail no longer applies.
    assert client.get(url(reminder, "confirm")).status_code == 410


def test_asking_for_another_time_opens_a_request_the_front_desk_sees(client, reminder, front_desk_client):
    anonymous = Client()
    # The page offers free times (tests/reminders/test_self_booking_views.py); "ask" is its request form.
    response = anonymous.post(url(reminder, "new_time"), {"ask": "1", "note": "Weekday mornings"})
    assert response.status_code == 200
    request = PatientRequest.objects.get()
    assert (request.kind, request.visit_id, request.note) == ("new_time", reminder.visit_id, "Weekday mornings")
    assert Visit.objects.get(pk=reminder.visit_id).status == "booked"
    page = front_desk_client.get(reverse("scheduling:requests"))
    assert b"Weekday mornings" in page.content and reminder.patient.full_name.encode() in page.content


def test_stop_withdraws_consent_and_cancels_every_waiting_reminder(client, reminder, clinic, lin):
    other = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-12", "10:00"), patient=reminder.patient)
    assert client.post(url(reminder, "stop")).status_code == 200
    reminder.patient.refresh_from_db()
    assert reminder.patient.reminder_consent is False
    assert reminder.patient.reminder_consent_changed_at is not None
    assert set(Reminder.objects.filter(patient=reminder.patient).values_list("state", flat=True)) == {"cancelled"}
    assert Visit.objects.get(pk=other.pk).status == "booked"


def test_an_altered_link_changes_nothing(client, reminder):
    token = link_token(reminder=reminder, action="confirm")
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for method in (client.get, client.post):
        response = method(reverse("links:page", kwargs={"token": altered}))
        assert response.status_code == 400 and b"does not work" in response.content
    assert unchanged(reminder)


def test_a_link_naming_another_patient_visit_or_action_changes_nothing(client, reminder, clinic, lin):
    other = Reminder.objects.get(visit=book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-06", "10:00")))
    forged = [
        {"r": reminder.pk, "p": other.patient_id, "s": reminder.visit_id, "a": "cancel"},  # wrong patient
        {"r": reminder.pk, "p": reminder.patient_id, "s": other.visit_id, "a": "cancel"},  # wrong visit
        {"r": reminder.pk, "p": reminder.patient_id, "s": reminder.visit_id, "a": "maintenance"},  # not this e-mail's
        {"r": reminder.pk, "p": reminder.patient_id, "a": "cancel"},  # missing part
    ]
    for payload in forged:
        # Even correctly signed (as if the key had leaked), a mismatched payload is refused.
        token = signing.dumps(payload, salt=SALT, compress=True)
        assert client.post(reverse("links:page", kwargs={"token": token})).status_code == 400
    # A token signed for another purpose (another salt) does not work here either.
    token = signing.dumps({"r": reminder.pk, "p": reminder.patient_id, "s": reminder.visit_id, "a": "cancel"})
    assert client.post(reverse("links:page", kwargs={"token": token})).status_code == 400
    assert unchanged(reminder)


def test_an_expired_link_changes_nothing(client, reminder, frozen, clinic, lin):
    stop = url(reminder, "stop")
    frozen.shift(dt.timedelta(days=31))
    response = client.post(stop)
    assert response.status_code == 410 and b"expired" in response.content
    assert unchanged(reminder)


def test_a_link_for_a_moved_visit_no_longer_acts(client, reminder):
    confirm = url(reminder, "confirm")
    visit_move(visit=reminder.visit, starts_at=at("2026-03-06", "15:00"), by=None)
    response = client.post(confirm)
    assert response.status_code == 410 and b"can no longer be changed online" in response.content
    assert Visit.objects.get(pk=reminder.visit_id).confirmed_at is None


def test_the_button_needs_the_csrf_token(reminder):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url(reminder, "cancel")).status_code == 403
    assert Visit.objects.get(pk=reminder.visit_id).status == "booked"


def test_a_link_page_runs_a_fixed_number_of_queries(client, reminder, django_assert_num_queries):
    # The reminder (with patient and visit), whether the link was used, the clinic settings.
    with django_assert_num_queries(3):
        assert client.get(url(reminder, "confirm")).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(url(reminder, "stop")).status_code == 200


# --- What the front desk sees of the patients' link actions ----------------------------------------
@pytest.mark.parametrize("action,kind", [("confirm", "confirmed"), ("cancel", "cancelled"), ("stop", "stopped"),
                                         ("new_time", "new_time")])
def test_every_link_action_is_listed_for_the_front_desk_with_time_and_patient(
    client, front_desk, reminder, action, kind
):
    client.post(url(reminder, action), {"ask": "1", "note": ""})

    listed = PatientRequest.objects.get()
    assert (listed.kind, listed.patient_id, listed.visit_id) == (kind, reminder.patient_id, reminder.visit_id)
    client.force_login(front_desk)
    page = client.get(reverse("scheduling:requests")).content.decode()
    assert reminder.patient.full_name in page and listed.get_kind_display() in page
    assert "Mon 02 Mar 2026 08:00" in page  # when it happened (the frozen now)


def test_a_patients_cancellation_inside_the_late_window_is_flagged(client, front_desk, frozen, reminder):
    frozen.move_to(at("2026-03-04", "11:00"))  # 23 hours before the visit; the clinic's window is 24
    client.post(url(reminder, "cancel"))

    visit = Visit.objects.get(pk=reminder.visit_id)
    assert (visit.status, visit.cancelled_by, visit.late_cancel) == ("cancelled", "patient", True)
    client.force_login(front_desk)
    assert b"late cancellation" in client.get(reverse("scheduling:requests")).content


def test_a_patients_cancellation_before_the_window_is_not_late(client, frozen, reminder):
    frozen.move_to(at("2026-03-04", "09:00"))  # 25 hours before
    client.post(url(reminder, "cancel"))
    visit = Visit.objects.get(pk=reminder.visit_id)
    assert (visit.cancelled_by, visit.late_cancel) == ("patient", False)
