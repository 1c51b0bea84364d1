from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who read or changed a patient's record, and when (SPEC §1)."""

    class Action(models.TextChoices):
        VIEW = "view", "viewed"
        CREATE = "create", "created"
        CHANGE = "change", "changed"
        DELETE = "delete", "deleted"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    # What was touched, e.g. "patients.screening" #42, and whose record it belongs to. Plain ids
    # keep the log independent of the apps (and it outlives deleted rows).
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    summary = models.CharField(max_length=200, blank=True)
    # For changes worth reviewing field by field (safety catalogue, plan settings):
    # {"field": [before, after]}; before is null for a created row, after for a deleted one.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type} #{self.object_id}"
