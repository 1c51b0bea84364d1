import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from patients.intake import (
    IntakeConsents,
    ProbableDuplicate,
    patient_register,
    validate_demographics,
    validate_screening,
)
from patients.models import Consent, Patient, PatientConcern, Screening
from staff.models import AuditEvent
from tests.factories import PatientFactory, concern, front_desk_user

TODAY = dt.date(2026, 11, 24)


def demographics(**overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": dt.date(1985, 12, 10),
        "email": "Ada@Example.com",
        "phone": "+44 (0)20 7946-0958",
        "preferred_contact": "email",
        "reminder_consent": True,
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_of_birth": dt.date(2026, 11, 25)}, "date_of_birth", "cannot be in the future"),
        ({"email": "ada@"}, "email", "valid e-mail"),
        ({"phone": "not a phone"}, "phone", "can be dialled"),
        ({"emergency_contact_phone": "12-34"}, "emergency_contact_phone", "can be dialled"),
        ({"date_of_birth": dt.date(2010, 1, 1)}, "guardian_name", "under 18"),
        ({"email": "", "phone": ""}, "email", "e-mail address or a phone number"),
        ({"first_name": "  "}, "first_name", "required"),
    ],
)
def test_bad_demographics_are_refused_with_a_clear_message(overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        validate_demographics(demographics(**overrides), today=TODAY)
    assert message in " ".join(exc.value.message_dict[field])


def test_minor_with_guardian_is_accepted():
    cleaned = validate_demographics(
        demographics(date_of_birth=dt.date(2010, 1, 1), guardian_name="Mary Lovelace", guardian_phone="07700 900123"),
        today=TODAY,
    )
    assert cleaned["guardian_phone"] == "+447700900123"


def test_turning_18_today_needs_no_guardian():
    validate_demographics(demographics(date_of_birth=dt.date(2008, 11, 24)), today=TODAY)


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC), tick=False)
def test_register_saves_patient_screening_concerns_and_dated_consents():
    desk = front_desk_user()
    patient = patient_register(
        by=desk,
        demographics=demographics(),
        screening={"bleeding_risk": True, "medications": "Warfarin"},
        concerns={concern("fine-lines"): 7, concern("puffiness"): 3, concern("dullness"): None},
        consents=IntakeConsents(treatment=True, photos=False),
    )
    patient.refresh_from_db()
    assert patient.email == "ada@example.com"
    assert patient.phone == "+442079460958"
    assert patient.reminder_consent_changed_at == dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    assert Screening.objects.get(patient=patient).bleeding_risk is True
    assert {(pc.concern.code, pc.severity) for pc in patient.concerns.all()} == {("fine-lines", 7), ("puffiness", 3)}
    assert {(c.kind, c.given, c.form_version) for c in patient.consents.all()} == {
        ("treatment", True, "2026-01"),
        ("photos", False, "2026-01"),
    }
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="create", user=desk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"consents": IntakeConsents(treatment=False, photos=True)}, "consent"),
        ({"demographics": demographics(date_of_birth=dt.date(2099, 1, 1))}, "future"),
        ({"concerns": {}}, "at least one concern"),
        ({"screening": {"filler_areas": ["forehead"]}}, "date of the treatment"),
    ],
)
def test_refused_intake_saves_nothing(kwargs, message):
    args = {
        "by": front_desk_user(),
        "demographics": demographics(),
        "screening": {},
        "concerns": {concern("fine-lines"): 5},
        "consents": IntakeConsents(treatment=True, photos=True),
        **kwargs,
    }
    with pytest.raises(ValidationError) as exc:
        patient_register(**args)
    assert message in str(exc.value)
    assert Patient.objects.count() == 0
    assert Screening.objects.count() == Consent.objects.count() == PatientConcern.objects.count() == 0


def register(**overrides) -> Patient:
    return patient_register(
        **{
            "by": front_desk_user(),
            "demographics": demographics(),
            "screening": {},
            "concerns": {concern("fine-lines"): 5},
            "consents": IntakeConsents(treatment=True, photos=True),
            **overrides,
        }
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "existing",
    [
        {"first_name": "ADA", "last_name": "lovelace", "date_of_birth": dt.date(1985, 12, 10), "email": "x@example.com"},
        {"first_name": "Augusta", "last_name": "King", "date_of_birth": dt.date(1990, 1, 1), "email": "ada@example.com"},
    ],
    ids=["same name and birth date", "same e-mail"],
)
def test_a_probable_duplicate_is_refused_with_the_matches_and_nothing_saved(existing):
    twin = PatientFactory(**existing)
    with pytest.raises(ProbableDuplicate) as exc:
        register()
    assert exc.value.matches == [twin]
    assert "confirm_new" in exc.value.error_dict
    assert Patient.objects.count() == 1 and Screening.objects.count() == 0


@pytest.mark.django_db
def test_a_probable_duplicate_confirmed_as_a_different_person_is_registered():
    PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=dt.date(1985, 12, 10))
    patient = register(confirmed_new=True)
    assert Patient.objects.count() == 2 and patient.screenings.count() == 1


@pytest.mark.django_db
def test_the_same_name_born_another_day_is_no_duplicate():
    PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=dt.date(1990, 1, 1), email="x@example.com")
    register()
    assert Patient.objects.count() == 2


@pytest.mark.django_db
def test_database_refuses_reminder_consent_without_its_date():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(
            first_name="A", last_name="B", date_of_birth=dt.date(1990, 1, 1), email="a@b.example", reminder_consent=True
        )


@pytest.mark.django_db
def test_database_refuses_severity_above_ten():
    from django.db import IntegrityError, transaction

    from tests.factories import PatientConcernFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        PatientConcernFactory(severity=11)


@pytest.mark.django_db
def test_editing_concerns_keeps_the_first_severity_as_the_baseline():
    from patients.intake import concerns_set
    from tests.factories import intake_patient

    patient = intake_patient(concerns={"fine-lines": 8})
    concerns_set(by=None, patient=patient, concerns={concern("fine-lines"): 3, concern("dullness"): 6})
    rows = {pc.concern.code: (pc.initial_severity, pc.severity) for pc in patient.concerns.all()}
    assert rows == {"fine-lines": (8, 3), "dullness": (6, 6)}


@pytest.mark.django_db
def test_a_concerns_change_is_audited_with_each_severity_before_and_after():
    from patients.intake import concerns_set
    from tests.factories import intake_patient

    patient = intake_patient(concerns={"fine-lines": 8, "dullness": 4})
    concerns_set(by=None, patient=patient, concerns={concern("fine-lines"): 3, concern("dullness"): None,
                                                     concern("sagging"): 5})
    event = AuditEvent.objects.get(action="change", summary="concerns")
    assert event.changes == {"fine-lines": [8, 3], "dullness": [4, None], "sagging": [None, 5]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"first_name": "Ada\r\nBcc: all@example.com"}, "first_name"),
        ({"last_name": "Love\x00lace"}, "last_name"),
        ({"last_name": "Lovelace\u202e"}, "last_name"),
        ({"emergency_contact_name": "Tom\nSmith"}, "emergency_contact_name"),
    ],
)
def test_control_characters_are_refused_in_names(overrides, field):
    with pytest.raises(ValidationError) as exc:
        validate_demographics(demographics(**overrides), today=TODAY)
    assert "no line breaks" in " ".join(exc.value.message_dict[field])


def test_names_with_accents_and_punctuation_are_accepted():
    cleaned = validate_demographics(demographics(first_name=" Zoë-Anne ", last_name="O'Neil"), today=TODAY)
    assert (cleaned["first_name"], cleaned["last_name"]) == ("Zoë-Anne", "O'Neil")


@pytest.mark.parametrize("field", ["address", "goals"])
def test_free_text_is_limited_in_length_with_a_clear_message(field):
    validate_demographics(demographics(**{field: "x" * 2000}), today=TODAY)
    with pytest.raises(ValidationError) as exc:
        validate_demographics(demographics(**{field: "x" * (2 * 1024 * 1024)}), today=TODAY)
    assert "Keep this to 2000 characters" in " ".join(exc.value.message_dict[field])


@pytest.mark.parametrize("field", ["allergies", "medications", "notes"])
def test_screening_free_text_is_limited_and_keeps_line_breaks(field):
    validate_screening({field: "Line one\r\nLine two\twith a tab"}, today=TODAY)
    with pytest.raises(ValidationError) as exc:
        validate_screening({field: "x" * 2001}, today=TODAY)
    assert "Keep this to 2000 characters" in " ".join(exc.value.message_dict[field])
