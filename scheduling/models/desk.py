"""Front-desk bookkeeping: the decisions a closure or a practitioner's time off needs about the
visits booked inside it. (One-time form keys are ``staff.FormSubmission``.)"""


from django.conf import settings
from django.db import models
from django.db.models import Q

from scheduling.models.clinic import Closure, TimeOff
from scheduling.models.visits import Visit


class AffectedVisit(models.Model):
    """A visit booked inside a closure or a practitioner's time off, and what staff decided about
    it. Saving the closure or time off records these rows *pending*
    (``scheduling.closures.affected_visits_record``); a banner on every front-desk page says so
    until each has a decision: moved, cancelled (the patient is told) or kept with a reason."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        MOVED = "moved", "Moved"
        CANCELLED = "cancelled", "Cancelled"
        KEPT = "kept", "Kept"

    closure = models.ForeignKey(Closure, null=True, blank=True, on_delete=models.CASCADE, related_name="affected")
    time_off = models.ForeignKey(TimeOff, null=True, blank=True, on_delete=models.CASCADE, related_name="affected")
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="affected_by")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    # Why a visit is kept (the clinic opens anyway for it).
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["decision"], name="affected_decision_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(closure__isnull=False, time_off__isnull=True) | Q(closure__isnull=True, time_off__isnull=False),
                name="affected_by_closure_or_time_off",
            ),
            models.CheckConstraint(condition=~Q(decision="kept") | ~Q(reason=""), name="affected_kept_has_reason"),
            models.CheckConstraint(condition=Q(decision="pending") | Q(decided_at__isnull=False),
                                   name="affected_decided_dated"),
            models.UniqueConstraint(fields=["closure", "visit"], name="affected_once_per_closure"),
            models.UniqueConstraint(fields=["time_off", "visit"], name="affected_once_per_time_off"),
        ]

    def __str__(self) -> str:
        return f"{self.visit}: {self.get_decision_display()}"

    @property
    def cause(self) -> str:
        return f"Closed: {self.closure}" if self.closure_id else f"Time off: {self.time_off}"
