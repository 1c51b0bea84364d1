"""Celery tasks: thin wrappers that take ids and call ``scheduling.reminders``.

The worker's safety settings (late acks, reject on worker lost, prefetch 1, time limits) are in
``clinic/settings.py``; the beat schedule (``CELERY_BEAT_SCHEDULE``) runs ``dispatch_reminders``
every minute.
"""

from celery import shared_task

from scheduling.reminders import outbox, sending


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
