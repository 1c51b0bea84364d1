"""The one way scheduling views fetch a record: permission first (403, so someone without it
learns nothing about which ids exist), then the row (404), and for a page that shows a patient's
record the read audit (who read it, when).

Signing in is still the view decorator's job (``staff.access``): an anonymous user is sent to
the login page before any of this runs.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from patients.models import Patient
from scheduling.models import AffectedVisit, FreedSlot, PatientRequest, Reminder, Visit, WaitlistEntry
from staff.audit import audit_record

VIEW_VISIT = "scheduling.view_visit"


def _fetch(request: HttpRequest, queryset: models.QuerySet, pk: int, *, perm: str):
    if not request.user.has_perm(perm):
        raise PermissionDenied
    return get_object_or_404(queryset, pk=pk)


def visit_for(request: HttpRequest, pk: int, *, perm: str = VIEW_VISIT, audit: bool = False) -> Visit:
    """The visit with everything its page shows; ``audit`` records the read."""
    visit = _fetch(
        request, Visit.objects.select_related(
            "patient", "practitioner", "room", "appointment_type", "series", "make_up_for", "make_up",
        ), pk,
        perm=perm,
    )
    if audit:
        audit_record(user=request.user, action="view", obj=visit, patient_id=visit.patient_id)
    return visit


def patient_for(request: HttpRequest, pk: int, *, perm: str, audit_summary: str | None = None) -> Patient:
    """A patient for a scheduling page; with ``audit_summary`` the read is recorded under it."""
    patient = _fetch(request, Patient.objects.all(), pk, perm=perm)
    if audit_summary is not None:
        audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk, summary=audit_summary)
    return patient


def reminder_for(request: HttpRequest, pk: int, *, perm: str) -> Reminder:
    return _fetch(request, Reminder.objects.select_related("patient"), pk, perm=perm)


def patient_request_for(request: HttpRequest, pk: int, *, perm: str) -> PatientRequest:
    return _fetch(request, PatientRequest.objects.select_related("patient"), pk, perm=perm)


def affected_visit_for(request: HttpRequest, pk: int, *, perm: str) -> AffectedVisit:
    return _fetch(
        request, AffectedVisit.objects.select_related("visit__patient", "visit__practitioner", "closure", "time_off"),
        pk, perm=perm,
    )


def waitlist_entry_for(request: HttpRequest, pk: int, *, perm: str) -> WaitlistEntry:
    return _fetch(request, WaitlistEntry.objects.select_related("patient", "practitioner"), pk, perm=perm)


def freed_slot_for(request: HttpRequest, pk: int, *, perm: str) -> FreedSlot:
    return _fetch(request, FreedSlot.objects.all(), pk, perm=perm)
