"""Addenda to session records: a record is never changed, so a correction or a later observation
is added under it, with its author and time (``SessionAddendum``), and audited."""

from django.core.exceptions import ValidationError
from django.db import transaction

from staff.audit import audit_record
from treatments.models import SessionAddendum, SessionRecord


def addendum_add(*, by, record: SessionRecord, text: str) -> SessionAddendum:
    """Adds ``text`` under the record. Refused (ValidationError on ``text``, nothing written) when
    it is empty, too long or holds control characters, or when the patient is anonymised (their
    record keeps no new free text)."""
    if record.patient.anonymised_at is not None:
        raise ValidationError("This patient's record is anonymised: no addendum can be added.")
    addendum = SessionAddendum(record=record, author=by, text=text.strip())
    problems = SessionAddendum.insert_problems([addendum])
    if problems:
        raise ValidationError({"text": problems})
    with transaction.atomic():
        addendum.save()
        audit_record(
            user=by, action="create", obj=addendum, patient_id=record.patient_id,
            summary=f"addendum to the session record {record.pk}",
        )
    return addendum
