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

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
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


def _claim(reminder_id: int) -> uuid.UUID | None:
    now = timezone.now()
    claim = uuid.uuid4()
    won = Reminder.objects.filter(
        pk=reminder_id, state__in=Reminder.WAITING, next_attempt_at__lte=now
    ).update(state=Reminder.State.SENDING, claim=claim, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    return claim if won else None


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


def _send_one(reminder_id: int, *, connection: BaseEmailBackend, clinic: ClinicSettings) -> str:
    claim = _claim(reminder_id)
    if claim is None:
        # Sent, cancelled, taken by another worker, or not due: nothing to do.
        return NOT_CLAIMED
    reminder = Reminder.objects.select_related(
        "patient", "visit__practitioner", "visit__appointment_type", "series__practitioner"
    ).get(pk=reminder_id)
    reason = pointless(reminder, now=timezone.now())
    if reason:
        _finish(reminder_id, claim, state=reason[0], note=reason[1])
        return reason[0]
    try:
        message = reminder_message(reminder, clinic=clinic)
        # Opens the connection if an earlier error closed it; a no-op while it is open.
        connection.open()
        connection.send_messages([message])
    except OSError as exc:
        # The connection may be broken: the next message opens a new one.
        with contextlib.suppress(OSError):
            connection.close()
        return _mail_server_error(reminder, claim, exc)
    except Exception as exc:
        # A bug (a template error...): retrying would fail the same way. Staff see it as failed,
        # the log has the traceback, and the rest of the batch still goes out.
        logger.exception("Reminder %s could not be built or sent.", reminder_id)
        _finish(reminder_id, claim, state=Reminder.State.FAILED, last_error=_describe(exc))
        return Reminder.State.FAILED
    if not _finish(reminder_id, claim, state=Reminder.State.SENT, sent_at=timezone.now(), last_error=""):
        logger.warning("Reminder %s was sent but taken over meanwhile (presumed dead worker).", reminder_id)
    return Reminder.State.SENT


def reminders_send(*, reminder_ids: list[int]) -> list[str]:
    """Sends each reminder of the batch whose claim this call wins, over one mail-server
    connection; returns what became of each (for logs and tests)."""
    clinic = ClinicSettings.load()
    connection = get_connection()
    try:
        return [_send_one(pk, connection=connection, clinic=clinic) for pk in reminder_ids]
    finally:
        with contextlib.suppress(OSError):
            connection.close()
