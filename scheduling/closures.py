"""Closures and practitioners' time off over booked visits: never silent. Saving one records each
visit booked inside it as a pending decision (``AffectedVisit``); staff then move it (to the
nearest free time, found as a series' shifted session is), cancel it (its reminder goes, and a
series session becomes one to rebook: the patient hears through the reminders), or keep it with
a reason (the clinic opens anyway). Until then a banner on every front-desk page says so.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from scheduling import booking, visit_status
from scheduling.availability import Availability
from scheduling.clock import local_datetime, to_local
from scheduling.errors import BookingError
from scheduling.models import AffectedVisit, Closure, TimeOff, Visit
from scheduling.proposal import nearest_slot, search_days
from staff.audit import audit_record

# How far around the visit's day a new time is looked for (a closure can last a week or two).
MOVE_SEARCH_DAYS = 21


def _visits_inside(*, closure: Closure | None, time_off: TimeOff | None, now: dt.datetime) -> QuerySet:
    visits = Visit.objects.filter(status=Visit.Status.BOOKED, ends_at__gt=now)
    if closure is not None:
        starts = local_datetime(closure.first_day, dt.time(0), fold=0)
        ends = local_datetime(closure.last_day + dt.timedelta(days=1), dt.time(0), fold=0)
        return visits.filter(starts_at__lt=ends, ends_at__gt=starts)
    return visits.filter(practitioner_id=time_off.practitioner_id, starts_at__lt=time_off.ends_at,
                         ends_at__gt=time_off.starts_at)


def affected_visits_record(*, closure: Closure | None = None, time_off: TimeOff | None = None) -> list[AffectedVisit]:
    """After a closure or time off is saved (added or its dates changed): every booked visit
    inside it waits for a decision; pending ones no longer inside are dropped. Returns the
    pending rows."""
    now = timezone.now()
    owner = {"closure": closure} if closure is not None else {"time_off": time_off}
    with transaction.atomic():
        inside = list(_visits_inside(closure=closure, time_off=time_off, now=now).values_list("pk", flat=True))
        AffectedVisit.objects.filter(decision=AffectedVisit.Decision.PENDING, **owner).exclude(
            visit_id__in=inside
        ).delete()
        known = set(AffectedVisit.objects.filter(visit_id__in=inside, **owner).values_list("visit_id", flat=True))
        AffectedVisit.objects.bulk_create(AffectedVisit(visit_id=pk, **owner) for pk in inside if pk not in known)
    return list(pending_decisions().filter(**owner))


def pending_decisions() -> QuerySet:
    return AffectedVisit.objects.filter(decision=AffectedVisit.Decision.PENDING).select_related(
        "visit__patient", "visit__practitioner", "visit__appointment_type", "closure", "time_off__practitioner",
    ).order_by("visit__starts_at", "id")


def move_proposal(affected: AffectedVisit, *, now: dt.datetime | None = None) -> tuple[dt.datetime, int] | None:
    """The nearest free time to the visit's own (same practitioner, same time of day if free,
    nearest day first): what the decision page offers as *Move*."""
    now = now or timezone.now()
    visit = affected.visit
    local = to_local(visit.starts_at)
    availability = Availability(
        practitioner=visit.practitioner, first_day=local.date() - dt.timedelta(days=MOVE_SEARCH_DAYS),
        last_day=local.date() + dt.timedelta(days=MOVE_SEARCH_DAYS), patient_id=visit.patient_id,
        ignore_visit_ids=[visit.pk],
    )
    duration = visit.ends_at - visit.starts_at
    found = nearest_slot(
        availability, days=search_days(local.date(), MOVE_SEARCH_DAYS), preferred_time=local.time(),
        duration=duration, earliest_day=None, now=now,
    )
    # nearest_slot places the time only; the room is chosen for it afterwards, as booking does.
    return None if found is None else (found, availability.free_room(starts_at=found, ends_at=found + duration))


def _decide(affected: AffectedVisit, *, decision: str, by, reason: str = "") -> AffectedVisit:
    updated = AffectedVisit.objects.filter(pk=affected.pk, decision=AffectedVisit.Decision.PENDING).update(
        decision=decision, reason=reason, decided_at=timezone.now(), decided_by=by,
    )
    if not updated:
        raise BookingError("Someone has already decided about this visit.")
    affected.refresh_from_db()
    audit_record(user=by, action="change", obj=affected.visit, patient_id=affected.visit.patient_id,
                 summary=f"{affected.cause}: {affected.get_decision_display().lower()}{f' ({reason})' if reason else ''}")
    return affected


def affected_move(*, affected: AffectedVisit, starts_at: dt.datetime, room_id: int | None, by) -> AffectedVisit:
    """Moves the visit out of the closure (its reminder follows the new time)."""
    with transaction.atomic():
        booking.visit_move(visit=affected.visit, starts_at=starts_at, room_id=room_id, by=by)
        return _decide(affected, decision=AffectedVisit.Decision.MOVED, by=by)


def affected_cancel(*, affected: AffectedVisit, by) -> AffectedVisit:
    """Cancels the visit for the clinic; its reminder is cancelled and a series session becomes
    one to rebook (the series follow-up reminder tells the patient)."""
    with transaction.atomic():
        visit_status.visit_cancel(visit=affected.visit, reason=affected.cause[:200], by=by,
                                  cancelled_by=Visit.CancelledBy.CLINIC)
        return _decide(affected, decision=AffectedVisit.Decision.CANCELLED, by=by)


def affected_keep(*, affected: AffectedVisit, reason: str, by) -> AffectedVisit:
    """Keeps the visit where it is (e.g. the clinic opens for it anyway); a reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the visit stays (e.g. the clinic opens for it anyway)."]})
    with transaction.atomic():
        return _decide(affected, decision=AffectedVisit.Decision.KEPT, by=by, reason=reason[:200])


def affected_decide(*, affected: AffectedVisit, decision: str, by, starts_at: dt.datetime | None = None,
                    room_id: int | None = None, reason: str = "") -> AffectedVisit:
    """The decision page's one entry: ``decision`` is "move" (to ``starts_at``), "cancel" or "keep"."""
    if decision == "move":
        return affected_move(affected=affected, starts_at=starts_at, room_id=room_id, by=by)
    if decision == "cancel":
        return affected_cancel(affected=affected, by=by)
    return affected_keep(affected=affected, reason=reason, by=by)
