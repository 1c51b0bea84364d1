from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from patients.forms import (
    ConcernsForm,
    ConsentChangeForm,
    ConsentForm,
    DuplicateConfirmForm,
    PatientForm,
    ScreeningForm,
    SearchForm,
)
from patients.intake import (
    IntakeConsents,
    concerns_set,
    consent_record,
    latest_consents,
    patient_register,
    patient_update,
    screening_record,
)
from patients.models import Concern, Patient, PatientConcern, Screening
from patients.search import patient_matches, patient_search, picker_label, probable_duplicates
from staff.access import require
from staff.errors import add_domain_errors
from staff.audit import audit_record

PAGE_SIZE = 25


def get_patient(pk: int, *, detail: bool = False) -> Patient:
    queryset = Patient.objects.all()
    if detail:
        queryset = queryset.prefetch_related(
            Prefetch("screenings", queryset=Screening.objects.select_related("recorded_by")),
            Prefetch("concerns", queryset=PatientConcern.objects.select_related("concern")),
            "consents",
        )
    return get_object_or_404(queryset, pk=pk)


@require("patients.view_patient")
def patient_list(request):
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    patients = patient_search(query) if query else Patient.objects.all()
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/list.html", {"form": form, "query": query, "page": page})


@require("patients.view_patient")
def patient_search_results(request):
    """The matches of a patient picker as you type (JSON: id and label, at most 20)."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = [{"id": p.pk, "label": picker_label(p)} for p in patient_matches(query)] if query else []
    return JsonResponse({"results": results})


@require("patients.add_patient", "patients.add_screening")
@require_http_methods(["GET", "POST"])
def intake(request):
    concerns = list(Concern.objects.filter(active=True))
    data = request.POST if request.method == "POST" else None
    patient_form = PatientForm(data, prefix="p")
    screening_form = ScreeningForm(data, prefix="s")
    concerns_form = ConcernsForm(data, prefix="c", concerns=concerns)
    consent_form = ConsentForm(data, prefix="k")
    duplicate_form = DuplicateConfirmForm(data, prefix="d")
    forms = [patient_form, screening_form, concerns_form, consent_form, duplicate_form]
    duplicates: list[Patient] = []

    if data is not None and all(form.is_valid() for form in forms):
        demographics = patient_form.cleaned_data
        duplicates = probable_duplicates(
            first_name=demographics["first_name"],
            last_name=demographics["last_name"],
            date_of_birth=demographics["date_of_birth"],
            email=demographics.get("email") or "",
        )
        if duplicates and not duplicate_form.cleaned_data["confirm_new"]:
            duplicate_form.add_error(
                "confirm_new",
                "This looks like a patient who is already registered (listed above). Open their record, "
                "or tick this box if it is a different person.",
            )
        else:
            try:
                patient = patient_register(
                    by=request.user,
                    demographics=demographics,
                    screening=screening_form.answers(),
                    concerns=concerns_form.severities(),
                    consents=IntakeConsents(
                        treatment=consent_form.cleaned_data["treatment_consent"],
                        photos=consent_form.cleaned_data["photo_consent"],
                    ),
                )
            except ValidationError as exc:
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
            "duplicates": duplicates,
            "has_errors": data is not None,
        },
        status=400 if data is not None else 200,
    )


@require("patients.view_patient")
def patient_detail(request, pk: int):
    patient = get_patient(pk, detail=True)
    audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk)
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


@require("patients.change_patient")
@require_http_methods(["GET", "POST"])
def patient_edit(request, pk: int):
    patient = get_patient(pk)
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


@require("patients.add_screening")
@require_http_methods(["GET", "POST"])
def screening_new(request, pk: int):
    patient = get_patient(pk)
    previous = Screening.objects.latest_for(patient)
    initial = {name: getattr(previous, name) for name in ScreeningForm.Meta.fields} if previous else None
    form = ScreeningForm(request.POST or None, initial=initial, prefix="s")
    if request.method == "POST" and form.is_valid():
        try:
            screening_record(by=request.user, patient=patient, answers=form.answers())
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "New screening saved; earlier answers stay in the history.")
            return redirect("patients:detail", pk=pk)
    return render(request, "patients/screening_form.html", {"patient": patient, "form": form})


@require("patients.change_patient")
@require_http_methods(["GET", "POST"])
def concerns_edit(request, pk: int):
    patient = get_patient(pk)
    concerns = list(Concern.objects.filter(active=True))
    current = dict(patient.concerns.values_list("concern_id", "severity"))
    form = ConcernsForm(request.POST or None, prefix="c", concerns=concerns, initial_severities=current)
    if request.method == "POST" and form.is_valid():
        try:
            concerns_set(by=request.user, patient=patient, concerns=form.severities())
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "Concerns saved.")
            return redirect("patients:detail", pk=pk)
    return render(request, "patients/concerns_form.html", {"patient": patient, "form": form})


@require("patients.add_consent")
@require_http_methods(["POST"])
def consent_change(request, pk: int):
    patient = get_patient(pk)
    form = ConsentChangeForm(request.POST)
    if form.is_valid():
        consent_record(by=request.user, patient=patient, kind=form.cleaned_data["kind"], given=form.cleaned_data["given"])
        messages.success(request, "Consent recorded.")
    else:
        messages.error(request, "Choose the kind of consent and whether it is given or withdrawn.")
    return redirect("patients:detail", pk=pk)
