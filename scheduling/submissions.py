"""Idempotent booking: each create form carries a one-time key (``FormSubmission``). The booking
claims the key as the first write of its transaction and records what it booked before the
commit, so a form submitted twice books once; the second submit gets ``AlreadyBooked`` with the
first one's result instead of "nothing was booked" or a second booking.

On PostgreSQL the second transaction's insert of the same key waits for the first to commit and
then fails on the primary key; on SQLite writes are serialized, so it finds the key at once. If
the first booking failed, its key was rolled back with it and the second books normally.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError

from scheduling.errors import SlotTaken
from scheduling.models import FormSubmission, Series, Visit


class AlreadyBooked(Exception):  # noqa: N818 (an outcome, not a failure: the view shows it)
    """This form was submitted before and booked ``submission.series`` or ``submission.visit``."""

    def __init__(self, submission: FormSubmission):
        super().__init__(f"Form {submission.key} was already booked.")
        self.submission = submission


def form_key_claim(*, key: uuid.UUID | None, by) -> FormSubmission | None:
    """The first write inside the booking's transaction (nothing to claim without a key or user)."""
    if key is None or by is None:
        return None
    return FormSubmission.objects.create(key=key, created_by=by)


def form_key_result(claim: FormSubmission | None, *, series: Series | None = None, visit: Visit | None = None) -> None:
    """Records what the claimed key booked, still inside the booking's transaction."""
    if claim is not None:
        claim.series, claim.visit = series, visit
        claim.save(update_fields=["series", "visit"])


@contextmanager
def form_key_guard(*, key: uuid.UUID | None, by) -> Iterator[None]:
    """Wraps the booking's transaction (outside it, so the failed one has rolled back): a clash
    on the key, or a slot taken by this same form's first submit, becomes ``AlreadyBooked``."""
    try:
        yield
    except (IntegrityError, SlotTaken):
        done = None if key is None or by is None else (
            FormSubmission.objects.select_related("series", "visit").filter(key=key, created_by=by).first()
        )
        if done is None or (done.series_id is None and done.visit_id is None):
            raise
        raise AlreadyBooked(done) from None
