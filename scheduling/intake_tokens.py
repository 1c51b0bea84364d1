"""The signed link of an online intake invitation: making one and checking one.

``django.core.signing`` of ``{invitation id, e-mail}`` with its own salt: no health data, bound
to one invitation (one new patient), refused once altered or expired (``INTAKE_LINK_MAX_AGE``),
and used up by the submit (``IntakeInvitation.submitted_at``)."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from scheduling.models import IntakeInvitation
from scheduling.reminders.tokens import INVALID, USED, LinkError, signed_payload

SALT = "scheduling.intake-link"
INTAKE_LINK_MAX_AGE = dt.timedelta(days=14)


def intake_token(invitation: IntakeInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=SALT)


def intake_url(invitation: IntakeInvitation) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("links:intake", kwargs={"token": intake_token(invitation)})


def intake_verify(*, token: str, lock: bool = False) -> IntakeInvitation:
    """The invitation a token names if it is genuine, not expired and not used; ``lock`` takes a
    row lock (inside the submit's transaction). Raises ``LinkError`` if not."""
    payload = signed_payload(token, salt=SALT, max_age=INTAKE_LINK_MAX_AGE, keys={"i", "e"})
    if not isinstance(payload["i"], int):
        raise LinkError(INVALID)
    rows = IntakeInvitation.objects.select_for_update() if lock else IntakeInvitation.objects
    invitation = rows.filter(pk=payload["i"]).first()
    if invitation is None or invitation.email != payload["e"]:
        raise LinkError(INVALID)
    if invitation.submitted_at is not None:
        raise LinkError(USED)
    return invitation
