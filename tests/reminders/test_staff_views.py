"""What staff see of reminders: the history on the patient's timeline, the clinic-wide list of
failed and waiting reminders with "Send again", and the requests patients sent."""

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import PatientRequest, Reminder
from staff.models import AuditEvent
from tests.reminders.factories import book_visit

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def failed(clinic, lin):
    reminder = Reminder.objects.get(visit=book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00")))
    Reminder.objects.filter(pk=reminder.pk).update(
        state="failed", attempts=5, last_error="SMTPConnectError: (421, 'Service not available')"
    )
    return reminder


PAGES = ["scheduling:reminders", "scheduling:requests"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", PAGES)
def test_acupuncturists_may_not_see_the_front_desk_reminder_pages(acupuncturist_client, name):
    assert acupuncturist_client.get(reverse(name)).status_code == 403


def test_the_front_desk_sees_failed_reminders_first_with_the_error(front_desk_client, failed, clinic, lin):
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-04", "10:00"))  # a waiting one
    response = front_desk_client.get(reverse("scheduling:reminders"))
    content = response.content.decode()
    assert response.status_code == 200
    rows = content[content.index("<tbody>"):]  # (the menu has a "Waiting list")
    assert rows.index("Failed") < rows.index("Waiting")
    assert "Service not available" in content and "Send again" in content
    failed_only = front_desk_client.get(reverse("scheduling:reminders") + "?show=failed").content.decode()
    assert "Waiting</span>" not in failed_only and "Send again" in failed_only


def test_send_again_puts_a_failed_reminder_back_for_the_next_sweep(front_desk_client, front_desk, failed):
    response = front_desk_client.post(reverse("scheduling:reminder_send_again", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.next_attempt_at) == ("pending", 0, timezone.now())
    assert AuditEvent.objects.filter(user=front_desk, summary="Send again").exists()
    # Only failed reminders can be sent again.
    front_desk_client.post(reverse("scheduling:reminder_send_again", args=[failed.pk]))
    assert Reminder.objects.get(pk=failed.pk).state == "pending"
    assert AuditEvent.objects.filter(summary="Send again").count() == 1


def test_send_again_needs_the_permission(acupuncturist_client, failed):
    assert acupuncturist_client.post(reverse("scheduling:reminder_send_again", args=[failed.pk])).status_code == 403
    assert Reminder.objects.get(pk=failed.pk).state == "failed"


def test_send_again_is_a_post(front_desk_client, failed):
    assert front_desk_client.get(reverse("scheduling:reminder_send_again", args=[failed.pk])).status_code == 405
    assert Reminder.objects.get(pk=failed.pk).state == "failed"


def test_the_patient_timeline_shows_the_reminder_history(front_desk_client, failed):
    content = front_desk_client.get(reverse("scheduling:patient", args=[failed.patient_id])).content.decode()
    assert "Reminder e-mails" in content and "Failed" in content and "Service not available" in content


def test_requests_are_marked_handled_once(front_desk_client, front_desk, failed):
    request = PatientRequest.objects.create(kind="maintenance", patient=failed.patient, reminder=failed)
    front_desk_client.post(reverse("scheduling:request_handled", args=[request.pk]))
    request.refresh_from_db()
    assert request.handled_by == front_desk and request.handled_at is not None
    assert b"No open requests" in front_desk_client.get(reverse("scheduling:requests")).content


@pytest.mark.parametrize(("name", "summary"), [("scheduling:reminders", "reminders, page 1"),
                                                ("scheduling:requests", "patient requests, page 1")])
def test_the_reminder_and_request_lists_are_audited_per_patient_shown(front_desk_client, front_desk, failed, name, summary):
    PatientRequest.objects.create(kind="new_time", patient=failed.patient, visit=failed.visit)
    front_desk_client.get(reverse(name))
    events = AuditEvent.objects.filter(user=front_desk, action="view").order_by("seq")
    assert [(e.object_type, e.patient_id, e.summary) for e in events][0] == ("list", None, summary)
    assert [e.patient_id for e in events[1:]] == [failed.patient_id]
