"""The sweep (``scheduling.reminders.outbox``) without a broker: what it claims, how it hands the
ids on in batches, and how it recovers rows whose message or worker was lost."""

import datetime as dt

import pytest
from kombu.exceptions import OperationalError

from scheduling.models import Reminder
from scheduling.reminders.outbox import reminder_send_again, reminders_dispatch
from tests.reminders.factories import book_visit, due_reminder
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")


class Broker:
    """Stands in for the task queue: records each published batch; can fail from a given batch on."""

    def __init__(self, fail_from: int | None = None):
        self.batches: list[list[int]] = []
        self.fail_from = fail_from

    def __call__(self, ids: list[int]) -> None:
        if self.fail_from is not None and len(self.batches) >= self.fail_from:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.batches.append(ids)


def ten_due_reminders(clinic, lin, frozen) -> list[int]:
    for hour in range(9, 19):
        book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", f"{hour:02d}:00"))
    frozen.move_to(at("2026-03-04", "20:00"))
    return list(Reminder.objects.order_by("next_attempt_at", "id").values_list("pk", flat=True))


def test_the_sweep_leaves_rows_pending_when_the_broker_is_down(clinic, lin, frozen, django_capture_on_commit_callbacks):
    reminder = due_reminder(clinic=clinic, practitioner=lin, frozen=frozen)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_dispatch(publish=Broker(fail_from=0)) == [reminder.pk]
    reminder.refresh_from_db()
    assert (reminder.state, reminder.queued_at) == ("pending", None)


def test_the_sweep_keeps_claiming_while_claims_come_back_full_and_publishes_in_batches(
    clinic, lin, frozen, django_capture_on_commit_callbacks
):
    ids = ten_due_reminders(clinic, lin, frozen)
    broker = Broker()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert reminders_dispatch(publish=broker, limit=4, batch=3) == ids
    assert len(callbacks) == 3  # claims of 4, 4 and 2 rows: the short one ends the sweep
    assert broker.batches == [ids[0:3], ids[3:4], ids[4:7], ids[7:8], ids[8:10]]
    assert set(Reminder.objects.values_list("state", flat=True)) == {"queued"}


def test_a_sweep_takes_no_more_than_its_limit(clinic, lin, frozen, django_capture_on_commit_callbacks):
    ids = ten_due_reminders(clinic, lin, frozen)
    broker = Broker()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_dispatch(publish=broker, limit=4, batch=4, sweep_limit=6) == ids[:6]
    assert broker.batches == [ids[0:4], ids[4:6]]
    assert Reminder.objects.filter(state="pending").count() == 4


def test_when_the_broker_fails_mid_sweep_what_was_not_published_waits_for_the_next_sweep(
    clinic, lin, frozen, django_capture_on_commit_callbacks
):
    ids = ten_due_reminders(clinic, lin, frozen)
    broker = Broker(fail_from=1)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch(publish=broker, limit=4, batch=2)
    assert broker.batches == [ids[0:2]]
    assert list(Reminder.objects.filter(state="queued").order_by("id").values_list("pk", flat=True)) == sorted(ids[0:2])
    assert Reminder.objects.filter(state="pending", queued_at=None).count() == 8


def test_the_sweep_requeues_lost_messages_and_rows_of_dead_workers(clinic, lin, frozen,
                                                                    django_capture_on_commit_callbacks):
    for hour in ("09:00", "10:00", "11:00"):
        book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", hour))
    now = at("2026-03-04", "12:00")
    frozen.move_to(now)
    lost, stuck, fresh = Reminder.objects.order_by("due_at")
    Reminder.objects.filter(pk=lost.pk).update(state="queued", queued_at=now - dt.timedelta(minutes=6))
    Reminder.objects.filter(pk=stuck.pk).update(state="sending", claimed_at=now - dt.timedelta(minutes=11), attempts=1)
    Reminder.objects.filter(pk=fresh.pk).update(state="sending", claimed_at=now - dt.timedelta(minutes=1), attempts=1)
    broker = Broker()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch(publish=broker)
    assert sorted(sum(broker.batches, [])) == sorted([lost.pk, stuck.pk])
    stuck.refresh_from_db()
    assert (stuck.state, stuck.last_error) == ("queued", "The worker stopped while sending; trying again.")
    assert Reminder.objects.get(pk=fresh.pk).state == "sending"  # its worker may still be at it


def test_a_row_stuck_sending_too_often_fails(clinic, lin, frozen):
    reminder = due_reminder(clinic=clinic, practitioner=lin, frozen=frozen)
    Reminder.objects.filter(pk=reminder.pk).update(
        state="sending", claimed_at=at("2026-03-03", "09:00"), attempts=5
    )
    assert reminders_dispatch(publish=Broker()) == []
    reminder.refresh_from_db()
    assert (reminder.state, reminder.last_error) == ("failed", "The worker stopped while sending, too many times.")


def test_send_again_puts_a_failed_reminder_back_for_the_next_sweep(clinic, lin, frozen, front_desk,
                                                                   django_capture_on_commit_callbacks):
    reminder = due_reminder(clinic=clinic, practitioner=lin, frozen=frozen)
    Reminder.objects.filter(pk=reminder.pk).update(state="failed", attempts=5, next_attempt_at=at("2026-03-01", "10:00"))
    assert reminder_send_again(reminder=reminder, by=front_desk)
    assert not reminder_send_again(reminder=reminder, by=front_desk)  # not failed any more
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts, reminder.next_attempt_at) == ("pending", 0, at("2026-03-03", "10:00"))
    broker = Broker()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch(publish=broker)
    assert broker.batches == [[reminder.pk]]
