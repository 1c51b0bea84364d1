"""One-time form keys: every create form carries one, so a form submitted twice — a double
click, a retry after a timeout, two requests at the same moment — creates once, and the second
submit is told what the first created ("already saved") instead of a false error or a duplicate.

The write claims the key (``FormSubmission``) as the first statement of its transaction and
records what it created before the commit. On PostgreSQL a second transaction's insert of the
same key waits for the first to commit and then fails on the primary key; on SQLite writes are
serialized, so it finds the key at once. If the first write failed, its key was rolled back with
it and the second proceeds normally. Each app's write functions take ``form_key`` and call these.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.db import IntegrityError, models

from staff.models import FormSubmission


class AlreadySaved(Exception):  # noqa: N818 (an outcome, not a failure: the view shows it)
    """This form was submitted before; its first submit created ``result_type`` #``result_id``."""

    def __init__(self, submission: FormSubmission):
        super().__init__(f"Form {submission.key} was already saved.")
        self.submission = submission
        self.result_type, self.result_id = submission.result_type, submission.result_id


class FormKeyForm(forms.Form):
    """The page's one-time key, as a hidden field (a fresh key for each page shown)."""

    form_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "once")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["form_key"] = FormSubmission.new_key()

    @property
    def key(self) -> uuid.UUID | None:
        return self.cleaned_data.get("form_key") if self.is_valid() else None


def form_key_claim(*, key: uuid.UUID | None, by) -> FormSubmission | None:
    """The first write inside the creating transaction (nothing to claim without a key or user)."""
    if key is None or by is None:
        return None
    return FormSubmission.objects.create(key=key, created_by=by)


def form_key_result(claim: FormSubmission | None, obj: models.Model) -> None:
    """Records what the claimed key created, still inside the creating transaction."""
    if claim is not None:
        claim.result_type, claim.result_id = obj._meta.label_lower, obj.pk
        claim.save(update_fields=["result_type", "result_id"])


@contextmanager
def form_key_guard(*, key: uuid.UUID | None, by, also: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Wraps the creating transaction (outside it, so the failed one has rolled back): a clash on
    the key — or one of ``also`` (e.g. a slot taken by this same form's first submit) when the key
    was used — becomes ``AlreadySaved``."""
    try:
        yield
    except (IntegrityError, *also):
        done = None if key is None or by is None else FormSubmission.objects.filter(key=key, created_by=by).first()
        if done is None or done.result_id is None:
            raise
        raise AlreadySaved(done) from None
