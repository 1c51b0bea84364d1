"""Online intake: the front desk e-mails a new patient a signed link (``intake_tokens``); the
patient fills the intake form (the same forms and rules as the staff's intake page) and signs the
consents; the submit registers them, all or nothing, uses the link up, and puts the submission
on the front desk's Requests list to review. The answers kept between visits
(``intake_draft_save``) are on the server, never in the link.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from patients.intake import CONSENT_FORM_VERSION, IntakeConsents, ProbableDuplicate, intake_validate, patient_register
from patients.models import Concern, Patient, Screening
from scheduling.intake_tokens import intake_verify
from scheduling.models import IntakeInvitation, PatientRequest
from scheduling.tasks import intake_mail_after_commit
from staff.audit import audit_record
from staff.text import single_line_problem

# A draft is the form's own fields: bounded so that a hostile page cannot store megabytes.
DRAFT_MAX_FIELDS = 200
DRAFT_MAX_VALUE = 5000


def intake_invite(*, by, first_name: str, last_name: str, email: str) -> IntakeInvitation:
    """Records an invitation for a new patient and e-mails its link once committed."""
    cleaned = {"first_name": (first_name or "").strip(), "last_name": (last_name or "").strip(),
               "email": (email or "").strip().lower()}
    errors: dict[str, list[str]] = {}
    for field in ("first_name", "last_name"):
        problem = single_line_problem(cleaned[field]) if cleaned[field] else "This field is required."
        if problem:
            errors[field] = [problem]
    try:
        validate_email(cleaned["email"])
    except ValidationError:
        errors["email"] = ["Enter a valid e-mail address, like name@example.com."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        invitation = IntakeInvitation.objects.create(created_by=by, created_at=timezone.now(), **cleaned)
        audit_record(user=by, action="create", obj=invitation, patient_id=None,
                     summary=f"Online intake invitation e-mailed to {cleaned['email']}")
        intake_mail_after_commit(which="invitation", invitation_id=invitation.pk)
    return invitation


def intake_draft_save(*, token: str, data: dict[str, list[str]]) -> IntakeInvitation:
    """Keeps the patient's answers so far (the form's fields, as posted) until they come back."""
    invitation = intake_verify(token=token)
    draft = {str(key)[:100]: [str(v)[:DRAFT_MAX_VALUE] for v in values][:20]
             for key, values in list(data.items())[:DRAFT_MAX_FIELDS] if key != "csrfmiddlewaretoken"}
    with transaction.atomic():
        saved = IntakeInvitation.objects.filter(pk=invitation.pk, submitted_at__isnull=True).update(
            draft=draft, draft_saved_at=timezone.now())
        if saved:
            audit_record(user=None, action="change", obj=invitation, patient_id=None,
                         summary="Online intake: the patient saved their answers to finish later")
    return invitation


def signature_problem(*, signed_name: str, demographics: dict) -> str | None:
    """The consent is signed by typing one's full name: the name given above, any case or spacing."""
    full = " ".join(f"{demographics.get('first_name') or ''} {demographics.get('last_name') or ''}".split())
    if not full:
        return None  # the name itself is missing: that message is enough
    if " ".join((signed_name or "").split()).casefold() != full.casefold():
        return f"Type your full name as given above ({full}) to sign the consent."
    return None


def intake_check(*, demographics: dict, screening: dict | None, concerns: dict[Concern, int | None] | None,
                 consents: IntakeConsents, signed_name: str) -> None:
    """Every rule of the online form at once: the intake rules and the signature."""
    errors: dict = {}
    try:
        intake_validate(demographics=demographics, screening=screening, concerns=concerns, consents=consents,
                        today=timezone.localdate())
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if problem := signature_problem(signed_name=signed_name, demographics=demographics):
        errors.setdefault("signed_name", []).append(problem)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def intake_submit(*, token: str, demographics: dict, screening: dict, concerns: dict[Concern, int | None],
                  consents: IntakeConsents, signed_name: str) -> Patient:
    """Registers the patient from their own answers (screening marked as theirs, consents signed
    with their typed name and the form version), uses the link up, and lists the submission for
    the front desk to review; raises ``LinkError`` (link) or ``ValidationError`` (answers), and
    then nothing is saved."""
    invitation = intake_verify(token=token, lock=True)
    intake_check(demographics=demographics, screening=screening, concerns=concerns, consents=consents,
                 signed_name=signed_name)
    register = {"by": None, "demographics": demographics, "screening": screening, "concerns": concerns,
                "consents": consents, "screening_source": Screening.Source.PATIENT_INTAKE}
    note = ""
    try:
        with transaction.atomic():
            patient = patient_register(**register)
    except ProbableDuplicate as exc:
        # The patient cannot judge that: staff do, at the review.
        note = "Possible duplicate of: " + "; ".join(f"{p.full_name} (#{p.pk})" for p in exc.matches)
        patient = patient_register(**register, confirmed_new=True)
    now = timezone.now()
    invitation.submitted_at, invitation.patient = now, patient
    invitation.signed_name, invitation.form_version = " ".join(signed_name.split()), CONSENT_FORM_VERSION
    invitation.draft, invitation.draft_saved_at = {}, None
    invitation.save(update_fields=["submitted_at", "patient", "signed_name", "form_version", "draft", "draft_saved_at"])
    request = PatientRequest.objects.create(kind=PatientRequest.Kind.INTAKE, patient=patient, note=note[:300])
    audit_record(user=None, action="create", obj=request, patient_id=patient.pk,
                 summary=f"Online intake submitted; consent signed “{invitation.signed_name}”, form {CONSENT_FORM_VERSION}")
    intake_mail_after_commit(which="received", invitation_id=invitation.pk)
    return patient
