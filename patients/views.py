"""Patients pages. Each has one shape: the patient through ``patients.access.patient_for``
(permission, lookup, read audit) → a form → one function of ``patients.intake`` → redirect or
render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from patients import rights
from patients.access import patient_for
from patients.forms import (
    ConcernsForm,
    ConsentChangeForm,
    ConsentForm,
    DuplicateConfirmForm,
    PatientForm,
    RightsConfirmForm,
    ScreeningForm,
    SearchForm,
)
from patients.intake import (
    IntakeConsents,
    ProbableDuplicate,
    concerns_set,
    consent_record,
    intake_validate,
    latest_consents,
    patient_register,
    patient_update,
    screening_record,
)
from patients.models import Patient, Screening
from patients.rights import expected_confirmation, export_filename
from patients.search import patient_matches, picker_label
from patients.selectors import active_concerns, concern_severities, patients_listed, patients_with_record
from staff.access import require, staff_only
from staff.audit import audit_listing
from staff.errors import add_domain_errors, add_remaining_errors
from staff.submissions import AlreadySaved, FormKeyForm

PAGE_SIZE = 25


@require("patients.view_patient")
def patient_list(request):
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page = Paginator(patients_listed(query), PAGE_SIZE).get_page(request.GET.get("page"))
    searched = f"search {query!r}" if query else "all patients"
    audit_listing(user=request.user, summary=f"patient list, {searched}, page {page.number}",
                  rows=[(patient, patient.pk) for patient in page])
    return render(request, "patients/list.html", {"form": form, "query": query, "page": page})


@require("patients.view_patient")
def patient_search_results(request):
    """The matches of a patient picker as you type (JSON: id and label, at most 20)."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = [{"id": p.pk, "label": picker_label(p)} for p in patient_matches(query)] if query else []
    return JsonResponse({"results": results})


def _add_rule_errors(patient_form, screening_form, concerns_form, *others, consents: IntakeConsents) -> None:
    """The forms refused something: still run every intake rule on what they accepted, so the page
    shows all problems at once (a missing consent with a bad birth date), none of them twice."""
    forms = [patient_form, screening_form, concerns_form, *others]
    try:
        intake_validate(
            demographics=patient_form.cleaned_data,
            screening=screening_form.answers() if screening_form.is_valid() else None,
            concerns=concerns_form.severities() if concerns_form.is_valid() else None,
            consents=consents, today=timezone.localdate(),
        )
    except ValidationError as exc:
        add_remaining_errors(exc, *forms)


@require("patients.add_patient", "patients.add_screening")
@require_http_methods(["GET", "POST"])
def intake(request):
    data = request.POST if request.method == "POST" else None
    patient_form = PatientForm(data, prefix="p")
    screening_form = ScreeningForm(data, prefix="s", previous=None)
    concerns_form = ConcernsForm(data, prefix="c", concerns=active_concerns())
    consent_form = ConsentForm(data, prefix="k")
    duplicate_form = DuplicateConfirmForm(data, prefix="d")
    once_form = FormKeyForm(data)
    forms = [patient_form, screening_form, concerns_form, consent_form, duplicate_form]
    duplicates: list[Patient] = []

    valid = [form.is_valid() for form in forms]
    consents = IntakeConsents(treatment=consent_form.cleaned_data.get("treatment_consent", False),
                              photos=consent_form.cleaned_data.get("photo_consent", False)) if data is not None else None
    if data is not None and not all(valid):
        _add_rule_errors(patient_form, screening_form, concerns_form, consent_form, duplicate_form, consents=consents)
    if data is not None and all(valid):
        try:
            patient = patient_register(
                by=request.user,
                demographics=patient_form.cleaned_data,
                screening=screening_form.answers(),
                concerns=concerns_form.severities(),
                consents=consents,
                confirmed_new=duplicate_form.cleaned_data["confirm_new"],
                form_key=once_form.key,
            )
        except AlreadySaved as done:
            # A double click or a retry after a timeout: the first submit registered the patient.
            messages.info(request, "Already saved: the first submit of this page registered this patient; "
                                   "nobody was registered twice.")
            return redirect("patients:detail", pk=done.result_id)
        except ValidationError as exc:
            if isinstance(exc, ProbableDuplicate):
                duplicates = exc.matches
            add_domain_errors(exc, *forms)
        else:
            messages.success(request, f"{patient} is registered.")
            return redirect("patients:detail", pk=patient.pk)

    return render(
        request,
        "patients/intake.html",
        {
            "patient_form": patient_form,
            "screening_form": screening_form,
            "concerns_form": concerns_form,
            "consent_form": consent_form,
            "duplicate_form": duplicate_form,
            "once_form": once_form,
            "duplicates": duplicates,
            "has_errors": data is not None,
        },
        status=400 if data is not None else 200,
    )


@staff_only
def patient_detail(request, pk: int):
    patient = patient_for(request, pk, perms=("patients.view_patient",), read="record", queryset=patients_with_record())
    screenings = list(patient.screenings.all())
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "latest_screening": screenings[0] if screenings else None,
            "earlier_screenings": screenings[1:],
            "consents": latest_consents(patient),
            "all_consents": list(patient.consents.all()),
        },
    )


@staff_only
@require_http_methods(["GET", "POST"])
def patient_edit(request, pk: int):
    patient = patient_for(request, pk, perms=("patients.change_patient",), read="details form")
    form = PatientForm(request.POST or None, instance=patient, prefix="p")
    if request.method == "POST" and form.is_valid():
        try:
            patient_update(by=request.user, patient=patient, demographics=form.cleaned_data)
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "Details saved.")
            return redirect("patients:detail", pk=pk)
    return render(request, "patients/edit.html", {"patient": patient, "form": form})


@staff_only
@require_http_methods(["GET", "POST"])
def screening_new(request, pk: int):
    # The form starts from the previous answers, so opening it reads the latest screening.
    patient = patient_for(request, pk, perms=("patients.add_screening",), read="screening form")
    previous = Screening.objects.latest_for(patient)
    initial = {name: getattr(previous, name) for name in ScreeningForm.Meta.fields} if previous else None
    data = request.POST if request.method == "POST" else None  # an empty POST is bound: refused, not a blank form
    form = ScreeningForm(data, initial=initial, prefix="s", previous=previous)
    once_form = FormKeyForm(data)
    if request.method == "POST" and form.is_valid():
        try:
            screening_record(by=request.user, patient=patient, answers=form.answers(), form_key=once_form.key)
        except AlreadySaved:
            messages.info(request, "Already saved: the first submit of this page saved this screening; "
                                   "it was not saved twice.")
            return redirect("patients:detail", pk=pk)
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "New screening saved; earlier answers stay in the history.")
            return redirect("patients:detail", pk=pk)
    return render(request, "patients/screening_form.html", {"patient": patient, "form": form, "once_form": once_form})


@staff_only
@require_http_methods(["GET", "POST"])
def concerns_edit(request, pk: int):
    patient = patient_for(request, pk, perms=("patients.change_patient",), read="concerns form")
    form = ConcernsForm(
        request.POST or None, prefix="c", concerns=active_concerns(), initial_severities=concern_severities(patient)
    )
    if request.method == "POST" and form.is_valid():
        try:
            concerns_set(by=request.user, patient=patient, concerns=form.severities())
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "Concerns saved.")
            return redirect("patients:detail", pk=pk)
    return render(request, "patients/concerns_form.html", {"patient": patient, "form": form})


@staff_only
@require_http_methods(["POST"])
def consent_change(request, pk: int):
    patient = patient_for(request, pk, perms=("patients.add_consent",), read=None)
    form = ConsentChangeForm(request.POST)
    if form.is_valid():
        consent_record(by=request.user, patient=patient, kind=form.cleaned_data["kind"], given=form.cleaned_data["given"])
        messages.success(request, "Consent recorded.")
    else:
        messages.error(request, "Choose the kind of consent and whether it is given or withdrawn.")
    return redirect("patients:detail", pk=pk)


# --- Data rights (clinic admin) --------------------------------------------------------------------
def _rights_page(request, patient: Patient, form: RightsConfirmForm, *, action: str):
    return render(
        request,
        "patients/rights/confirm.html",
        {"patient": patient, "form": form, "action": action, "expected": expected_confirmation(patient)},
        status=400 if request.method == "POST" else 200,
    )


@staff_only
@require_http_methods(["GET", "POST"])
def patient_export(request, pk: int):
    patient = patient_for(request, pk, perms=("patients.export_patient_data",), read="export page")
    form = RightsConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            archive = rights.patient_export(patient=patient, by=request.user, confirmation=form.cleaned_data["confirmation"])
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            response = HttpResponse(archive, content_type="application/zip")
            filename = export_filename(patient, today=timezone.localdate())
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
    return _rights_page(request, patient, form, action="export")


@staff_only
@require_http_methods(["GET", "POST"])
def patient_anonymise(request, pk: int):
    patient = patient_for(request, pk, perms=("patients.anonymise_patient",), read="anonymisation page")
    form = RightsConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rights.patient_anonymise(patient=patient, by=request.user, confirmation=form.cleaned_data["confirmation"])
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "The record is anonymised; the clinical history is kept.")
            return redirect("patients:detail", pk=pk)
    return _rights_page(request, patient, form, action="anonymise")
