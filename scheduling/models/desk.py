"""Front-desk bookkeeping: which one-time form key booked what."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from scheduling.models.visits import Series, Visit


class FormSubmission(models.Model):
    """A create form's one-time key and what it booked. The booking inserts this row first in its
    own transaction, so of two submits of one form (a double click, a retry after a timeout) the
    second waits on the key, finds it taken once the first commits, and shows what was booked.
    The result is filled in before that commit; a booking that fails rolls the key back too."""

    key = models.UUIDField(primary_key=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(series__isnull=True) | Q(visit__isnull=True),
                                   name="form_submission_one_result"),
        ]

    def __str__(self) -> str:
        return f"form {self.key}"

    @staticmethod
    def new_key() -> uuid.UUID:
        return uuid.uuid4()
