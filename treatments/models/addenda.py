"""Corrections to a session record: a record is never changed, so a correction or a later
observation is a new row under it (an addendum), with its author and time, itself never changed."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from staff.text import FREE_TEXT_MAX, free_text_problem
from treatments.models.history import HistoryRow
from treatments.models.sessions import SessionRecord


class SessionAddendum(HistoryRow):
    """A note added under a session record after it was saved (corrections are new rows).

    Append-only: the ORM refuses edits and deletions (``HistoryRow``) and database triggers
    (``treatments.triggers.HISTORY_TABLES``) refuse them below it; the one change allowed is
    anonymisation blanking the text (``patients.rights.blank_free_text``).
    """

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    kept_message = "An addendum is never changed once saved: add another one."

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "session addenda"
        constraints = [
            models.CheckConstraint(condition=LessThanOrEqual(Length("text"), FREE_TEXT_MAX), name="addendum_text_bounded"),
        ]

    def __str__(self) -> str:
        return f"Addendum to {self.record} ({self.created_at:%Y-%m-%d %H:%M})"

    @classmethod
    def insert_problems(cls, rows: list["SessionAddendum"]) -> list[str]:
        """What staff may write as an addendum: something, within the free-text limits."""
        problems = []
        for row in rows:
            if not (row.text or "").strip():
                problems.append("Write the addendum.")
            elif problem := free_text_problem(row.text):
                problems.append(problem)
        return problems
