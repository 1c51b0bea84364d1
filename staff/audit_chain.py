"""Checking the audit trail's hash chain (``manage.py audit_verify``)."""

import hashlib
from dataclasses import dataclass

from django.db.models import F

from staff.audit import content_hash
from staff.models import AuditEvent


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    event_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def link_hash(prev_hash: str, event_content_hash: str) -> str:
    return hashlib.sha256((prev_hash + event_content_hash).encode()).hexdigest()


def _problem(event: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"sequence number {event.seq}, expected {expected_seq} (an event is missing or unchained)"
    if content_hash(event) != event.content_hash:
        return "content does not match its hash (the event was altered)"
    if event.prev_hash != prev_hash:
        return "does not link to the previous event's hash"
    if link_hash(event.prev_hash, event.content_hash) != event.hash:
        return "chain hash is wrong"
    return None


def verify_chain() -> ChainReport:
    """Walk every event in chain order; stop at the first one that does not hold."""
    prev_hash = ""
    checked = 0
    # Unchained rows (seq NULL) sort last, so they are reported, not skipped.
    events = AuditEvent.objects.order_by(F("seq").asc(nulls_last=True), "id").iterator(chunk_size=2000)
    for expected_seq, event in enumerate(events, start=1):
        problem = _problem(event, expected_seq, prev_hash)
        if problem:
            return ChainReport(checked=checked, first_break=ChainBreak(seq=event.seq, event_id=event.pk, reason=problem))
        prev_hash = event.hash
        checked += 1
    return ChainReport(checked=checked, first_break=None)
