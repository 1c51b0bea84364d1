from collections.abc import Iterable

from django.db import models

from staff.models import AuditEvent


def _event(
    *, user, action: str, obj: models.Model, patient_id: int | None, summary: str, changes: dict | None = None
) -> AuditEvent:
    return AuditEvent(
        changes=changes or {},
        user=user if user and user.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        patient_id=patient_id,
        summary=summary[:200],
    )


def audit_record(*, user, action: str, obj: models.Model, patient_id: int | None, summary: str = "") -> None:
    _event(user=user, action=action, obj=obj, patient_id=patient_id, summary=summary).save()


def audit_records(*, user, action: str, items: Iterable[tuple[models.Model, int | None]], summary: str = "") -> None:
    """One audit event per (object, patient id), written in one query (for lists of patients)."""
    events = [_event(user=user, action=action, obj=obj, patient_id=patient_id, summary=summary) for obj, patient_id in items]
    if events:
        AuditEvent.objects.bulk_create(events)


def audit_changes(*, user, action: str, obj: models.Model, changes: dict[str, list], summary: str = "") -> None:
    """One event with each changed field's before and after value (``{"field": [before, after]}``,
    JSON values), for records outside any patient's file such as the safety catalogue."""
    _event(user=user, action=action, obj=obj, patient_id=None, summary=summary, changes=changes).save()
