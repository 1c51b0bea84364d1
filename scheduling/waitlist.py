"""The waiting list per practitioner: the front desk adds a patient with the window that suits them,
removes them or marks them done; a time freed by a cancellation or a move
(``scheduling.freed_slots``) lists the waiting patients whose window it fits, and one click books
one of them into it through ``scheduling.booking.visit_book`` (its checks: no double booking,
closures, hours; its reminder).

Windows are in the clinic's local time: a slot fits when its local start day is within
``earliest_day``–``latest_day`` on a chosen weekday, it starts at or after ``from_time`` and ends
by ``until_time``, and it is long enough for the entry's appointment type.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from patients.models import Patient
from scheduling import booking
from scheduling.clock import clinic_zone, to_local
from scheduling.errors import BookingError
from scheduling.models import AffectedVisit, AppointmentType, FreedSlot, Practitioner, Visit, WaitlistEntry
from scheduling.models.waitlist import ALL_WEEKDAYS
from staff.audit import audit_record

# How far ahead freed times are offered on the front desk's lists.
OFFER_DAYS = 60


def weekday_mask(weekdays) -> int:
    """The mask for a collection of weekday numbers (Monday 0); none means any day."""
    mask = 0
    for day in weekdays:
        mask |= 1 << int(day)
    return mask


def entry_fits(entry: WaitlistEntry, *, starts_at: dt.datetime, ends_at: dt.datetime, tz: ZoneInfo) -> bool:
    """Whether a time of the entry's practitioner suits the entry's window (local time)."""
    start, end = to_local(starts_at, tz), to_local(ends_at, tz)
    if not entry.earliest_day <= start.date() <= entry.latest_day:
        return False
    if entry.weekdays != ALL_WEEKDAYS and not entry.weekdays & (1 << start.weekday()):
        return False
    if entry.from_time is not None and start.time() < entry.from_time:
        return False
    if entry.until_time is not None and (end.date() != start.date() or end.time() > entry.until_time):
        return False
    return ends_at - starts_at >= entry.appointment_type.duration


@dataclass
class SlotOffer:
    """A freed time still free, and the waiting patients it suits (oldest wish first)."""

    slot: FreedSlot
    entries: list[WaitlistEntry] = field(default_factory=list)


def slot_offers(slots, *, tz: ZoneInfo | None = None) -> list[SlotOffer]:
    """Each freed slot of ``slots`` (a queryset) that lies ahead, is not taken again, was not left
    for a closure or time off, and suits at least one waiting patient. Three queries whatever the number of slots and entries."""
    tz = tz or clinic_zone()
    now = timezone.now()
    # A time left because the clinic closed (or the practitioner is off) is no time to offer.
    closed = AffectedVisit.objects.filter(
        visit_id=OuterRef("visit_id"), decision__in=[AffectedVisit.Decision.CANCELLED, AffectedVisit.Decision.MOVED])
    freed = list(slots.filter(starts_at__gt=now).exclude(Exists(closed)).select_related("practitioner", "visit")
                 .order_by("starts_at", "-id"))
    if not freed:
        return []
    practitioner_ids = {slot.practitioner_id for slot in freed}
    taken = list(
        Visit.objects.filter(
            practitioner_id__in=practitioner_ids, status__in=Visit.BLOCKING,
            starts_at__lt=max(slot.ends_at for slot in freed), ends_at__gt=min(slot.starts_at for slot in freed),
        ).values_list("practitioner_id", "starts_at", "ends_at")
    )
    waiting = list(
        WaitlistEntry.objects.filter(practitioner_id__in=practitioner_ids, status=WaitlistEntry.Status.WAITING)
        .select_related("patient", "appointment_type")
    )
    offers, seen = [], set()
    for slot in freed:
        key = (slot.practitioner_id, slot.starts_at, slot.ends_at)
        if key in seen or any(p == slot.practitioner_id and s < slot.ends_at and e > slot.starts_at for p, s, e in taken):
            continue
        seen.add(key)
        entries = [
            entry for entry in waiting
            if entry.practitioner_id == slot.practitioner_id and entry.patient_id != slot_patient_id(slot)
            and entry_fits(entry, starts_at=slot.starts_at, ends_at=slot.ends_at, tz=tz)
        ]
        if entries:
            offers.append(SlotOffer(slot=slot, entries=entries))
    return offers


def offers_for(user, slots) -> list[SlotOffer]:
    """The offers a page shows, to staff who see the waiting list (no query for others)."""
    return slot_offers(slots) if user.has_perm("scheduling.view_waitlistentry") else []


def slot_patient_id(slot: FreedSlot) -> int:
    """The patient whose visit left the time (not offered it back)."""
    return slot.visit.patient_id


def upcoming_freed_slots():
    """Freed times within ``OFFER_DAYS``, for the front desk's lists."""
    now = timezone.now()
    return FreedSlot.objects.filter(starts_at__lt=now + dt.timedelta(days=OFFER_DAYS)).select_related("visit")


def waitlist_add(
    *, patient: Patient, practitioner: Practitioner, appointment_type: AppointmentType, earliest_day: dt.date,
    latest_day: dt.date, weekdays: int = ALL_WEEKDAYS, from_time: dt.time | None = None,
    until_time: dt.time | None = None, note: str = "", by,
) -> WaitlistEntry:
    if earliest_day > latest_day:
        raise ValidationError({"latest_day": ["The last day must be on or after the first day."]})
    if from_time is not None and until_time is not None and from_time >= until_time:
        raise ValidationError({"until_time": ["'Until' must be later than 'from'."]})
    with transaction.atomic():
        if WaitlistEntry.objects.filter(
            patient=patient, practitioner=practitioner, status=WaitlistEntry.Status.WAITING
        ).exists():
            raise ValidationError({"patient": [f"{patient} is already waiting for {practitioner}."]})
        entry = WaitlistEntry.objects.create(
            patient=patient, practitioner=practitioner, appointment_type=appointment_type, earliest_day=earliest_day,
            latest_day=latest_day, weekdays=weekdays, from_time=from_time, until_time=until_time,
            note=(note or "").strip(), created_by=by,
        )
        audit_record(user=by, action="create", obj=entry, patient_id=patient.pk,
                     summary=f"Added to the waiting list for {practitioner}")
    return entry


def _locked_waiting(entry: WaitlistEntry) -> WaitlistEntry:
    entry = WaitlistEntry.objects.select_for_update().select_related(
        "patient", "practitioner", "appointment_type").get(pk=entry.pk)
    if entry.status != WaitlistEntry.Status.WAITING:
        raise BookingError(f"{entry.patient} is no longer waiting ({entry.get_status_display().lower()}).")
    return entry


def waitlist_close(*, entry: WaitlistEntry, status: str, by) -> WaitlistEntry:
    """Takes a patient off the waiting list: done (sorted out otherwise) or removed."""
    if status not in (WaitlistEntry.Status.DONE, WaitlistEntry.Status.REMOVED):
        raise BookingError("An entry is closed as done or removed.")
    with transaction.atomic():
        entry = _locked_waiting(entry)
        entry.status, entry.closed_at, entry.closed_by = status, timezone.now(), by
        entry.save(update_fields=["status", "closed_at", "closed_by"])
        audit_record(user=by, action="change", obj=entry, patient_id=entry.patient_id,
                     summary=f"Waiting list entry {entry.get_status_display().lower()}")
    return entry


def waitlist_book(*, entry: WaitlistEntry, slot: FreedSlot, by) -> Visit:
    """Books the waiting patient into the freed time with the usual booking checks; the entry is
    then closed as booked. A second click finds the entry closed and books nothing more."""
    with transaction.atomic():
        entry = _locked_waiting(entry)
        if slot.practitioner_id != entry.practitioner_id or not entry_fits(
            entry, starts_at=slot.starts_at, ends_at=slot.ends_at, tz=clinic_zone()
        ):
            raise BookingError("That time does not suit this patient's waiting-list window.")
        visit = booking.visit_book(
            patient=entry.patient, practitioner=entry.practitioner, appointment_type=entry.appointment_type,
            starts_at=slot.starts_at, by=by,
        )
        entry.status, entry.visit, entry.closed_at, entry.closed_by = (
            WaitlistEntry.Status.BOOKED, visit, timezone.now(), by)
        entry.save(update_fields=["status", "visit", "closed_at", "closed_by"])
        audit_record(user=by, action="change", obj=entry, patient_id=entry.patient_id,
                     summary=f"Booked from the waiting list: {to_local(slot.starts_at):%a %d %b %Y %H:%M}")
    return visit
