"""A signed link acts once: its use is a ``LinkUse`` row, unique per reminder and action, written
in the same transaction as what the link does (``actions``, ``health_check``, ``self_booking``)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import LinkUse, Reminder
from scheduling.reminders.tokens import USED, LinkError


@contextmanager
def link_used(*, reminder: Reminder, action: str) -> Iterator[None]:
    """The link's one use and what it does, in one transaction. The ``LinkUse`` row is written
    first, so a second submit (even a simultaneous one) fails there, changes nothing and raises
    ``LinkError(USED)``."""
    try:
        with transaction.atomic():
            LinkUse.objects.create(reminder=reminder, action=action, used_at=timezone.now())
            yield
    except IntegrityError:
        raise LinkError(USED) from None
