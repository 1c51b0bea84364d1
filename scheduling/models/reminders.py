"""Reminder e-mails, the requests patients make through their links, and used links."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import Patient
from scheduling.models.visits import Series, Visit
from staff.mail import sender_domain


def new_message_id() -> str:
    """A Message-ID fixed when the reminder is created and sent with every copy of it, so that
    the one duplicate no design can rule out (see README, Reminders) is folded by mail clients."""
    domain = sender_domain()
    return f"<reminder.{uuid.uuid4().hex}@{domain}>"


class ReminderState(models.TextChoices):
    PENDING = "pending", "Waiting"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired (no longer useful)"
    CANCELLED = "cancelled", "Cancelled"


# Not yet handed to the mail server: a change to the visit, series or schedule cancels these
# and makes new ones. A reminder already ``sending`` is left to finish. Module-level so that
# ``Reminder.Meta``'s constraints can use it too.
REMINDER_WAITING = (ReminderState.PENDING, ReminderState.QUEUED)


class Reminder(models.Model):
    """One reminder e-mail to one patient, sent by the worker once ``next_attempt_at`` has come.

    The row is the source of truth: Celery only carries its id. Each state change is a conditional
    UPDATE (``WHERE state = ...``), so of two workers holding the same id only one can move it to
    ``sending`` and only that one sends. See ``scheduling.reminders``.
    """

    class Kind(models.TextChoices):
        VISIT_UPCOMING = "visit_upcoming", "Upcoming visit"
        MAINTENANCE_DUE = "maintenance_due", "Maintenance due"
        SERIES_UNBOOKED = "series_unbooked", "Series sessions to book"
        HEALTH_CHECK = "health_check", "Health check before a visit"

    State = ReminderState
    WAITING = REMINDER_WAITING

    kind = models.CharField(max_length=20, choices=Kind.choices)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    # Maintenance reminders: the due date they announce (a new due date replaces them).
    maintenance_due_on = models.DateField(null=True, blank=True)
    due_at = models.DateTimeField()
    # After this it is pointless to send (the visit has started, the next reminder has come...).
    expires_at = models.DateTimeField()
    # due_at at first; later when a mail-server error put the reminder back for another try.
    next_attempt_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # Why it was cancelled or expired, in words staff can read.
    note = models.CharField(max_length=200, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set with each claim: a worker only finishes a row it still holds (see scheduling.reminders.sending).
    claim = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=150, unique=True, default=new_message_id, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [
            # The dispatcher's query: waiting rows whose time has come.
            models.Index(fields=["state", "next_attempt_at"], name="reminder_state_next_idx"),
            models.Index(fields=["patient", "due_at"], name="reminder_patient_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["visit_upcoming", "health_check"], visit__isnull=False)
                    | Q(kind="series_unbooked", series__isnull=False)
                    | Q(kind="maintenance_due", maintenance_due_on__isnull=False)
                ),
                name="reminder_kind_has_subject",
            ),
            models.CheckConstraint(condition=Q(state="sent", sent_at__isnull=False) | ~Q(state="sent"),
                                   name="reminder_sent_dated"),
            # One waiting reminder per visit, per series, per patient and maintenance reminder
            # time: a booking change replaces the waiting one, it never adds a second.
            models.UniqueConstraint(
                fields=["visit"], condition=Q(kind="visit_upcoming", state__in=list(REMINDER_WAITING)),
                name="reminder_one_waiting_per_visit",
            ),
            models.UniqueConstraint(
                fields=["visit"], condition=Q(kind="health_check", state__in=list(REMINDER_WAITING)),
                name="reminder_one_waiting_check_per_visit",
            ),
            models.UniqueConstraint(
                fields=["series"], condition=Q(kind="series_unbooked", state__in=list(REMINDER_WAITING)),
                name="reminder_one_waiting_per_series",
            ),
            models.UniqueConstraint(
                fields=["patient", "due_at"],
                condition=Q(kind="maintenance_due", state__in=list(REMINDER_WAITING)),
                name="reminder_one_waiting_maintenance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_waiting(self) -> bool:
        return self.state in self.WAITING


class PatientRequest(models.Model):
    """Something a patient asked for through a reminder link; the front desk follows it up."""

    class Kind(models.TextChoices):
        NEW_TIME = "new_time", "Another time for a visit"
        MAINTENANCE = "maintenance", "Book maintenance"
        SERIES = "series", "Book the remaining sessions"
        # Done by the patient's link itself; listed so the front desk sees them too.
        CONFIRMED = "confirmed", "Confirmed the visit"
        CANCELLED = "cancelled", "Cancelled the visit"
        STOPPED = "stopped", "Stopped reminder e-mails"
        # The pre-visit health check (scheduling.reminders.health_check).
        HEALTH_CONFIRMED = "health_confirmed", "Health check: nothing has changed"
        HEALTH_CHANGED = "health_changed", "Health check: answers changed (review at the visit)"
        HEALTH_BLOCKED = "health_blocked", "Health check: treatment blocked, call the patient"
        # The online intake form, submitted: staff review it and mark it reviewed.
        INTAKE = "intake", "Online intake to review"
        # The patient chose a time themselves (scheduling/reminders/self_booking.py).
        MOVED = "moved", "Moved the visit"
        BOOKED = "booked", "Booked online"

    # Shown first and flagged on the Requests list and the front desk's day.
    URGENT = (Kind.HEALTH_BLOCKED,)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="scheduling_requests")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="requests")
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.CASCADE, related_name="requests")
    reminder = models.ForeignKey(Reminder, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")
    # What would suit the patient, in their words (e.g. "weekday mornings").
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["handled_at", "created_at"], name="request_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}"

    @property
    def urgent(self) -> bool:
        return self.kind in self.URGENT


class LinkUse(models.Model):
    """A signed e-mail link that has acted. The unique constraint is what makes each link
    single-use, also when a patient (or their mail scanner) submits the page twice at once."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="link_uses")
    action = models.CharField(max_length=20)
    used_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reminder", "action"], name="link_use_once")]

    def __str__(self) -> str:
        return f"{self.action} link of reminder {self.reminder_id}"


class SweepHeartbeat(models.Model):
    """When the reminder sweep last ran: a single row (id 1) the sweep updates each minute, so staff
    can see that reminders are going out. The pages read the copy the sweep also puts in the cache
    (``scheduling.reminders.heartbeat``), never this table."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    swept_at = models.DateTimeField()

    class Meta:
        verbose_name = "reminder sweep"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="sweep_heartbeat_single_row")]

    def __str__(self) -> str:
        return f"Last reminder sweep at {self.swept_at:%Y-%m-%d %H:%M}"
