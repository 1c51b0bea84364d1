"""What patients ask the front desk through their e-mail links (another time, maintenance, the
remaining sessions of a series), and the front desk marking a request handled."""

from django.utils import timezone

from scheduling.models import PatientRequest, Reminder
from staff.audit import audit_record


def patient_request_create(*, reminder: Reminder, kind: str, note: str = "") -> PatientRequest:
    request = PatientRequest.objects.create(
        kind=kind, patient_id=reminder.patient_id, visit_id=reminder.visit_id, series_id=reminder.series_id,
        reminder=reminder, note=(note or "").strip()[:300],
    )
    audit_record(user=None, action="create", obj=request, patient_id=reminder.patient_id,
                 summary=f"Patient asked: {request.get_kind_display()}")
    return request


def patient_request_handle(*, request: PatientRequest, by) -> bool:
    now = timezone.now()
    done = PatientRequest.objects.filter(pk=request.pk, handled_at__isnull=True).update(handled_at=now, handled_by=by)
    if done:
        what = "Intake reviewed" if request.kind == PatientRequest.Kind.INTAKE else "Request handled"
        audit_record(user=by, action="change", obj=request, patient_id=request.patient_id, summary=what)
    return bool(done)
