"""Idempotent booking: the series confirmation and the visit form carry a one-time key
(``staff.submissions``, shared with every create form). Booking claims the key as the first write
of its transaction; a second submit of the same page gets ``AlreadySaved`` with the series or
visit booked, instead of "nothing was booked" or a second booking.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from scheduling.errors import SlotTaken
from staff.submissions import AlreadySaved, form_key_claim, form_key_result
from staff.submissions import form_key_guard as _guard

__all__ = ["AlreadySaved", "form_key_claim", "form_key_guard", "form_key_result"]


@contextmanager
def form_key_guard(*, key: uuid.UUID | None, by) -> Iterator[None]:
    """The shared guard; a slot taken by this same form's first submit also means "already booked"."""
    with _guard(key=key, by=by, also=(SlotTaken,)):
        yield
