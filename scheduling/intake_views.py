"""Online intake pages: the front desk's invitation (login) and the patient's form behind the
signed link (no login; see ``scheduling.intake_tokens``). GET only shows the form; its buttons
POST (with CSRF): "Save and finish later" keeps the answers, "Send" registers, once."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from patients.forms import ConcernsForm, ScreeningForm
from patients.intake import CONSENT_FORM_VERSION, IntakeConsents
from patients.selectors import active_concerns
from scheduling.intake_forms import IntakeInviteForm, OwnDetailsForm, SignedConsentForm
from scheduling.intake_links import intake_check, intake_draft_save, intake_invite, intake_submit
from scheduling.intake_tokens import intake_verify
from scheduling.link_views import problem_page
from scheduling.models import ClinicSettings
from scheduling.reminders.tokens import LinkError
from staff.access import require
from staff.errors import add_domain_errors, add_remaining_errors


@require("patients.add_patient")
@require_http_methods(["GET", "POST"])
def intake_invite_page(request):
    form = IntakeInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = intake_invite(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, f"The intake form is on its way to {invitation.email}.")
            return redirect("patients:list")
    return render(request, "scheduling/intake_invite.html", {"form": form},
                  status=400 if form.errors else 200)


def _forms(data):
    return {
        "details": OwnDetailsForm(data, prefix="p"),
        "concerns": ConcernsForm(data, prefix="c", concerns=active_concerns()),
        "screening": ScreeningForm(data, prefix="s", previous=None),
        "consent": SignedConsentForm(data, prefix="k"),
    }


def _send(token: str, forms: dict) -> bool:
    """Validates every form and rule, all problems at once; registers if all is well."""
    details, concerns, screening, consent = forms.values()
    valid = all([form.is_valid() for form in forms.values()])
    demographics = {**details.cleaned_data, "reminder_consent": consent.cleaned_data.get("reminder_consent", False)}
    consents = IntakeConsents(treatment=consent.cleaned_data.get("treatment_consent", False),
                              photos=consent.cleaned_data.get("photo_consent", False))
    signed_name = consent.cleaned_data.get("signed_name", "")
    if not valid:
        try:
            intake_check(demographics=demographics, screening=screening.answers() if screening.is_valid() else None,
                         concerns=concerns.severities() if concerns.is_valid() else None, consents=consents,
                         signed_name=signed_name)
        except ValidationError as exc:
            add_remaining_errors(exc, *forms.values())
        return False
    answers = screening.answers()
    answers.pop("confirmed_no", None)
    try:
        intake_submit(token=token, demographics=demographics, screening=answers, concerns=concerns.severities(),
                      consents=consents, signed_name=signed_name)
    except ValidationError as exc:
        add_domain_errors(exc, *forms.values())
        return False
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def intake_page(request, token: str):
    clinic = ClinicSettings.load()
    try:
        invitation = intake_verify(token=token)
        if request.method == "POST" and "save" in request.POST:
            intake_draft_save(token=token, data=dict(request.POST.lists()))
            return render(request, "scheduling/links/intake_saved.html", {"clinic": clinic, "invitation": invitation})
        forms = _forms(request.POST) if request.method == "POST" else _restore(invitation)
        if request.method == "POST" and _send(token, forms):
            return render(request, "scheduling/links/intake_done.html", {"clinic": clinic, "invitation": invitation})
    except LinkError as exc:
        return problem_page(request, exc.reason)
    return render(request, "scheduling/links/intake.html", {
        "clinic": clinic, "invitation": invitation, "forms": forms, "form_version": CONSENT_FORM_VERSION,
        "now": timezone.now(), "has_errors": request.method == "POST",
    }, status=400 if request.method == "POST" else 200)


def _restore(invitation) -> dict:
    """The page as the patient left it (their saved draft), or prefilled with the invitation's
    name and e-mail. Bound to the draft so every answer shows as given, without its errors: those
    come when they send."""
    if invitation.draft:
        data = QueryDict(mutable=True)
        for key, values in invitation.draft.items():
            data.setlist(key, values)
        forms = _forms(data)
        for form in forms.values():
            form._errors = ErrorDict()  # not validated yet: no messages on a restored page
        return forms
    forms = _forms(None)
    forms["details"].initial = {"first_name": invitation.first_name, "last_name": invitation.last_name,
                                "email": invitation.email}
    return forms
