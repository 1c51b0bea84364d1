"""The waiting list: patients who would like an earlier or another time with a practitioner, each
with the window that suits them (clinic-local days, weekdays and times of day); and the times
that cancellations and moves free, which the front desk offers to those patients
(``scheduling.waitlist``)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from patients.models import Patient
from scheduling.models.clinic import AppointmentType, Practitioner, Weekday
from scheduling.models.visits import Visit

# A weekday mask: bit ``d`` set means weekday ``d`` (Monday 0) suits; 0 means any day.
ALL_WEEKDAYS = 0
WEEKDAY_MASK_MAX = (1 << len(Weekday)) - 1


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Booked from the waiting list"
        DONE = "done", "Done"
        REMOVED = "removed", "Removed"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="waitlist_entries")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="waitlist_entries")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    # The window, in the clinic's local time: days (inclusive), weekdays, and optionally the time
    # of day a visit must start at or after and end by.
    earliest_day = models.DateField()
    latest_day = models.DateField()
    weekdays = models.PositiveSmallIntegerField(default=ALL_WEEKDAYS)
    from_time = models.TimeField(null=True, blank=True)
    until_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    # The visit booked from the waiting list (status booked).
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waiting list entries"
        indexes = [models.Index(fields=["practitioner", "status"], name="waitlist_practitioner_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(earliest_day__lte=F("latest_day")), name="waitlist_days_in_order"),
            models.CheckConstraint(condition=Q(weekdays__gte=0) & Q(weekdays__lte=WEEKDAY_MASK_MAX),
                                   name="waitlist_weekday_mask"),
            models.CheckConstraint(
                condition=Q(from_time__isnull=True) | Q(until_time__isnull=True) | Q(from_time__lt=F("until_time")),
                name="waitlist_times_in_order",
            ),
            models.CheckConstraint(condition=Q(status="waiting") | Q(closed_at__isnull=False),
                                   name="waitlist_closed_dated"),
            models.CheckConstraint(condition=~Q(status="booked") | Q(visit__isnull=False),
                                   name="waitlist_booked_has_visit"),
            # One open wish per patient and practitioner: a second would be offered the same slots twice.
            models.UniqueConstraint(fields=["patient", "practitioner"], condition=Q(status="waiting"),
                                    name="waitlist_one_waiting_per_practitioner"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.practitioner}"

    @property
    def weekday_names(self) -> str:
        if self.weekdays == ALL_WEEKDAYS:
            return "any day"
        return ", ".join(day.label[:3] for day in Weekday if self.weekdays & (1 << day.value))


class FreedSlot(models.Model):
    """A practitioner's time a visit left: cancelled, or moved to another time. Recorded by
    ``scheduling.freed_slots.slot_freed`` in the transaction that freed it; offered to the waiting
    list while it lies ahead and nobody has been booked into it."""

    class Cause(models.TextChoices):
        CANCELLED = "cancelled", "Cancelled"
        MOVED = "moved", "Moved away"

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="freed_slots")
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="freed_slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    cause = models.CharField(max_length=10, choices=Cause.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at"], name="freed_slot_start_idx")]
        constraints = [models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="freed_slot_order")]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.starts_at:%Y-%m-%d %H:%M} ({self.get_cause_display().lower()})"
