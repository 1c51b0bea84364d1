"""Series, visits and maintenance schedules.

Overlapping active visits for one practitioner, room or patient are refused by the database:
PostgreSQL exclusion constraints added in migration 0002 (see there), and on SQLite a check made
inside the same serialized write transaction (``scheduling.booking``).

Reminders hang off ``Visit`` (upcoming visit), ``Series`` (sessions still unbooked:
``sessions_planned`` minus its live visits) and ``MaintenanceSchedule`` (``due_on``); every change
to those rows goes through a function in ``scheduling.booking``, which updates the matching
``Reminder`` rows (``scheduling.reminders``) inside the same ``transaction.atomic`` block.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from patients.models import Patient
from scheduling.clock import to_local
from scheduling.errors import BookingError
from scheduling.models.clinic import (
    MAINTENANCE_WEEKS_MAX,
    MAINTENANCE_WEEKS_MIN,
    AppointmentType,
    Practitioner,
    Room,
)

# The course lengths the clinic offers.
SERIES_MIN_SESSIONS, SERIES_MAX_SESSIONS = 6, 12


class Series(models.Model):
    """A course of 6–12 treatments at a fixed cadence. Its visits are rows of ``Visit``; the
    series only keeps what was asked for, so a moved or cancelled visit never goes stale here."""

    class Cadence(models.IntegerChoices):
        WEEKLY = 7, "Weekly"
        FORTNIGHTLY = 14, "Every other week"

    class Status(models.TextChoices):
        ACTIVE = "active", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    MIN_SESSIONS = SERIES_MIN_SESSIONS
    MAX_SESSIONS = SERIES_MAX_SESSIONS

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="series")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="series")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    sessions_planned = models.PositiveSmallIntegerField()
    cadence_days = models.PositiveSmallIntegerField(choices=Cadence.choices)
    first_day = models.DateField()
    preferred_time = models.TimeField(help_text="Local time of day")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    completed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-first_day", "-id"]
        verbose_name_plural = "series"
        indexes = [models.Index(fields=["patient", "status"], name="series_patient_status_idx")]
        constraints = [
            # Make-up sessions may take a series past 12 only by replacing cancelled ones, so
            # the plan itself stays within the course length the clinic offers.
            models.CheckConstraint(
                condition=Q(sessions_planned__gte=SERIES_MIN_SESSIONS) & Q(sessions_planned__lte=SERIES_MAX_SESSIONS),
                name="series_sessions_6_12",
            ),
            models.CheckConstraint(condition=Q(cadence_days__in=[7, 14]), name="series_cadence"),
            models.CheckConstraint(
                condition=Q(status="completed", completed_on__isnull=False) | ~Q(status="completed"),
                name="series_completed_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sessions_planned} × {self.appointment_type.name} for {self.patient}"


class VisitStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    # The patient came but was not treated (e.g. a new screening answer blocks treatment today).
    NOT_TREATED = "not_treated", "Not treated"


class CancelledBy(models.TextChoices):
    CLINIC = "clinic", "the clinic"
    PATIENT = "patient", "the patient"


@dataclass(frozen=True)
class Transition:
    """One row of the lifecycle table: the states a visit may come from, the permission a user
    needs (which is what makes it a role's right, see each app's ``permissions.py``), the words
    for a refusal, and whether a reason must be given."""

    sources: tuple[str, ...]
    perm: str
    words: str
    needs_reason: bool = False


# Module-level so that ``Visit.Meta``'s constraints can use them too.
# Visits in these states hold their time; a cancelled visit, a no-show or a visit not treated frees it.
VISIT_BLOCKING = (VisitStatus.BOOKED, VisitStatus.ARRIVED, VisitStatus.COMPLETED)
# States that still lie ahead of the clinic (can be cancelled or completed).
VISIT_OPEN = (VisitStatus.BOOKED, VisitStatus.ARRIVED)


class VisitQuerySet(models.QuerySet):
    def locked(self, pk: int) -> "Visit":
        """A fresh copy of the visit, row-locked until the transaction ends (two staff changing
        the same visit at once go one after the other, each seeing the other's result)."""
        return self.select_for_update(of=("self",)).select_related("practitioner", "appointment_type", "series").get(pk=pk)


class Visit(models.Model):
    Status = VisitStatus
    BLOCKING = VISIT_BLOCKING
    OPEN = VISIT_OPEN
    # The one table of allowed status changes: each new status, where it may come from and who
    # may make it (README, "Visit lifecycle"). Completion comes from the session record
    # (treatments calls ``visit_status.visit_complete``), so its right is the acupuncturist's.
    TRANSITIONS = {
        Status.ARRIVED: Transition((Status.BOOKED,), "scheduling.change_visit", "marked arrived"),
        Status.BOOKED: Transition((Status.ARRIVED,), "scheduling.change_visit", "put back to booked"),
        Status.NO_SHOW: Transition((Status.BOOKED,), "scheduling.change_visit", "marked as a no-show"),
        Status.NOT_TREATED: Transition((Status.ARRIVED,), "scheduling.mark_not_treated", "marked not treated",
                                       needs_reason=True),
        Status.CANCELLED: Transition(VISIT_OPEN, "scheduling.change_visit", "cancelled", needs_reason=True),
        Status.COMPLETED: Transition(VISIT_OPEN, "treatments.add_sessionrecord", "completed"),
    }
    # Changes that keep the status (a new time, the patient's confirmation) need a booked visit.
    CHANGEABLE = (Status.BOOKED,)
    CancelledBy = CancelledBy

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="visits")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="visits")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.PROTECT, related_name="visits")
    # Position in the series (1..n; a make-up session gets the next free number).
    sequence = models.PositiveSmallIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    # True when the scheduler could not use the series' cadence date and time.
    shifted = models.BooleanField(default=False)
    # Why the visit was cancelled or not treated (required for both, empty otherwise).
    cancel_reason = models.CharField(max_length=200, blank=True)
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    # Cancelled by the patient within the clinic's ``late_cancel_hours`` of the start.
    late_cancel = models.BooleanField(default=False)
    # A make-up session points at the cancelled session it replaces (and that one at it).
    make_up_for = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="make_up")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # When the patient confirmed through the reminder e-mail's link (cleared when the visit moves).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When the acupuncturist passed the session check at the visit (``visit_status.visit_treatment_start``):
    # an arrived visit with it is "in treatment" on the day's lists and the calendar.
    treatment_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["starts_at"], name="visit_starts_idx"),
            models.Index(fields=["practitioner", "starts_at"], name="visit_practitioner_start_idx"),
            models.Index(fields=["room", "starts_at"], name="visit_room_start_idx"),
            models.Index(fields=["patient", "starts_at"], name="visit_patient_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="visit_time_order"),
            # Availability finds a visit overlapping a time among those starting at most this
            # long before it (scheduling.availability.MAX_VISIT), on a bounded index range.
            models.CheckConstraint(
                condition=Q(ends_at__lte=models.F("starts_at") + dt.timedelta(hours=8)), name="visit_at_most_8_hours"
            ),
            models.CheckConstraint(
                condition=Q(series__isnull=True, sequence__isnull=True) | Q(series__isnull=False, sequence__gte=1),
                name="visit_series_sequence_together",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[VisitStatus.CANCELLED, VisitStatus.NOT_TREATED]) | Q(cancel_reason=""),
                name="visit_reason_only_when_cancelled_or_not_treated",
            ),
            models.CheckConstraint(
                condition=Q(status=VisitStatus.CANCELLED) | (Q(cancelled_by="") & Q(late_cancel=False)),
                name="visit_cancelled_by_only_when_cancelled",
            ),
            # "In treatment" is a stage of an arrived visit; it stays on the visit that ends from there.
            models.CheckConstraint(
                condition=Q(treatment_started_at__isnull=True)
                | Q(status__in=[VisitStatus.ARRIVED, VisitStatus.COMPLETED, VisitStatus.NOT_TREATED]),
                name="visit_treatment_started_only_once_arrived",
            ),
            # One live visit per position in a series; a cancelled one keeps its number for history.
            models.UniqueConstraint(
                fields=["series", "sequence"],
                condition=Q(status__in=list(VISIT_BLOCKING)),
                name="visit_series_sequence_unique",
            ),
        ]
        permissions = [("mark_not_treated", "Can mark an arrived visit as not treated")]

    def __str__(self) -> str:
        return f"{self.patient} with {self.practitioner} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def in_treatment(self) -> bool:
        return self.status == self.Status.ARRIVED and self.treatment_started_at is not None

    @property
    def state_label(self) -> str:
        """The state staff see on the day's lists and the calendar, in words."""
        if self.in_treatment:
            return "In treatment"
        if self.status == self.Status.BOOKED and self.confirmed_at:
            return "Confirmed by patient"
        return self.get_status_display()

    def refuse_unless(self, allowed: tuple[str, ...], action: str) -> None:
        """Raises ``BookingError`` saying why, unless the visit is in one of the ``allowed`` states."""
        if self.status not in allowed:
            raise BookingError(f"A visit that is {self.get_status_display().lower()} cannot be {action}.")

    def check_change(self, status: str, *, at: dt.datetime) -> None:
        """Raises ``BookingError`` unless the visit may become ``status`` at ``at``: first the
        transition table (so the state is the reason given), then when the change can happen."""
        self.refuse_unless(self.TRANSITIONS[status].sources, self.TRANSITIONS[status].words)
        if self.treatment_started_at and status in (self.Status.BOOKED, self.Status.CANCELLED):
            raise BookingError(
                f"The treatment has started: the visit cannot be {self.TRANSITIONS[status].words}; "
                "mark it not treated (with the reason) if it stops here."
            )
        if status == self.Status.ARRIVED and to_local(self.starts_at).date() != to_local(at).date():
            raise BookingError("A patient can only arrive on the day of the visit.")
        if status == self.Status.NO_SHOW and self.starts_at > at:
            raise BookingError("The visit has not started yet: a patient can only miss it once it has begun.")
        if status == self.Status.COMPLETED and self.starts_at > at:
            raise BookingError("A visit cannot be completed before it has started.")

    def allowed_changes(self, user, *, at: dt.datetime) -> list[str]:
        """The statuses ``user`` may move this visit to at ``at``: what the visit page offers."""
        allowed = []
        for status, transition in self.TRANSITIONS.items():
            if not user.has_perm(transition.perm):
                continue
            try:
                self.check_change(status, at=at)
            except BookingError:
                continue
            allowed.append(status)
        return allowed

    def change_status(self, status: str, *, at: dt.datetime, reason: str = "", cancelled_by: str = "",
                      late_cancel: bool = False) -> None:
        """Moves the visit to ``status`` if ``check_change`` allows it, and saves the change. Call
        it on a row locked with ``Visit.objects.locked`` inside the transaction that acts on it."""
        self.check_change(status, at=at)
        reason = reason.strip()[: self._meta.get_field("cancel_reason").max_length]
        if self.TRANSITIONS[status].needs_reason and not reason:
            raise ValidationError({"reason": ["Give a reason."]})
        self.status, self.status_changed_at = status, at
        self.cancel_reason = reason if self.TRANSITIONS[status].needs_reason else ""
        self.cancelled_by = cancelled_by if status == self.Status.CANCELLED else ""
        self.late_cancel = late_cancel and status == self.Status.CANCELLED
        self.save(update_fields=["status", "status_changed_at", "cancel_reason", "cancelled_by", "late_cancel",
                                 "updated_at"])

    @property
    def label(self) -> str:
        """How staff name the visit: "Make-up for session 6", "Session 3 of 10" or its type."""
        if self.make_up_for_id:
            replaced = self.make_up_for
            while replaced.make_up_for_id:  # a make-up of a cancelled make-up replaces the same session
                replaced = replaced.make_up_for
            return f"Make-up for session {replaced.sequence}"
        if self.series_id:
            return f"Session {self.sequence} of {self.series.sessions_planned}"
        return self.appointment_type.name


class MaintenanceSchedule(models.Model):
    """A patient who finished a series: when their next maintenance visit is due."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="maintenance")
    # The day of the visit that started the count (last treatment, or last maintenance visit).
    since = models.DateField()
    due_on = models.DateField(db_index=True)
    # Overrides the clinic default (ClinicSettings.maintenance_weeks) for this patient.
    interval_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_weeks__isnull=True)
                | (Q(interval_weeks__gte=MAINTENANCE_WEEKS_MIN) & Q(interval_weeks__lte=MAINTENANCE_WEEKS_MAX)),
                name="maintenance_interval_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient}: maintenance due {self.due_on:%d %b %Y}"

    @staticmethod
    def check_interval(weeks: int | None) -> None:
        """A patient's own interval (None: the clinic default) must be one the clinic allows."""
        if weeks is not None and not MAINTENANCE_WEEKS_MIN <= weeks <= MAINTENANCE_WEEKS_MAX:
            raise ValidationError(
                {"interval_weeks": [f"Choose between {MAINTENANCE_WEEKS_MIN} and {MAINTENANCE_WEEKS_MAX} weeks."]}
            )

    def set_due(self, *, default_weeks: int) -> None:
        """The due date: ``since`` plus the patient's own interval, or else the clinic's default."""
        self.due_on = self.since + dt.timedelta(weeks=self.interval_weeks or default_weeks)
