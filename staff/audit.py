from django.db import models

from staff.models import AuditEvent


def audit_record(*, user, action: str, obj: models.Model, patient_id: int | None, summary: str = "") -> None:
    AuditEvent.objects.create(
        user=user if user and user.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        patient_id=patient_id,
        summary=summary[:200],
    )
