"""The outbox: which reminder rows are due, and the sweep (Celery beat, every minute) that hands
them to the workers.

The sweep takes due rows with ``select_for_update(skip_locked=True)`` (two sweeps at once take
different rows), marks them ``queued`` and, after that commit, gives their ids to ``publish`` in
batches of ``PUBLISH_BATCH`` (one task per batch, see ``scheduling.tasks``). It keeps claiming
while a claim comes back full, so a backlog goes out in one sweep rather than 1,000 a minute.
Celery never holds a due time: the row does. Nothing is lost:

- broker unreachable: the rows not yet published go back to ``pending`` for the next sweep;
- a row ``queued`` for ``QUEUED_STALE_AFTER`` (its message was lost) is queued again;
- a row left ``sending`` for ``SENDING_STALE_AFTER`` (its worker died) is tried again.

Whoever ends up with an id claims the row itself (``sending``), so a message published twice
still sends one e-mail.
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import KombuError

from scheduling.models import MaintenanceSchedule, Reminder, Series, Visit
from scheduling.reminders.health_check import health_check_pointless, health_checks_schedule
from scheduling.reminders.heartbeat import sweep_heartbeat_record
from scheduling.reminders.upkeep import maintenance_booked, reminders_restore_after_consent, unbooked_sessions
from staff.audit import audit_record

logger = logging.getLogger(__name__)

# Mail-server errors: tries in all (sending counts them; a row stuck too often fails here).
MAX_ATTEMPTS = 5
# A queued row whose task has not started by then lost its message (e.g. Redis restarted empty).
QUEUED_STALE_AFTER = dt.timedelta(minutes=5)
# Longer than any send can take (EMAIL_TIMEOUT, the task time limit): its worker is gone.
SENDING_STALE_AFTER = dt.timedelta(minutes=10)
# Rows one claim (one short transaction) takes.
DISPATCH_BATCH = 1000
# Rows one sweep takes at most: what the workers can send well within QUEUED_STALE_AFTER (at a
# few hundred a second), so a huge backlog is not re-queued while it is still being sent.
SWEEP_LIMIT = 50_000
# Ids per send task: each task sends its batch over one mail-server connection.
PUBLISH_BATCH = 50

# Puts one batch of reminder ids on the broker (a task); raises KombuError/OSError if it cannot.
Publish = Callable[[list[int]], None]


def pointless(reminder: Reminder, *, now: dt.datetime) -> tuple[str, str] | None:
    """``(state, why)`` when the reminder must not go out (any more), else None."""
    patient = reminder.patient
    if not patient.reminder_consent:
        return Reminder.State.CANCELLED, "The patient has not agreed to reminder e-mails."
    if not patient.email:
        return Reminder.State.CANCELLED, "The patient has no e-mail address."
    if now >= reminder.expires_at:
        return Reminder.State.EXPIRED, "Too late to be useful."
    if reminder.kind == Reminder.Kind.VISIT_UPCOMING:
        return _visit_reminder_pointless(reminder, now=now)
    if reminder.kind == Reminder.Kind.MAINTENANCE_DUE:
        return _maintenance_reminder_pointless(reminder, now=now)
    if reminder.kind == Reminder.Kind.SERIES_UNBOOKED:
        return _series_reminder_pointless(reminder)
    if reminder.kind == Reminder.Kind.HEALTH_CHECK:
        return _visit_reminder_pointless(reminder, now=now) or health_check_pointless(reminder)
    return None


def _visit_reminder_pointless(reminder: Reminder, *, now: dt.datetime) -> tuple[str, str] | None:
    """``pointless`` for a visit reminder: the visit is no longer booked, has started or moved."""
    visit = reminder.visit
    if visit.status != Visit.Status.BOOKED:
        return Reminder.State.EXPIRED, f"The visit is {visit.get_status_display().lower()}."
    if visit.starts_at <= now:
        return Reminder.State.EXPIRED, "The visit has started."
    if visit.starts_at != reminder.expires_at:
        # Moves replace the reminder in the same transaction; this only guards direct edits.
        return Reminder.State.CANCELLED, "The visit was moved."
    return None


def _maintenance_reminder_pointless(reminder: Reminder, *, now: dt.datetime) -> tuple[str, str] | None:
    """``pointless`` for a maintenance reminder: the due date changed or a visit is booked."""
    schedule = MaintenanceSchedule.objects.filter(patient_id=reminder.patient_id).first()
    if schedule is None or schedule.due_on != reminder.maintenance_due_on:
        return Reminder.State.CANCELLED, "The maintenance due date changed."
    if maintenance_booked(patient_id=reminder.patient_id, now=now):
        return Reminder.State.EXPIRED, "A maintenance visit is booked."
    return None


def _series_reminder_pointless(reminder: Reminder) -> tuple[str, str] | None:
    """``pointless`` for an unbooked-series reminder: nothing of the series is left to book."""
    if reminder.series.status != Series.Status.ACTIVE or unbooked_sessions(reminder.series) <= 0:
        return Reminder.State.EXPIRED, "No sessions of the series are left to book."
    return None


def _recover_stuck(now: dt.datetime) -> None:
    """A row left ``sending`` longer than any send takes: its worker died. Whether the mail server
    had accepted the message cannot be known, so it is tried again (README: the one duplicate)."""
    stuck = Reminder.objects.filter(state=Reminder.State.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)
    stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
        state=Reminder.State.PENDING, claim=None, next_attempt_at=now, updated_at=now,
        last_error="The worker stopped while sending; trying again.",
    )
    # Evaluated again: what is still stuck has used up its attempts.
    stuck.update(state=Reminder.State.FAILED, claim=None, updated_at=now,
                 last_error="The worker stopped while sending, too many times.")


def _claim_due(*, now: dt.datetime, limit: int, publish: "_Publisher") -> list[int]:
    """One short transaction: marks up to ``limit`` due rows ``queued``; published after commit."""
    with transaction.atomic():
        due = Q(state=Reminder.State.PENDING, next_attempt_at__lte=now) | Q(
            state=Reminder.State.QUEUED, queued_at__lt=now - QUEUED_STALE_AFTER
        )
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Reminder.objects.filter(pk__in=ids).update(state=Reminder.State.QUEUED, queued_at=now, updated_at=now)
            transaction.on_commit(lambda: publish(ids))
    return ids


class _Publisher:
    """Publishes claimed ids in batches; once the broker fails, puts back what it could not publish
    and tells the sweep to stop."""

    def __init__(self, publish: Publish, batch: int):
        self.publish, self.batch, self.broker_down = publish, batch, False

    def __call__(self, ids: list[int]) -> None:
        for start in range(0, len(ids), self.batch):
            if not self.broker_down:
                try:
                    self.publish(ids[start:start + self.batch])
                    continue
                except (KombuError, OSError):
                    # The broker is unreachable (kombu wraps connection errors) or its folder unwritable.
                    logger.warning("Broker unreachable: reminders left pending for the next sweep.", exc_info=True)
                    self.broker_down = True
            # Only rows still queued by this sweep: a worker may already have taken an earlier one.
            Reminder.objects.filter(pk__in=ids[start:], state=Reminder.State.QUEUED).update(
                state=Reminder.State.PENDING, queued_at=None, updated_at=timezone.now()
            )
            return


def reminders_dispatch(
    *, publish: Publish, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH,
    batch: int = PUBLISH_BATCH, sweep_limit: int = SWEEP_LIMIT,
) -> list[int]:
    """Queues every reminder whose time has come (and re-queues any whose message was lost), in
    claims of ``limit`` rows until one comes back short; returns their ids. Each claim's ids are
    published after its commit, so a worker never sees a row that is not yet ``queued``."""
    now = now or timezone.now()
    _recover_stuck(now)
    reminders_restore_after_consent(now=now)
    health_checks_schedule(now=now)
    publisher = _Publisher(publish, batch)
    queued: list[int] = []
    while len(queued) < sweep_limit and not publisher.broker_down:
        ids = _claim_due(now=now, limit=min(limit, sweep_limit - len(queued)), publish=publisher)
        queued += ids
        if len(ids) < limit:
            break
    sweep_heartbeat_record(now=now)
    return queued


def reminder_send_again(*, reminder: Reminder, by) -> bool:
    """Staff's "Send again": a failed reminder goes back to ``pending``, due now, with fresh
    attempts; the next sweep sends it. False if it was not failed (e.g. someone else did it first)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            again = Reminder.objects.filter(pk=reminder.pk, state=Reminder.State.FAILED).update(
                state=Reminder.State.PENDING, queued_at=None, attempts=0, next_attempt_at=now, note="", updated_at=now
            )
            if again:
                audit_record(user=by, action="change", obj=reminder, patient_id=reminder.patient_id, summary="Send again")
    except IntegrityError:
        # A newer reminder for the same visit (series, maintenance date) is already waiting and
        # replaces this one: there is nothing to send again.
        return False
    return bool(again)
