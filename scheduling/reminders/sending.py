"""Sending reminders a worker was handed: a batch of ids over one mail-server connection.

Each row is claimed on its own, just before its e-mail goes, with a conditional UPDATE
(``pending``/``queued`` → ``sending``): only the worker whose UPDATE changed the row sends, so a
batch delivered twice, retried, or queued by two sweeps sends each e-mail once, and a worker that
dies holds at most the one row in its hands. Before sending it checks the reminder still makes
sense (``outbox.pointless``). Mail-server errors put the row back with a growing delay (kept in
the row, not in Celery), then mark it ``failed``; a bug fails that row and the batch goes on.
"""

import contextlib
import datetime as dt
import logging
import smtplib
import uuid
from collections.abc import Iterator

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError
from django.db import connection as db
from django.db.models import F
from django.utils import timezone

from scheduling.models import ClinicSettings, Reminder
from scheduling.reminders.mail import reminder_message
from scheduling.reminders.outbox import MAX_ATTEMPTS, pointless

logger = logging.getLogger(__name__)

# The wait before the second try, doubling after each failure.
RETRY_BACKOFF = dt.timedelta(minutes=1)
NOT_CLAIMED, RETRY = "not claimed", "retry"


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd, 4th failed attempt."""
    return RETRY_BACKOFF * 2 ** (attempts - 1)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


@contextlib.contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """For the batch, this connection's commits do not wait for the disk (PostgreSQL
    ``synchronous_commit`` off): other workers see them at once, as always; only a crash of the
    database server itself can lose its last fraction of a second of them. A lost claim or "sent"
    then means a reminder goes out twice, never that one is lost, like a worker dying right after
    its send (README, "The one duplicate"). Waiting for the disk twice per e-mail would cap
    sending near 100 a second on one worker process."""
    if db.vendor != "postgresql":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        # Inside a transaction that failed, the SET is undone with it and RESET cannot run.
        with contextlib.suppress(DatabaseError), db.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _claim(reminder: Reminder) -> uuid.UUID | None:
    """Claims one row, if it is still as the batch read it (``updated_at``): then what was read
    about the row is exact. A row changed meanwhile was cancelled, or sent, or put back in line by
    the sweep with a new message of its own: it is not this batch's to send."""
    now = timezone.now()
    claim = uuid.uuid4()
    won = Reminder.objects.filter(
        pk=reminder.pk, updated_at=reminder.updated_at, state__in=Reminder.WAITING, next_attempt_at__lte=now
    ).update(state=Reminder.State.SENDING, claim=claim, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    if not won:
        return None
    reminder.attempts += 1
    return claim


def _finish(reminder_id: int, claim: uuid.UUID, **fields) -> bool:
    """Ends our claim: only if the row is still ours (not taken over after we were presumed dead)."""
    fields.setdefault("updated_at", timezone.now())
    return bool(
        Reminder.objects.filter(pk=reminder_id, state=Reminder.State.SENDING, claim=claim).update(claim=None, **fields)
    )


def _mail_server_error(reminder: Reminder, claim: uuid.UUID, exc: OSError) -> str:
    """smtplib.SMTPException, ConnectionError and timeouts are all OSErrors: the mail server is
    down or busy, which passes. Try again later, then give up and show it to staff."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) or reminder.attempts >= MAX_ATTEMPTS:
        # A refused address cannot get better by trying again.
        _finish(reminder.pk, claim, state=Reminder.State.FAILED, last_error=_describe(exc))
        return Reminder.State.FAILED
    _finish(reminder.pk, claim, state=Reminder.State.PENDING, last_error=_describe(exc),
            next_attempt_at=timezone.now() + retry_delay(reminder.attempts))
    return RETRY


def _send_one(reminder: Reminder | None, *, mailer: BaseEmailBackend, clinic: ClinicSettings) -> str:
    claim = _claim(reminder) if reminder else None
    if claim is None:
        # Sent, cancelled, taken by another worker, not due, or gone: nothing to do.
        return NOT_CLAIMED
    reminder_id = reminder.pk
    reason = pointless(reminder, now=timezone.now())
    if reason:
        _finish(reminder_id, claim, state=reason[0], note=reason[1])
        return reason[0]
    try:
        message = reminder_message(reminder, clinic=clinic)
    except Exception as exc:
        # A bug (a template error...): retrying would fail the same way. Staff see it as failed,
        # the log has the traceback, and the rest of the batch still goes out.
        logger.exception("Reminder %s could not be built.", reminder_id)
        _finish(reminder_id, claim, state=Reminder.State.FAILED, last_error=_describe(exc))
        return Reminder.State.FAILED
    # Only mail-server errors are caught here: anything else (the task's time limit) ends the
    # batch, and the sweep recovers this row ("sending") and the rest ("queued"), none failed.
    try:
        # Opens the connection if an earlier error closed it; a no-op while it is open.
        mailer.open()
        mailer.send_messages([message])
    except OSError as exc:
        # The connection may be broken: the next message opens a new one.
        with contextlib.suppress(OSError):
            mailer.close()
        return _mail_server_error(reminder, claim, exc)
    if not _finish(reminder_id, claim, state=Reminder.State.SENT, sent_at=timezone.now(), last_error=""):
        logger.warning("Reminder %s was sent but taken over meanwhile (presumed dead worker).", reminder_id)
    return Reminder.State.SENT


def reminders_send(*, reminder_ids: list[int]) -> list[str]:
    """Sends each reminder of the batch whose claim this call wins, over one mail-server
    connection; returns what became of each (for logs and tests). The rows, their patients and
    visits are read once for the batch, before the claims: whatever makes a reminder pointless
    through the booking functions also cancels its row, which the claim sees; consent or an
    address changed at the front desk is seen as of that read, a moment before the send."""
    clinic = ClinicSettings.load()
    rows = Reminder.objects.select_related(
        "patient", "visit__practitioner", "visit__appointment_type", "series__practitioner"
    ).in_bulk(reminder_ids)
    mailer = get_connection()
    try:
        with _commits_without_waiting_for_disk():
            return [_send_one(rows.get(pk), mailer=mailer, clinic=clinic) for pk in reminder_ids]
    finally:
        with contextlib.suppress(OSError):
            mailer.close()
