"""Screening answers are explicit: every safety question is answered Yes or No (no answer is not
No), and a Yes that becomes No is confirmed by name and audited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients.forms import ScreeningForm
from patients.intake import CONFIRMED_NO, screening_record
from patients.models import Screening
from staff.models import AuditEvent
from tests.factories import front_desk_user, intake_patient, screening_post

pytestmark = pytest.mark.django_db


def answers(**yes) -> dict:
    return {**{name: False for name in Screening.FLAG_FIELDS}, **yes}


def new_screening_url(patient) -> str:
    return reverse("patients:screening_new", args=[patient.pk])


def test_an_empty_screening_post_is_refused_per_question_and_saves_nothing(front_desk_client):
    patient = intake_patient(pregnant_or_trying=True)
    response = front_desk_client.post(new_screening_url(patient), {"csrfmiddlewaretoken": "the only field"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert all(errors[name] == ["Answer Yes or No."] for name in Screening.FLAG_FIELDS)
    assert response.content.decode().count("Answer Yes or No.") == len(Screening.FLAG_FIELDS)
    assert patient.screenings.count() == 1 and Screening.objects.latest_for(patient).pregnant_or_trying


def test_a_post_with_nothing_at_all_is_refused_too(front_desk_client):
    patient = intake_patient()
    response = front_desk_client.post(new_screening_url(patient), {})
    assert set(response.context["form"].errors) >= set(Screening.FLAG_FIELDS)
    assert patient.screenings.count() == 1


def test_a_partial_screening_post_is_refused_for_each_unanswered_question(front_desk_client):
    patient = intake_patient()
    response = front_desk_client.post(new_screening_url(patient), {"s-pregnant_or_trying": "no", "s-diabetes": "yes"})
    errors = response.context["form"].errors
    assert set(errors) == set(Screening.FLAG_FIELDS) - {"pregnant_or_trying", "diabetes"}
    assert patient.screenings.count() == 1


def test_the_form_shows_the_last_answers_without_choosing_them(front_desk_client):
    patient = intake_patient(pregnant_or_trying=True)
    form = front_desk_client.get(new_screening_url(patient)).context["form"]
    assert form["pregnant_or_trying"].value() is None
    assert form.fields["pregnant_or_trying"].help_text == "Last screening: Yes"
    assert form.fields["diabetes"].help_text == "Last screening: No"
    # Only an answer that was Yes can be confirmed as now No.
    assert [name for name, _ in form.fields["confirmed_no"].choices] == ["pregnant_or_trying"]


def test_intake_offers_no_yes_to_no_confirmation():
    assert "confirmed_no" not in ScreeningForm(prefix="s", previous=None).fields


def test_yes_to_no_without_its_confirmation_is_refused_naming_the_answer(front_desk_client):
    patient = intake_patient(pregnant_or_trying=True, bleeding_risk=True)
    response = front_desk_client.post(new_screening_url(patient), screening_post())
    assert response.status_code == 200
    [message] = response.context["form"].errors["confirmed_no"]
    assert "pregnant or trying to conceive" in message and "anticoagulant" in message
    assert patient.screenings.count() == 1


def test_yes_to_no_confirmed_for_one_answer_only_is_still_refused(front_desk_client):
    patient = intake_patient(pregnant_or_trying=True, bleeding_risk=True)
    response = front_desk_client.post(
        new_screening_url(patient), {**screening_post(), "s-confirmed_no": ["pregnant_or_trying"]}
    )
    [message] = response.context["form"].errors["confirmed_no"]
    assert "anticoagulant" in message and "pregnant" not in message
    assert patient.screenings.count() == 1


def test_yes_to_no_confirmed_by_name_is_saved_and_audited(front_desk_client):
    patient = intake_patient(pregnant_or_trying=True)
    response = front_desk_client.post(
        new_screening_url(patient), {**screening_post(), "s-confirmed_no": ["pregnant_or_trying"]}
    )
    assert response.status_code == 302
    latest = Screening.objects.latest_for(patient)
    assert not latest.pregnant_or_trying
    event = AuditEvent.objects.get(action="change", object_type="patients.screening", object_id=str(latest.pk))
    assert event.patient_id == patient.pk
    assert event.summary == "screening: confirmed Yes → No for pregnant or trying to conceive"


def test_screening_record_refuses_an_unconfirmed_yes_to_no():
    patient = intake_patient(implanted_device=True)
    with pytest.raises(ValidationError) as refused:
        screening_record(by=front_desk_user(), patient=patient, answers=answers())
    assert "pacemaker or implanted device" in refused.value.message_dict[CONFIRMED_NO][0]
    assert patient.screenings.count() == 1


def test_screening_record_keeps_a_yes_and_adds_a_yes_without_confirmation():
    patient = intake_patient(implanted_device=True)
    screening = screening_record(
        by=front_desk_user(), patient=patient, answers=answers(implanted_device=True, epilepsy=True)
    )
    assert screening.implanted_device and screening.epilepsy
    assert not AuditEvent.objects.filter(action="change", object_id=str(screening.pk)).exists()
