"""Online intake: the invitation, the patient's form behind the signed link, and the review."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from patients.models import Consent, Patient, Screening
from scheduling.intake_links import intake_invite
from scheduling.intake_tokens import INTAKE_LINK_MAX_AGE, SALT, intake_token
from scheduling.models import IntakeInvitation, PatientRequest
from staff.models import AuditEvent
from tests.factories import PatientFactory, screening_post

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def invitation(front_desk, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return intake_invite(by=front_desk, first_name="Ada", last_name="Lovelace", email="Ada@Example.com")


def url(invitation) -> str:
    return reverse("links:intake", kwargs={"token": intake_token(invitation)})


def answers(**overrides):
    data = {
        "p-first_name": "Ada", "p-last_name": "Lovelace", "p-date_of_birth": "1985-12-10",
        "p-email": "ada@example.com", "p-phone": "07700 900123", "p-preferred_contact": "email",
        "c-concern_fine-lines": "7", **screening_post(pregnant_or_trying=True),
        "k-treatment_consent": "on", "k-photo_consent": "on", "k-reminder_consent": "on",
        "k-signed_name": "ada  lovelace", "send": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_invitation_email_carries_a_link_that_opens_the_form(client, invitation, mailoutbox):
    (message,) = mailoutbox
    assert message.to == ["ada@example.com"]
    link = re.search(r"Intake form: (\S+)", message.body).group(1)
    assert link.endswith(url(invitation))
    assert "pregnan" not in message.body.lower()
    response = client.get(url(invitation))
    assert response.status_code == 200
    assert b"Before your first visit" in response.content
    assert Patient.objects.count() == 0  # opening the link does nothing


def test_front_desk_sends_an_invitation_from_the_patients_page(front_desk_client, eager, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = front_desk_client.post(reverse("scheduling:intake_invite"),
                                          {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"})
    assert response.status_code == 302
    invitation = IntakeInvitation.objects.get()
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    assert AuditEvent.objects.filter(object_type="scheduling.intakeinvitation", object_id=str(invitation.pk)).exists()


def test_a_bad_invitation_is_refused_with_every_message(front_desk_client):
    response = front_desk_client.post(reverse("scheduling:intake_invite"),
                                      {"first_name": "", "last_name": "Lovelace", "email": "not-an-address"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid e-mail address" in page and "This field is required." in page
    assert IntakeInvitation.objects.count() == 0


def test_the_patient_submits_and_is_registered_for_review(client, invitation, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(invitation), answers())
    assert response.status_code == 200
    assert b"We have your intake form" in response.content
    patient = Patient.objects.get()
    assert patient.reminder_consent and patient.reminder_consent_changed_at == NOW
    screening = patient.screenings.get()
    assert screening.source == Screening.Source.PATIENT_INTAKE and screening.pregnant_or_trying
    assert screening.recorded_by is None
    assert {(c.kind, c.given, c.form_version) for c in patient.consents.all()} == {
        (Consent.Kind.TREATMENT, True, "2026-01"), (Consent.Kind.PHOTOS, True, "2026-01")}
    invitation.refresh_from_db()
    assert invitation.patient == patient and invitation.submitted_at == NOW
    assert invitation.signed_name == "ada lovelace"
    request = PatientRequest.objects.get()
    assert request.kind == PatientRequest.Kind.INTAKE and request.patient == patient and request.handled_at is None
    assert AuditEvent.objects.filter(patient_id=patient.pk, summary__startswith="Online intake submitted").exists()
    confirmation = mailoutbox[-1]
    assert confirmation.to == ["ada@example.com"] and "We have your intake form" in confirmation.subject
    assert 'signed "ada lovelace"' in confirmation.body


def test_bad_answers_get_every_message_and_save_nothing(client, invitation):
    response = client.post(url(invitation), answers(**{
        "p-date_of_birth": "2099-01-01", "s-diabetes": None, "k-treatment_consent": None, "k-signed_name": "Someone",
        "c-concern_fine-lines": None,
    }))
    page = response.content.decode()
    assert response.status_code == 400
    for message in ("The date of birth cannot be in the future.", "Answer Yes or No.",
                    "Treatment cannot be booked without the patient", "Give at least one concern",
                    "Type your full name as given above (Ada Lovelace)"):
        assert message in page
    assert Patient.objects.count() == 0 and PatientRequest.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.submitted_at is None


def test_progress_is_kept_on_the_server_until_they_come_back(client, invitation):
    response = client.post(url(invitation), {"p-first_name": "Ada", "p-goals": "Softer forehead lines",
                                             "s-diabetes": "yes", "save": ""})
    assert b"Your answers are saved" in response.content
    invitation.refresh_from_db()
    assert invitation.draft["p-goals"] == ["Softer forehead lines"]
    assert AuditEvent.objects.filter(object_type="scheduling.intakeinvitation", summary__contains="saved").exists()
    assert Patient.objects.count() == 0
    page = client.get(url(invitation)).content.decode()
    assert "Softer forehead lines" in page
    assert re.search(r'name="s-diabetes" value="yes"[^>]*checked', page)
    assert "Answer Yes or No." not in page  # a restored page is not judged yet


def test_a_reused_link_changes_nothing_and_says_so(client, invitation):
    client.post(url(invitation), answers())
    response = client.post(url(invitation), answers(**{"p-first_name": "Eve"}))
    assert response.status_code == 410
    assert b"This link has already been used" in response.content
    assert list(Patient.objects.values_list("first_name", flat=True)) == ["Ada"]
    assert PatientRequest.objects.count() == 1
    assert client.get(url(invitation)).status_code == 410


def test_an_expired_link_changes_nothing(client, invitation, frozen):
    link = url(invitation)  # as the e-mail carried it
    frozen.shift(INTAKE_LINK_MAX_AGE - dt.timedelta(minutes=1))
    assert client.get(link).status_code == 200
    frozen.shift(dt.timedelta(minutes=2))
    response = client.post(link, answers())
    assert response.status_code == 410
    assert b"This link has expired" in response.content
    assert Patient.objects.count() == 0


def test_an_altered_link_or_one_for_another_invitation_changes_nothing(client, invitation):
    token = intake_token(invitation)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged = signing.dumps({"i": invitation.pk, "e": "eve@example.com"}, salt=SALT)
    reminder_salt = signing.dumps({"i": invitation.pk, "e": invitation.email}, salt="scheduling.reminder-link")
    for bad in (altered, forged, reminder_salt):
        response = client.post(reverse("links:intake", kwargs={"token": bad}), answers())
        assert response.status_code == 400
        assert b"This link does not work" in response.content
    assert Patient.objects.count() == 0


def test_a_probable_duplicate_is_registered_and_flagged_for_the_review(client, invitation):
    existing = PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=dt.date(1985, 12, 10))
    client.post(url(invitation), answers())
    request = PatientRequest.objects.get()
    assert request.patient != existing
    assert request.note == f"Possible duplicate of: Ada Lovelace (#{existing.pk})"


def test_staff_see_the_submission_to_review_and_mark_it_reviewed(client, invitation, front_desk, acupuncturist):
    client.post(url(invitation), answers())
    patient = Patient.objects.get()
    client.force_login(front_desk)
    page = client.get(reverse("scheduling:requests")).content.decode()
    assert "Online intake to review" in page and "Mark reviewed" in page
    detail = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Reported by the patient (online intake): review at the visit" in detail
    timeline = client.get(reverse("scheduling:patient", args=[patient.pk])).content.decode()
    assert "Online intake to review" in timeline
    request = PatientRequest.objects.get()
    client.post(reverse("scheduling:request_handled", args=[request.pk]))
    request.refresh_from_db()
    assert request.handled_by == front_desk
    assert AuditEvent.objects.filter(summary="Intake reviewed", patient_id=patient.pk).exists()


def test_a_staff_screening_is_not_flagged(front_desk_client):
    patient = PatientFactory()
    Screening.objects.create(patient=patient, answered_at=NOW)
    detail = front_desk_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Reported by the patient" not in detail


def test_the_pages_take_a_fixed_number_of_queries(client, invitation, front_desk, django_assert_num_queries):
    client.get(url(invitation))  # warms the clinic settings' cache
    with django_assert_num_queries(3):  # the invitation, the clinic settings, the concerns catalogue
        assert client.get(url(invitation)).status_code == 200
    client.force_login(front_desk)
    client.get(reverse("scheduling:intake_invite"))
    with django_assert_num_queries(4):  # session, user, roles and permissions, the nav badge: nothing more
        assert client.get(reverse("scheduling:intake_invite")).status_code == 200


def test_the_database_refuses_a_half_recorded_submission(invitation):
    with pytest.raises(IntegrityError), transaction.atomic():
        IntakeInvitation.objects.filter(pk=invitation.pk).update(submitted_at=NOW)  # no patient, no signature
