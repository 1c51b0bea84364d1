"""Clinic setup (rooms, hours, closures, practitioners, appointment types), series and visits.

Times a person types or reads are local to the clinic (``settings.TIME_ZONE``); instants are
stored as aware UTC datetimes. Weekly patterns (opening and working hours) are local wall-clock
times, so 09:00 stays 09:00 across a clock change.

Overlapping active visits for one practitioner, room or patient are refused by the database:
PostgreSQL exclusion constraints added in migration 0002 (see there), and on SQLite a check made
inside the same serialized write transaction (``scheduling.booking``).

Reminders hang off ``Visit`` (upcoming visit), ``Series`` (sessions still unbooked:
``sessions_planned`` minus its live visits) and ``MaintenanceSchedule`` (``due_on``); every change
to those rows goes through a function in ``scheduling.booking``, which updates the matching
``Reminder`` rows (``scheduling.reminders``) inside the same ``transaction.atomic`` block.
"""

import datetime as dt
import uuid
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import Patient


class Weekday(models.IntegerChoices):
    # Python's date.weekday() numbering, so no translation is needed anywhere.
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ClinicSettings(models.Model):
    """The one row of clinic-wide settings (the primary key is always 1)."""

    name = models.CharField(max_length=120, default="Acuclinic")
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    maintenance_weeks = models.PositiveSmallIntegerField(
        "weeks to the next maintenance visit",
        default=5,
        help_text="After the last treatment of a series, and after each maintenance visit (4–6 is usual).",
    )
    visit_reminder_hours = models.PositiveSmallIntegerField("hours before a visit to remind", default=48)
    maintenance_reminder_days = models.PositiveSmallIntegerField("days before maintenance is due to remind", default=7)
    slot_minutes = models.PositiveSmallIntegerField(
        "booking grid in minutes", default=15, help_text="Visits start on this grid (e.g. 09:00, 09:15, ...)."
    )

    class Meta:
        verbose_name = verbose_name_plural = "clinic settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="clinic_settings_single_row"),
            models.CheckConstraint(
                condition=Q(maintenance_weeks__gte=1) & Q(maintenance_weeks__lte=26), name="clinic_maintenance_weeks_range"
            ),
            models.CheckConstraint(condition=Q(slot_minutes__in=[5, 10, 15, 20, 30, 60]), name="clinic_slot_minutes_grid"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> "ClinicSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def time_zone(self) -> str:
        # Read-only here: the zone comes from the environment (CLINIC_TIME_ZONE) so that Celery,
        # Django and this app can never disagree.
        return settings.TIME_ZONE


class Room(models.Model):
    name = models.CharField(max_length=60, unique=True)
    display_order = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """The clinic's opening hours on one weekday (local time). A weekday without a row is closed."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "opening hours"
        constraints = [models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="opening_hours_order")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """Days the whole clinic is closed (holidays), first and last day included."""

    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=120)

    class Meta:
        ordering = ["first_day"]
        constraints = [models.CheckConstraint(condition=Q(first_day__lte=models.F("last_day")), name="closure_order")]

    def __str__(self) -> str:
        return f"{self.reason} ({self.first_day:%d %b %Y}–{self.last_day:%d %b %Y})"


class Practitioner(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner")
    display_name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class WorkingHours(models.Model):
    """One working period of a practitioner on a weekday (local time); several make a split shift."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["practitioner", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [models.CheckConstraint(condition=Q(starts__lt=models.F("ends")), name="working_hours_order")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class TimeOff(models.Model):
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["practitioner", "starts_at"], name="timeoff_practitioner_start_idx")]
        constraints = [models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="time_off_order")]

    def __str__(self) -> str:
        return f"{self.practitioner} off {self.starts_at:%Y-%m-%d %H:%M}"


class AppointmentType(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Initial consultation and treatment"
        TREATMENT = "treatment", "Treatment"
        MAINTENANCE = "maintenance", "Maintenance"

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    duration_minutes = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=480), name="appointment_type_duration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)


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

    MIN_SESSIONS = 6
    MAX_SESSIONS = 12

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
                condition=Q(sessions_planned__gte=6) & Q(sessions_planned__lte=12), name="series_sessions_6_12"
            ),
            models.CheckConstraint(condition=Q(cadence_days__in=[7, 14]), name="series_cadence"),
            models.CheckConstraint(
                condition=Q(status="completed", completed_on__isnull=False) | ~Q(status="completed"),
                name="series_completed_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sessions_planned} × {self.appointment_type.name} for {self.patient}"


class Visit(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    # Visits in these states hold their time; a cancelled visit or a no-show frees it.
    BLOCKING = (Status.BOOKED, Status.ARRIVED, Status.COMPLETED)
    # States that still lie ahead of the clinic (can be moved, cancelled, arrived, completed).
    OPEN = (Status.BOOKED, Status.ARRIVED)

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
    cancel_reason = models.CharField(max_length=200, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # When the patient confirmed through the reminder e-mail's link (cleared when the visit moves).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

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
                condition=Q(status="cancelled") | Q(cancel_reason=""), name="visit_cancel_reason_only_when_cancelled"
            ),
            # One live visit per position in a series; a cancelled one keeps its number for history.
            models.UniqueConstraint(
                fields=["series", "sequence"],
                condition=Q(status__in=["booked", "arrived", "completed"]),
                name="visit_series_sequence_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.practitioner} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


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
                condition=Q(interval_weeks__isnull=True) | (Q(interval_weeks__gte=1) & Q(interval_weeks__lte=26)),
                name="maintenance_interval_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient}: maintenance due {self.due_on:%d %b %Y}"


def new_message_id() -> str:
    """A Message-ID fixed when the reminder is created and sent with every copy of it, so that
    the one duplicate no design can rule out (see README, Reminders) is folded by mail clients."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "acuclinic.invalid"
    return f"<reminder.{uuid.uuid4().hex}@{domain}>"


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

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired (no longer useful)"
        CANCELLED = "cancelled", "Cancelled"

    # Not yet handed to the mail server: a change to the visit, series or schedule cancels these
    # and makes new ones. A reminder already ``sending`` is left to finish.
    WAITING = (State.PENDING, State.QUEUED)

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
    # Set with each claim: a worker only finishes a row it still holds (see reminders.reminder_send).
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
                    Q(kind="visit_upcoming", visit__isnull=False)
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
                fields=["visit"], condition=Q(kind="visit_upcoming", state__in=["pending", "queued"]),
                name="reminder_one_waiting_per_visit",
            ),
            models.UniqueConstraint(
                fields=["series"], condition=Q(kind="series_unbooked", state__in=["pending", "queued"]),
                name="reminder_one_waiting_per_series",
            ),
            models.UniqueConstraint(
                fields=["patient", "due_at"],
                condition=Q(kind="maintenance_due", state__in=["pending", "queued"]),
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
