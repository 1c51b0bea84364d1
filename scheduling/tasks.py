"""Celery tasks: thin wrappers that take ids and call ``scheduling.reminders``.

The worker's safety settings (late acks, reject on worker lost, prefetch 1, time limits) are in
``clinic/settings.py``; the beat schedule (``CELERY_BEAT_SCHEDULE``) runs ``dispatch_reminders``
every minute.
"""

from celery import shared_task

from scheduling import reminders


@shared_task(name="scheduling.dispatch_reminders", ignore_result=True)
def dispatch_reminders() -> int:
    # Returns how many were queued (shown in the worker's log).
    return len(reminders.reminders_dispatch())


# Not autoretried: reminder_send keeps mail-server retries in the database row (never lost on a
# restart), and a bug must not be retried at all.
@shared_task(name="scheduling.send_reminder", ignore_result=True)
def send_reminder(reminder_id: int) -> str:
    return reminders.reminder_send(reminder_id=reminder_id)
