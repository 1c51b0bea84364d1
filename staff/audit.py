"""Writing the audit trail: one function per kind of event, all through ``_event``.

Each event carries SHA-256 of its canonical content; the database's insert trigger chains it to
the previous event (see ``staff/migrations/0004_audit_chain.py`` and ``staff.audit_chain``).
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from staff.models import AuditEvent

# {field: [before, after]}
Changes = dict[str, list[Any]]


def canonical_content(event: AuditEvent) -> str:
    """The event's content as one deterministic string (what ``content_hash`` is taken over)."""
    content = {
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "user": event.user_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient": event.patient_id,
        "summary": event.summary,
        "changes": event.changes,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def content_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical_content(event).encode()).hexdigest()


def changed_fields(*, before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """``{field: [before, after]}`` for the fields whose value differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def field_values(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def _event(*, user, action: str, object_type: str, object_id: str, patient_id: int | None,
           summary: str, changes: Mapping | None) -> AuditEvent:
    event = AuditEvent(
        at=timezone.now(),
        user=user if user and user.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        summary=summary[:200],
        # Dates, decimals and the like as the JSON text they are stored as, so the hash taken now
        # is the hash of what is read back.
        changes=json.loads(json.dumps(dict(changes or {}), cls=DjangoJSONEncoder)),
    )
    event.content_hash = content_hash(event)
    return event


def audit_record(*, user, action: str, obj: models.Model, patient_id: int | None, summary: str = "",
                 changes: Mapping | None = None) -> None:
    _event(user=user, action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
           patient_id=patient_id, summary=summary, changes=changes).save()


def audit_records(*, user, action: str, items: Iterable[tuple[models.Model, int | None]], summary: str = "") -> None:
    """One audit event per (object, patient id), written in one query (for lists of patients)."""
    events = [
        _event(user=user, action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
               patient_id=patient_id, summary=summary, changes=None)
        for obj, patient_id in items
    ]
    if events:
        AuditEvent.objects.bulk_create(events)


def audit_listing(*, user, summary: str, rows: Iterable[tuple[models.Model, int | None]]) -> None:
    """A list or search page: one event for the page itself (its summary names the search term
    and page, and is written even when nothing matched), then one per record shown; one query."""
    page_event = _event(user=user, action="view", object_type="list", object_id="", patient_id=None,
                        summary=summary, changes=None)
    shown = [
        _event(user=user, action="view", object_type=obj._meta.label_lower, object_id=str(obj.pk),
               patient_id=patient_id, summary=summary, changes=None)
        for obj, patient_id in rows
    ]
    AuditEvent.objects.bulk_create([page_event, *shown])


def audit_account(*, user, action: str, account, summary: str = "", changes: Mapping | None = None) -> None:
    """An event about a staff account (login, role, permission, password); ``account`` may be None
    for a failed login under an unknown name (the summary then says which name was tried)."""
    _event(user=user, action=action, object_type="auth.user", object_id=str(account.pk) if account else "",
           patient_id=None, summary=summary, changes=changes).save()

