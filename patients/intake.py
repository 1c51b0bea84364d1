"""Intake rules and the writes that register and update patients.

Every write to a patient's record goes through a function here, so the web forms, the demo data
command and the tests share one path. Each validates its input and raises ``ValidationError``
(keyed by field) before it writes anything; multi-row writes are atomic.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from patients.models import Concern, Consent, Patient, PatientConcern, Screening
from patients.phones import normalise_phone
from patients.search import probable_duplicates
from staff.audit import audit_record, changed_fields, field_values
from staff.submissions import form_key_claim, form_key_guard, form_key_result
from staff.text import free_text_problem, single_line_problem

# The key of a screening's answers (``ScreeningForm.answers()``) listing the safety answers that
# the staff member confirmed turned from Yes to No.
CONFIRMED_NO = "confirmed_no"

ADULT_AGE = 18
# Shown in headers, lists and e-mails: one line each.
ONE_LINE_FIELDS = ("first_name", "last_name", "emergency_contact_name", "guardian_name")
DEMOGRAPHIC_FREE_TEXT = ("address", "goals")
SCREENING_FREE_TEXT = ("allergies", "medications", "notes")
CONSENT_FORM_VERSION = "2026-01"


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def validate_demographics(data: dict, *, today: dt.date) -> dict:
    """Checks and normalises the demographic fields; returns the cleaned dict."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    _check_name_and_birth(data, cleaned, errors, today=today)
    _check_contact(data, cleaned, errors)
    _check_text(cleaned, errors, lines=ONE_LINE_FIELDS, free=DEMOGRAPHIC_FREE_TEXT)
    dob = data.get("date_of_birth")
    if dob and dob <= today and age_on(dob, today) < ADULT_AGE:
        cleaned["guardian_name"] = (data.get("guardian_name") or "").strip()
        if not cleaned["guardian_name"] or not cleaned.get("guardian_phone"):
            errors.setdefault("guardian_name", []).append(
                f"The patient is under {ADULT_AGE}: give a parent or guardian's name and phone number."
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_name_and_birth(data: dict, cleaned: dict, errors: dict[str, list[str]], *, today: dt.date) -> None:
    for field in ("first_name", "last_name"):
        cleaned[field] = (data.get(field) or "").strip()
        if not cleaned[field]:
            errors.setdefault(field, []).append("This field is required.")
    dob = data.get("date_of_birth")
    if not dob:
        errors.setdefault("date_of_birth", []).append("Enter the date of birth.")
    elif dob > today:
        errors.setdefault("date_of_birth", []).append("The date of birth cannot be in the future.")
    elif age_on(dob, today) > 120:
        errors.setdefault("date_of_birth", []).append("Check the date of birth: that is more than 120 years ago.")


def _check_contact(data: dict, cleaned: dict, errors: dict[str, list[str]]) -> None:
    """E-mail and phones normalised; some way to reach the patient, and an e-mail when reminders
    or the preferred contact need one."""
    cleaned["email"] = (data.get("email") or "").strip().lower()
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors.setdefault("email", []).append("Enter a valid e-mail address, like name@example.com.")
    for field in ("phone", "emergency_contact_phone", "guardian_phone"):
        try:
            cleaned[field] = normalise_phone(data.get(field) or "")
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    if "email" in errors or cleaned["email"]:
        return
    if not cleaned.get("phone") and "phone" not in errors:
        errors["email"] = ["Give an e-mail address or a phone number so the clinic can reach the patient."]
    elif data.get("preferred_contact") == Patient.Contact.EMAIL:
        errors["email"] = ["E-mail is the preferred contact, so an e-mail address is needed."]
    elif data.get("reminder_consent"):
        errors["email"] = ["Reminders go by e-mail: give an e-mail address or untick reminders."]


def validate_concerns(severities: dict[Concern, int | None]) -> dict[Concern, int]:
    chosen = {concern: severity for concern, severity in severities.items() if severity is not None}
    for concern, severity in chosen.items():
        if not 0 <= severity <= 10:
            raise ValidationError({f"concern_{concern.code}": "Severity is a number from 0 to 10."})
    return chosen


def _check_text(data: dict, errors: dict[str, list[str]], *, lines: tuple[str, ...] = (), free: tuple[str, ...] = ()) -> None:
    """Names on one line without control characters; free text of a bounded length."""
    for field, problem in [
        *((field, single_line_problem(data.get(field) or "")) for field in lines),
        *((field, free_text_problem(data.get(field) or "")) for field in free),
    ]:
        if problem:
            errors.setdefault(field, []).append(problem)


def validate_screening(data: dict, *, today: dt.date) -> None:
    errors: dict = {}
    _check_text(data, errors, free=SCREENING_FREE_TEXT)
    for date_field, areas_field, _ in Screening.PROCEDURES:
        when = data.get(date_field)
        if when and when > today:
            errors[date_field] = "This date cannot be in the future."
        if data.get(areas_field) and not when:
            errors[date_field] = "Give the date of the treatment in the areas you ticked."
        if when and not data.get(areas_field):
            errors[areas_field] = "Tick the treated areas so that they can be avoided."
    if errors:
        raise ValidationError(errors)


class ProbableDuplicate(ValidationError):
    """Registration refused because the patient looks already registered; ``matches`` lists who.

    Registering them anyway takes the staff member's word that it is a different person
    (``patient_register(confirmed_new=True)``)."""

    MESSAGE = (
        "This looks like a patient who is already registered (listed above). Open their record, "
        "or tick this box if it is a different person."
    )

    def __init__(self, matches: list[Patient]):
        super().__init__({"confirm_new": self.MESSAGE}, code="probable_duplicate")
        self.matches = matches


@dataclass(frozen=True)
class IntakeConsents:
    treatment: bool
    photos: bool


def _today() -> dt.date:
    return timezone.localdate()


def intake_consent_check(consents: IntakeConsents) -> None:
    if not consents.treatment:
        raise ValidationError({"treatment_consent": "Treatment cannot be booked without the patient's signed consent."})


def _collect(errors: dict, check):
    """Runs one validation, adding its errors to ``errors`` instead of stopping at the first."""
    try:
        return check()
    except ValidationError as exc:
        exc.update_error_dict(errors)
        return None


def intake_validate(
    *, demographics: dict, screening: dict | None, concerns: dict[Concern, int | None] | None,
    consents: IntakeConsents, today: dt.date,
) -> tuple[dict, dict[Concern, int]]:
    """Every intake rule, checked before any is reported, so staff see all problems at once.
    ``screening`` or ``concerns`` None: not checked (the page's own form already refused them).
    Returns the cleaned demographics and the concerns given."""
    errors: dict = {}
    cleaned = _collect(errors, lambda: validate_demographics(demographics, today=today))
    chosen = _collect(errors, lambda: validate_concerns(concerns)) if concerns is not None else None
    if screening is not None:
        _collect(errors, lambda: validate_screening(screening, today=today))
    _collect(errors, lambda: intake_consent_check(consents))
    if chosen == {}:
        errors.setdefault(None, []).append("Give at least one concern with its severity (0–10).")
    if errors:
        raise ValidationError(errors)
    return cleaned, chosen


def patient_register(
    *,
    by,
    demographics: dict,
    screening: dict,
    concerns: dict[Concern, int | None],
    consents: IntakeConsents,
    confirmed_new: bool = False,
    screening_source: str = Screening.Source.STAFF,
    form_key: uuid.UUID | None = None,
) -> Patient:
    """Registers a new patient with their first screening, concerns and consents, all or nothing.
    ``by`` is None when the patient registered themselves (online intake; ``screening_source``
    then says so).

    Raises ``ProbableDuplicate`` when a patient with the same name and date of birth, or the same
    e-mail, exists already, unless ``confirmed_new`` says it is a different person. With
    ``form_key`` (the intake page's one-time key), a second submit of the page raises
    ``staff.submissions.AlreadySaved`` with this patient, never a "probable duplicate" of them."""
    with form_key_guard(key=form_key, by=by), transaction.atomic():
        claim = form_key_claim(key=form_key, by=by)
        patient = _patient_create(by=by, demographics=demographics, screening=screening, concerns=concerns,
                                  consents=consents, confirmed_new=confirmed_new, screening_source=screening_source)
        form_key_result(claim, patient)
    return patient


def _patient_create(*, by, demographics: dict, screening: dict, concerns: dict[Concern, int | None],
                    consents: IntakeConsents, confirmed_new: bool, screening_source: str) -> Patient:
    now = timezone.now()
    screening = {name: value for name, value in screening.items() if name != CONFIRMED_NO}  # nothing before it
    cleaned, chosen = intake_validate(demographics=demographics, screening=screening, concerns=concerns,
                                      consents=consents, today=timezone.localdate(now))
    if not confirmed_new and (
        matches := probable_duplicates(
            first_name=cleaned["first_name"],
            last_name=cleaned["last_name"],
            date_of_birth=cleaned["date_of_birth"],
            email=cleaned["email"],
        )
    ):
        raise ProbableDuplicate(matches)

    if cleaned.get("reminder_consent"):
        cleaned["reminder_consent_changed_at"] = now
    patient = Patient.objects.create(**cleaned)
    Screening.objects.create(patient=patient, answered_at=now, recorded_by=by, source=screening_source, **screening)
    PatientConcern.objects.bulk_create(
        PatientConcern(patient=patient, concern=concern, severity=severity, initial_severity=severity)
        for concern, severity in chosen.items()
    )
    Consent.objects.bulk_create(
        Consent(patient=patient, kind=kind, given=given, form_version=CONSENT_FORM_VERSION, recorded_at=now, recorded_by=by)
        for kind, given in ((Consent.Kind.TREATMENT, True), (Consent.Kind.PHOTOS, consents.photos))
    )
    audit_record(user=by, action="create", obj=patient, patient_id=patient.pk, summary="intake")
    return patient


@transaction.atomic
def patient_update(*, by, patient: Patient, demographics: dict) -> Patient:
    """Edits demographics; a change of reminder consent is dated."""
    cleaned = validate_demographics(demographics, today=_today())
    if bool(cleaned.get("reminder_consent")) != patient.reminder_consent:
        cleaned["reminder_consent_changed_at"] = timezone.now()
    before = field_values(patient, cleaned)
    for field, value in cleaned.items():
        setattr(patient, field, value)
    patient.full_clean(exclude=["reminder_consent_changed_at"])
    patient.save()
    changes = changed_fields(before=before, after=cleaned)
    audit_record(user=by, action="change", obj=patient, patient_id=patient.pk,
                 summary=f"demographics: {', '.join(changes) or 'no change'}", changes=changes)
    return patient


@transaction.atomic
def reminder_consent_withdraw(*, by, patient: Patient, summary: str = "Reminder consent withdrawn") -> None:
    """Withdraws reminder consent, dated. ``by`` is None when the patient did it themselves (the
    "stop e-mails" link)."""
    now = timezone.now()
    before = patient.reminder_consent
    Patient.objects.filter(pk=patient.pk).update(reminder_consent=False, reminder_consent_changed_at=now, updated_at=now)
    patient.reminder_consent, patient.reminder_consent_changed_at = False, now
    audit_record(user=by, action="change", obj=patient, patient_id=patient.pk, summary=summary,
                 changes={"reminder_consent": [before, False]})


def answers_turned_no(previous: Screening | None, answers: dict) -> list[str]:
    """The safety questions answered Yes in ``previous`` and No now, in questionnaire order."""
    if previous is None:
        return []
    return [name for name in Screening.FLAG_FIELDS if getattr(previous, name) and not answers.get(name)]


def _question(name: str) -> str:
    return str(Screening._meta.get_field(name).verbose_name)


def screening_record(
    *, by, patient: Patient, answers: dict, source: str = Screening.Source.STAFF, form_key: uuid.UUID | None = None
) -> Screening:
    """Adds a new dated screening; earlier answers stay in the history untouched.

    A safety answer that was Yes in the patient's latest screening and is No now (a pregnancy
    over, an infection cleared) takes the staff member's confirmation of that very answer, under
    ``answers[CONFIRMED_NO]``: a form left blank or a slip must not clear a contraindication.
    The confirmed change is audited by name. With ``form_key`` (the page's one-time key) a
    second submit of the page raises ``staff.submissions.AlreadySaved`` with this screening."""
    with form_key_guard(key=form_key, by=by), transaction.atomic():
        claim = form_key_claim(key=form_key, by=by)
        screening = _screening_create(by=by, patient=patient, answers=answers, source=source)
        form_key_result(claim, screening)
    return screening


def _screening_create(*, by, patient: Patient, answers: dict, source: str) -> Screening:
    answers = dict(answers)
    confirmed = set(answers.pop(CONFIRMED_NO, ()))
    validate_screening(answers, today=_today())
    # Locked so that two screenings recorded at once are both compared with what stands.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    turned_no = answers_turned_no(Screening.objects.latest_for(patient), answers)
    if unconfirmed := [name for name in turned_no if name not in confirmed]:
        raise ValidationError({
            CONFIRMED_NO: "These answers were Yes at the last screening and are No now: "
            f"{'; '.join(_question(name) for name in unconfirmed)}. Tick each one to confirm it with the patient."
        })
    screening = Screening.objects.create(
        patient=patient, answered_at=timezone.now(), recorded_by=by, source=source, **answers
    )
    summary = "screening" if source == Screening.Source.STAFF else f"screening ({Screening.Source(source).label})"
    audit_record(user=by, action="create", obj=screening, patient_id=patient.pk, summary=summary)
    if turned_no:
        audit_record(
            user=by, action="change", obj=screening, patient_id=patient.pk,
            summary=f"screening: confirmed Yes → No for {'; '.join(_question(name) for name in turned_no)}",
        )
    return screening


@transaction.atomic
def concerns_set(*, by, patient: Patient, concerns: dict[Concern, int | None]) -> None:
    """Replaces the patient's concerns and severities (a blank severity removes the concern)."""
    chosen = validate_concerns(concerns)
    if not chosen:
        raise ValidationError({None: "Give at least one concern with its severity (0–10)."})
    before = {pc.concern.code: pc.severity for pc in PatientConcern.objects.filter(patient=patient).select_related("concern")}
    PatientConcern.objects.filter(patient=patient).exclude(concern__in=list(chosen)).delete()
    for concern, severity in chosen.items():
        # The first severity stays as the baseline outcomes are measured from.
        PatientConcern.objects.update_or_create(
            patient=patient,
            concern=concern,
            defaults={"severity": severity},
            create_defaults={"severity": severity, "initial_severity": severity},
        )
    after = {concern.code: severity for concern, severity in chosen.items()}
    # A removed concern shows as [severity, None].
    changes = changed_fields(before=before, after={**dict.fromkeys(before), **after})
    audit_record(user=by, action="change", obj=patient, patient_id=patient.pk, summary="concerns", changes=changes)


@transaction.atomic
def consent_record(*, by, patient: Patient, kind: str, given: bool) -> Consent:
    consent = Consent.objects.create(
        patient=patient, kind=kind, given=given, form_version=CONSENT_FORM_VERSION, recorded_at=timezone.now(), recorded_by=by
    )
    audit_record(user=by, action="create", obj=consent, patient_id=patient.pk, summary=str(consent))
    return consent


def latest_consents(patient: Patient) -> dict[str, Consent | None]:
    """The consent currently in force of each kind (uses a prefetched ``consents`` list if present)."""
    current: dict[str, Consent | None] = {kind: None for kind in Consent.Kind.values}
    for consent in patient.consents.all():  # ordered newest first
        if current[consent.kind] is None:
            current[consent.kind] = consent
    return current


def has_consent(patient: Patient, kind: str) -> bool:
    consent = patient.consents.filter(kind=kind).order_by("-recorded_at", "-id").first()
    return bool(consent and consent.given)
