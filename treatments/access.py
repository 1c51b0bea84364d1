"""How treatments views reach a patient's clinical data: the object or 404, and the read written to
the audit log in the same step (the permission itself is checked by ``staff.access.require``)."""

from django.db import models
from django.shortcuts import get_object_or_404

from patients.models import Patient
from staff.audit import audit_record


def audit_read(request, obj: models.Model, *, summary: str) -> None:
    """Records that the signed-in user read ``obj`` (a patient or anything of one patient)."""
    patient_id = obj.pk if isinstance(obj, Patient) else obj.patient_id
    audit_record(user=request.user, action="view", obj=obj, patient_id=patient_id, summary=summary)


def fetch(request, queryset, *, summary: str = "", **lookup) -> models.Model:
    """The object matching ``lookup`` (404 when there is none); with a ``summary`` its read is
    audited at once, otherwise the view audits what it finally shows (with ``audit_read``)."""
    obj = get_object_or_404(queryset, **lookup)
    if summary:
        audit_read(request, obj, summary=summary)
    return obj
