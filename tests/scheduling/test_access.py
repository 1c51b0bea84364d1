"""Scheduling views fetch records through one helper: permission before existence, and a read
of a patient's visit or timeline is audited."""

import pytest
from django.urls import reverse

from scheduling.booking import visit_book
from staff.models import AuditEvent
from tests.factories import UserFactory
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def visit(clinic, lin, patient):
    return visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                      starts_at=at("2026-03-03", "10:00"), by=None)


def test_reading_a_visit_is_audited(front_desk_client, visit):
    assert front_desk_client.get(reverse("scheduling:visit", args=[visit.pk])).status_code == 200
    event = AuditEvent.objects.get(action="view")
    assert (event.object_type, event.object_id, event.patient_id) == ("scheduling.visit", str(visit.pk), visit.patient_id)


def test_without_the_permission_no_visit_is_read_or_audited(client, visit):
    client.force_login(UserFactory())
    assert client.get(reverse("scheduling:visit", args=[visit.pk])).status_code == 403
    # A stranger cannot tell an existing visit from a missing one.
    assert client.get(reverse("scheduling:visit", args=[visit.pk + 1000])).status_code == 403
    assert not AuditEvent.objects.filter(action="view").exists()


def test_a_missing_visit_is_a_404_for_staff(front_desk_client, visit):
    assert front_desk_client.get(reverse("scheduling:visit", args=[visit.pk + 1000])).status_code == 404


CHANGES = [("visit_move", ()), ("visit_cancel", ()), ("visit_status", ("arrived",)), ("visit_status", ("no_show",)),
           ("visit_status", ("booked",))]


@pytest.mark.parametrize("name,extra", CHANGES)
def test_changing_a_visit_needs_the_change_permission(acupuncturist_client, visit, name, extra):
    assert acupuncturist_client.post(reverse(f"scheduling:{name}", args=[visit.pk, *extra])).status_code == 403


@pytest.mark.parametrize("name,extra", CHANGES)
def test_a_refused_change_is_not_recorded_as_a_read(front_desk_client, visit, name, extra):
    assert front_desk_client.post(reverse(f"scheduling:{name}", args=[visit.pk, *extra])).status_code in (400, 409)
    assert not AuditEvent.objects.filter(action="view").exists()


def test_anonymous_users_are_sent_to_log_in_before_any_fetch(client, visit):
    response = client.get(reverse("scheduling:visit", args=[visit.pk]))
    assert response.status_code == 302 and "login" in response.url
