"""patients.access.patient_for: permission before lookup, 404, and the audit of reads."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from patients.access import patient_for
from staff.models import AuditEvent
from tests.factories import PatientFactory, acupuncturist_user, front_desk_user

pytestmark = pytest.mark.django_db


def request_by(user, method: str = "GET"):
    request = getattr(RequestFactory(), method.lower())("/")
    request.user = user
    return request


def test_a_read_is_audited_with_what_the_page_shows():
    desk, patient = front_desk_user(), PatientFactory()
    assert patient_for(request_by(desk), patient.pk, perms=("patients.view_patient",), read="record") == patient
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.patient_id, event.summary) == (desk, "view", patient.pk, "record")


def test_a_post_is_not_audited_as_a_read():
    patient = PatientFactory()
    patient_for(request_by(front_desk_user(), "POST"), patient.pk, perms=("patients.change_patient",), read="details form")
    assert not AuditEvent.objects.exists()


def test_without_the_permission_it_is_403_even_for_an_unknown_id():
    acupuncturist = acupuncturist_user()
    with pytest.raises(PermissionDenied):
        patient_for(request_by(acupuncturist), 999_999, perms=("patients.change_patient",), read=None)
    with pytest.raises(PermissionDenied):
        patient_for(request_by(acupuncturist), PatientFactory().pk, perms=("patients.change_patient",), read="x")
    assert not AuditEvent.objects.exists()


def test_an_unknown_patient_is_404():
    with pytest.raises(Http404):
        patient_for(request_by(front_desk_user()), 999_999, perms=("patients.view_patient",), read="record")
