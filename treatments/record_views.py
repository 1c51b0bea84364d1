"""Treatments pages after the session: the record with its addenda and photos, the patient's
sessions, photo comparison and a series' outcomes (same shape as ``treatments.views``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from patients.models import Patient
from scheduling.models import Series
from staff.access import require
from staff.errors import add_domain_errors
from treatments import selectors
from treatments.access import audit_read, fetch
from treatments.addenda import addendum_add
from treatments.catalogue import concern_names
from treatments.chart import face_chart
from treatments.forms import AddendumForm, PhotoForm
from treatments.models import SessionPhoto, SessionRecord
from treatments.outcomes import series_outcome
from treatments.photos import first_and_latest, may_show_photos, photo_open, photo_upload, versions_by_view
from treatments.sessions import (
    plan_concerns,
    session_items,
)


def _render_record(request, record: SessionRecord, photo_form=None, addendum_form=None, status=200):
    chosen = session_items(record, concerns=plan_concerns(record.plan))
    may_photos = request.user.has_perm("treatments.view_sessionphoto") and may_show_photos(record.patient)
    audit_read(request, record, summary="session record")
    return render(
        request,
        "treatments/session_detail.html",
        {
            "record": record,
            "visit": record.visit,
            "patient": record.patient,
            "items": chosen,
            "ratings": list(record.ratings.select_related("concern")),
            "reactions": list(record.reactions.all()),
            "addenda": list(record.addenda.select_related("author")),
            "addendum_form": addendum_form or AddendumForm(),
            "photos": versions_by_view(list(record.photos.all())) if may_photos else [],
            "photo_consent": may_photos,
            "photo_form": photo_form or PhotoForm(),
            "chart": face_chart(items=chosen, concern_names=concern_names()),
        },
        status=status,
    )


_RECORD_RELATED = ("visit", "patient", "series", "plan", "screening", "recorded_by")


@require("treatments.view_sessionrecord")
def session_detail(request, pk: int):
    record = fetch(request, SessionRecord.objects.select_related(*_RECORD_RELATED), pk=pk)
    return _render_record(request, record)


@require("treatments.view_sessionrecord", "treatments.add_sessionphoto")
@require_POST
def photo_new(request, pk: int):
    record = fetch(request, SessionRecord.objects.select_related(*_RECORD_RELATED), pk=pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            photo_upload(by=request.user, record=record, view=form.cleaned_data["view"], upload=form.cleaned_data["image"])
        except ValidationError as exc:
            form.add_error("image", exc)
        else:
            messages.success(request, "The photo is stored.")
            return redirect("treatments:session_detail", pk=record.pk)
    return _render_record(request, record, photo_form=form, status=400)


@require("treatments.view_sessionrecord", "treatments.add_sessionrecord")
@require_POST
def addendum_new(request, pk: int):
    """Adds a correction or later observation under a session record (the record itself is never changed)."""
    record = fetch(request, SessionRecord.objects.select_related(*_RECORD_RELATED), pk=pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            addendum_add(by=request.user, record=record, text=form.cleaned_data["text"])
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "The addendum is added under the record.")
            return redirect("treatments:session_detail", pk=record.pk)
    return _render_record(request, record, addendum_form=form, status=400)


@require("treatments.view_sessionphoto")
def photo_file(request, pk: int):
    """Streams a photo to permitted staff; the files have no URL of their own."""
    photo = fetch(request, SessionPhoto.objects.select_related("patient"), pk=pk)
    if not may_show_photos(photo.patient):
        raise Http404("The patient's photo consent is not in force.")
    audit_read(request, photo, summary=f"{photo.view} photo")
    response = FileResponse(photo_open(photo), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require("treatments.view_sessionphoto")
def photo_compare(request, patient_pk: int):
    """The first and the latest photo of each view, side by side."""
    patient = fetch(request, Patient, pk=patient_pk, summary="photo comparison")
    consent = may_show_photos(patient)
    return render(
        request,
        "treatments/photo_compare.html",
        {"patient": patient, "consent": consent, "rows": first_and_latest(patient) if consent else []},
    )


@require("treatments.view_sessionrecord")
def patient_sessions(request, patient_pk: int):
    """A patient's session records, series (with their outcomes) and visits waiting for a record."""
    patient = fetch(request, Patient, pk=patient_pk, summary="session records")
    page = selectors.patient_sessions(patient)
    return render(
        request,
        "treatments/patient_sessions.html",
        {"patient": patient, "records": page.records, "series_list": page.series, "waiting": page.waiting},
    )


@require("treatments.view_sessionrecord")
def series_outcomes(request, pk: int):
    """Ratings per concern across the series (chart and table) and the printable summary."""
    series = fetch(
        request, Series.objects.select_related("patient", "practitioner", "appointment_type"), pk=pk, summary="series outcomes"
    )
    outcome = series_outcome(series)
    return render(request, "treatments/series_outcomes.html", {"series": series, "patient": series.patient, "outcome": outcome})
