import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditEvent(models.Model):
    """Who read or changed a patient's record or a staff account, and when (SPEC §1).

    Append-only and hash-chained: the database refuses UPDATE and DELETE, and an insert trigger
    links each event to the one before it (``seq``, ``prev_hash``, ``hash``) under a lock, so
    concurrent inserts keep one chain. ``content_hash`` is SHA-256 of the event's canonical
    content (``staff.audit.canonical_content``); ``manage.py audit_verify`` recomputes both.
    """

    class Action(models.TextChoices):
        VIEW = "view", "viewed"
        CREATE = "create", "created"
        CHANGE = "change", "changed"
        DELETE = "delete", "deleted"
        LOGIN = "login", "logged in"
        LOGOUT = "logout", "logged out"
        LOGIN_FAILED = "login_failed", "failed login"
        LOCKOUT = "lockout", "locked out"

    # Set in Python (not by the database) because it is part of the hashed content.
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: a staff member with a trail is deactivated, never deleted (the trail names them).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    # What was touched, e.g. "patients.screening" #42, and whose record it belongs to. Plain ids
    # keep the log independent of the apps (and it outlives deleted rows).
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    summary = models.CharField(max_length=200, blank=True)
    # Changes worth reviewing field by field (accounts, roles, safety catalogue, plan settings):
    # {"field": [before, after]}; before is null for a created row, after for a deleted one.
    changes = models.JSONField(default=dict, blank=True)
    # The chain, filled by the insert trigger (see the migration 0004_audit_chain).
    seq = models.BigIntegerField(null=True, unique=True, editable=False)
    content_hash = models.CharField(max_length=64, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type} #{self.object_id}"


class PasswordResetRequest(models.Model):
    """One reset e-mail asked for, kept to limit how many go to one address per hour
    (in the database, not the cache, so the limit holds with Redis down)."""

    email = models.CharField(max_length=254)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["email", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.email}"


class FormSubmission(models.Model):
    """A create form's one-time key and what its first submit created (``staff.submissions``).
    The write inserts this row first in its own transaction, so of two submits of one form (a
    double click, a retry after a timeout) the second waits on the key, finds it taken once the
    first commits, and shows what was created. The result is filled in before that commit; a
    write that fails rolls the key back too."""

    key = models.UUIDField(primary_key=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # What the first submit created: "app_label.model" and its id (any app's row, so a plain pair).
    result_type = models.CharField(max_length=100, blank=True)
    result_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(result_id__isnull=True, result_type="") | ~Q(result_type=""),
                                   name="form_submission_result_typed"),
        ]

    def __str__(self) -> str:
        return f"form {self.key}"

    @staticmethod
    def new_key() -> uuid.UUID:
        return uuid.uuid4()
