"""Factories for the foundation (staff, patients). Each app's tests add theirs beside them."""

import datetime as dt

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from patients.intake import CONSENT_FORM_VERSION
from patients.models import Concern, Consent, Patient, PatientConcern, Screening
from staff.roles import ACUPUNCTURIST, CLINIC_ADMIN, FRONT_DESK

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted == CLINIC_ADMIN:
                self.is_staff = True
        self.save()


def front_desk_user(**kwargs) -> User:
    return UserFactory(role=FRONT_DESK, **kwargs)


def acupuncturist_user(**kwargs) -> User:
    return UserFactory(role=ACUPUNCTURIST, **kwargs)


def clinic_admin_user(**kwargs) -> User:
    return UserFactory(role=CLINIC_ADMIN, **kwargs)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name_female")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=25, maximum_age=70)
    email = factory.LazyAttributeSequence(lambda p, n: f"{p.first_name.lower()}.{p.last_name.lower()}{n}@mail.example")
    phone = factory.Sequence(lambda n: f"+4477009{n:05d}")
    reminder_consent = True
    reminder_consent_changed_at = factory.LazyFunction(timezone.now)


class ScreeningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Screening

    patient = factory.SubFactory(PatientFactory)
    answered_at = factory.LazyFunction(timezone.now)


def concern(code: str) -> Concern:
    """A concern of the catalogue loaded by the migration."""
    return Concern.objects.get(code=code)


class PatientConcernFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientConcern

    patient = factory.SubFactory(PatientFactory)
    concern = factory.LazyFunction(lambda: concern("fine-lines"))
    severity = 5
    initial_severity = factory.SelfAttribute("severity")


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    patient = factory.SubFactory(PatientFactory)
    kind = Consent.Kind.TREATMENT
    given = True
    form_version = CONSENT_FORM_VERSION
    recorded_at = factory.LazyFunction(timezone.now)


def intake_patient(*, concerns: dict[str, int] | None = None, photos: bool = True, **screening) -> Patient:
    """A patient as intake leaves them: screening, concerns and consents."""
    patient = PatientFactory()
    ScreeningFactory(patient=patient, **screening)
    for code, severity in (concerns or {"fine-lines": 6, "puffiness": 4}).items():
        PatientConcernFactory(patient=patient, concern=concern(code), severity=severity)
    ConsentFactory(patient=patient, kind=Consent.Kind.TREATMENT)
    ConsentFactory(patient=patient, kind=Consent.Kind.PHOTOS, given=photos)
    return patient


def years_ago(years: int, *, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def screening_post(prefix: str = "s", **answers) -> dict[str, str]:
    """A screening form's POST data: every safety question answered, No unless given as True
    (``pregnant_or_trying=True``); other keyword arguments are posted as they are."""
    data = {f"{prefix}-{name}": "no" for name in Screening.FLAG_FIELDS}
    for name, value in answers.items():
        data[f"{prefix}-{name}"] = ("yes" if value else "no") if name in Screening.FLAG_FIELDS else value
    return data
