"""How a view gets a patient: permission, lookup and read audit in one call.

Every patients view that shows or changes one patient's record starts here, so none can forget
the permission check or the audit event of a read.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from patients.models import Patient
from staff.audit import audit_record

# Requests that only read. A write is audited by the domain function that makes it.
READ_METHODS = frozenset({"GET", "HEAD"})


def patient_for(
    request: HttpRequest,
    pk: int,
    *,
    perms: tuple[str, ...],
    read: str | None,
    queryset: QuerySet[Patient] | None = None,
) -> Patient:
    """The patient ``pk`` for this request.

    403 without ``perms`` (checked before the lookup, so nobody without the right learns which
    ids exist), 404 if there is no such patient. ``read`` names what the page shows of the
    record; a reading request (GET) writes it to the audit log as a "view". ``None`` for views
    that only act (their write is audited where it is made).
    """
    if not request.user.has_perms(perms):
        raise PermissionDenied
    patient = get_object_or_404(Patient.objects.all() if queryset is None else queryset, pk=pk)
    if read is not None and request.method in READ_METHODS:
        audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk, summary=read)
    return patient
