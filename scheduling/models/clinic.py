"""Clinic setup: rooms, opening hours, closures, practitioners, their hours and time off, and
appointment types.

Times a person types or reads are local to the clinic (``settings.TIME_ZONE``); instants are
stored as aware UTC datetimes. Weekly patterns (opening and working hours) are local wall-clock
times, so 09:00 stays 09:00 across a clock change.
"""

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

# The settings row read in the current request or task (see ``clinic_settings_scope``); None
# outside one, where every ``ClinicSettings.load()`` reads the row.
_scope: ContextVar[dict | None] = ContextVar("clinic_settings_scope", default=None)

# How far apart maintenance visits may be, for the clinic default and a patient's own interval.
MAINTENANCE_WEEKS_MIN, MAINTENANCE_WEEKS_MAX = 1, 26
# How many days before a visit the patient is asked whether their health changed.
HEALTH_CHECK_DAYS_MIN, HEALTH_CHECK_DAYS_MAX = 1, 7
# How soon a patient may book or move a visit through an e-mail link (hours from now).
PATIENT_NOTICE_HOURS_MIN, PATIENT_NOTICE_HOURS_MAX = 0, 168



def new_timetable_version() -> int:
    """A random version (53 bits): never a counter, so a change rolled back cannot hand its
    number to a later change (see ``scheduling.timetable``)."""
    return secrets.randbits(53)


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
    late_cancel_hours = models.PositiveSmallIntegerField(
        "late cancellation within (hours)",
        default=24,
        help_text="A patient's cancellation this close to the visit is flagged as late.",
    )
    slot_minutes = models.PositiveSmallIntegerField(
        "booking grid in minutes", default=15, help_text="Visits start on this grid (e.g. 09:00, 09:15, ...)."
    )
    health_check_days_before = models.PositiveSmallIntegerField(
        "days before a visit to ask about health changes",
        default=3,
        validators=[MinValueValidator(HEALTH_CHECK_DAYS_MIN), MaxValueValidator(HEALTH_CHECK_DAYS_MAX)],
        help_text="The patient gets a \"has anything changed?\" e-mail this many days before each visit (1–7).",
    )
    patient_min_notice_hours = models.PositiveSmallIntegerField(
        "patients book or move at least (hours) ahead",
        default=24,
        help_text="Through their e-mail links, patients are offered no time sooner than this (0–168).",
    )
    # Changed by a database trigger whenever the timetable changes (opening hours, closures,
    # working hours, time off, rooms, practitioners): ``scheduling.timetable`` keys its cache on it.
    timetable_version = models.BigIntegerField(default=new_timetable_version, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "clinic settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="clinic_settings_single_row"),
            models.CheckConstraint(
                condition=Q(maintenance_weeks__gte=MAINTENANCE_WEEKS_MIN) & Q(maintenance_weeks__lte=MAINTENANCE_WEEKS_MAX),
                name="clinic_maintenance_weeks_range",
            ),
            models.CheckConstraint(condition=Q(slot_minutes__in=[5, 10, 15, 20, 30, 60]), name="clinic_slot_minutes_grid"),
            models.CheckConstraint(
                condition=Q(health_check_days_before__gte=HEALTH_CHECK_DAYS_MIN)
                & Q(health_check_days_before__lte=HEALTH_CHECK_DAYS_MAX),
                name="clinic_health_check_days_range",
            ),
            models.CheckConstraint(
                condition=Q(patient_min_notice_hours__gte=PATIENT_NOTICE_HOURS_MIN)
                & Q(patient_min_notice_hours__lte=PATIENT_NOTICE_HOURS_MAX),
                name="clinic_patient_min_notice_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # An edit of the settings never writes ``timetable_version`` back: the trigger may have
        # changed it since this row was read, and writing the old value would revive stale caches.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.attname for field in self._meta.concrete_fields
                if not field.primary_key and field.attname != "timetable_version"
            ]
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "ClinicSettings":
        """The settings row; read once per request or task (``clinic_settings_scope``), so a
        page that asks in several places costs one query. Never cached across requests: an
        admin's edit shows on the next page."""
        scope = _scope.get()
        if scope is not None and "settings" in scope:
            return scope["settings"]
        obj, _ = cls.objects.get_or_create(pk=1)
        if scope is not None:
            scope["settings"] = obj
        return obj

    @property
    def time_zone(self) -> str:
        # Read-only here: the zone comes from the environment (CLINIC_TIME_ZONE) so that Celery,
        # Django and this app can never disagree.
        return settings.TIME_ZONE


@contextmanager
def clinic_settings_scope() -> Iterator[None]:
    """Within it, ``ClinicSettings.load()`` reads the row once (the middleware
    ``scheduling.middleware.clinic_settings_per_request`` opens one per request, the Celery
    signals in ``scheduling.tasks`` one per task). Scopes nest: an inner one reads afresh."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


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
        constraints = [
            models.CheckConstraint(condition=Q(first_day__lte=models.F("last_day")), name="closure_order"),
            # A double submit of the admin's add form (or a retry) saves the closure once.
            models.UniqueConstraint(fields=["first_day", "last_day"], name="closure_once",
                                    violation_error_message="This closure is saved already (the same days)."),
        ]

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
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="time_off_order"),
            # A double submit of the admin's add form (or a retry) saves the time off once.
            models.UniqueConstraint(fields=["practitioner", "starts_at", "ends_at"], name="time_off_once",
                                    violation_error_message="This time off is saved already (the same times)."),
        ]

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
