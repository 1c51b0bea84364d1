"""Celery tasks: thin wrappers that take ids and call ``scheduling.reminders``.

The worker's safety settings (late acks, reject on worker lost, prefetch 1, time limits) are in
``clinic/settings.py``; the beat schedule (``CELERY_BEAT_SCHEDULE``) runs ``dispatch_reminders``
every minute.
"""

from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.db import transaction

from scheduling import intake_mail
from scheduling.models.clinic import clinic_settings_scope
from scheduling.reminders import health_check, notices, outbox, sending

# Each task reads the clinic settings at most once (ClinicSettings.load), as a request does; the
# scope closes when the task ends, so the next task sees an admin's edit.
_task_scopes: dict[str, object] = {}


@task_prerun.connect
def _open_settings_scope(task_id: str, **kwargs) -> None:
    scope = clinic_settings_scope()
    scope.__enter__()
    _task_scopes[task_id] = scope


@task_postrun.connect
def _close_settings_scope(task_id: str, **kwargs) -> None:
    scope = _task_scopes.pop(task_id, None)
    if scope is not None:
        scope.__exit__(None, None, None)


def publish_send(reminder_ids: list[int]) -> None:
    """What the sweep hands each batch of claimed ids to: one ``send_reminders`` task."""
    send_reminders.delay(reminder_ids)


def reminders_sweep() -> list[int]:
    """One sweep, publishing to the broker (beat's task, and what tests and the demo call)."""
    return outbox.reminders_dispatch(publish=publish_send)


@shared_task(name="scheduling.dispatch_reminders", ignore_result=True)
def dispatch_reminders() -> int:
    # Returns how many were queued (shown in the worker's log).
    return len(reminders_sweep())


# Not autoretried: sending keeps mail-server retries in the database rows (never lost on a
# restart), and a bug must not be retried at all.
@shared_task(name="scheduling.send_reminders", ignore_result=True)
def send_reminders(reminder_ids: list[int]) -> dict[str, int]:
    # A count per outcome, for the worker's log.
    outcomes = sending.reminders_send(reminder_ids=reminder_ids)
    return {outcome: outcomes.count(outcome) for outcome in set(outcomes)}


@shared_task(name="scheduling.send_booking_notice", ignore_result=True)
def send_booking_notice(notice: str, visit_ids: list[int]) -> bool:
    # A failed send is not retried: the reminder before the visit carries the same time.
    return notices.notice_send(notice=notice, visit_ids=visit_ids)


# What booking calls inside its transaction: each queues the patient's e-mail once the
# transaction has committed (a rolled-back booking sends nothing, and the mail server never holds
# the transaction). Booking sees these, not the reminder package (tests/reminders/test_layout.py).
def _after_commit(notice: str, visit_ids: list[int]) -> None:
    # Robust rather than Celery's ``delay_on_commit``: with the broker down the booking stands and
    # its page still answers; the lost notice is logged, and the visit reminder still goes out.
    transaction.on_commit(lambda: send_booking_notice.delay(notice, visit_ids), robust=True)


def notify_booked(*, visit_ids: list[int]) -> None:
    _after_commit(notices.Notice.BOOKED, visit_ids)


def notify_moved(*, visit_ids: list[int]) -> None:
    _after_commit(notices.Notice.MOVED, visit_ids)


def notify_cancelled(*, visit_ids: list[int]) -> None:
    _after_commit(notices.Notice.CANCELLED, visit_ids)


@shared_task(name="scheduling.send_health_check_receipt", ignore_result=True)
def send_health_check_receipt(request_id: int) -> bool:
    # Not retried: the answer is recorded and on the front desk's list whatever the mail server does.
    return health_check.receipt_send(request_id=request_id)


def notify_health_check_answered(*, request_id: int) -> None:
    """The patient's confirmation of their health-check answer, once it has committed."""
    transaction.on_commit(lambda: send_health_check_receipt.delay(request_id), robust=True)


@shared_task(name="scheduling.send_intake_mail", ignore_result=True)
def send_intake_mail(which: str, invitation_id: int) -> bool:
    return intake_mail.intake_mail_send(which=which, invitation_id=invitation_id)


def intake_mail_after_commit(*, which: str, invitation_id: int) -> None:
    """Queues an online intake e-mail ("invitation" or "received") once the transaction commits."""
    transaction.on_commit(lambda: send_intake_mail.delay(which, invitation_id), robust=True)
