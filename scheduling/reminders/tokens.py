"""Signed links in reminder e-mails: making a token and checking one.

A token is ``django.core.signing`` of ``{reminder id, patient id, visit or series id, action}``
with its own salt, so it carries no health data, cannot be altered, and cannot be turned into a
link for another patient, visit or action. It expires after ``LINK_MAX_AGE``. What a link does
is in ``actions``; this module only knows which links each kind of e-mail carries.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from scheduling.models import Reminder

SALT = "scheduling.reminder-link"
LINK_MAX_AGE = dt.timedelta(days=30)


class Action:
    CONFIRM = "confirm"
    CANCEL = "cancel"
    NEW_TIME = "new_time"
    MAINTENANCE = "maintenance"
    SERIES = "series"
    STOP = "stop"
    HEALTH_CHECK = "health_check"


# The links each kind of e-mail carries, in the order the e-mail shows them.
ACTIONS = {
    Reminder.Kind.VISIT_UPCOMING: (Action.CONFIRM, Action.NEW_TIME, Action.CANCEL, Action.STOP),
    Reminder.Kind.MAINTENANCE_DUE: (Action.MAINTENANCE, Action.STOP),
    Reminder.Kind.SERIES_UNBOOKED: (Action.SERIES, Action.STOP),
    Reminder.Kind.HEALTH_CHECK: (Action.HEALTH_CHECK, Action.STOP),
}
# Actions with a page of their own (``links:page`` serves the others).
ROUTES = {Action.HEALTH_CHECK: "links:health_check"}

INVALID, EXPIRED, USED, OUTDATED = "invalid", "expired", "used", "outdated"


class LinkError(Exception):
    """The link cannot be used; ``reason`` picks the friendly page's wording."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _subject_id(reminder: Reminder) -> int | None:
    return reminder.visit_id or reminder.series_id


def link_token(*, reminder: Reminder, action: str) -> str:
    if action not in ACTIONS[reminder.kind]:
        raise ValueError(f"{action!r} is not a link of a {reminder.kind} reminder")
    payload = {"r": reminder.pk, "p": reminder.patient_id, "s": _subject_id(reminder), "a": action}
    return signing.dumps(payload, salt=SALT, compress=True)


def link_url(*, reminder: Reminder, action: str) -> str:
    path = reverse(ROUTES.get(action, "links:page"), kwargs={"token": link_token(reminder=reminder, action=action)})
    return settings.SITE_URL.rstrip("/") + path


def signed_payload(token: str, *, salt: str, max_age: dt.timedelta, keys: set[str]) -> dict:
    """What a signed link carries (a dict of exactly ``keys``), if its signature holds for
    ``salt`` and it is younger than ``max_age``; raises ``LinkError`` (EXPIRED or INVALID) if not.
    Every kind of patient link (reminders, online intake) reads its token through this."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError(EXPIRED) from None
    except signing.BadSignature:
        raise LinkError(INVALID) from None
    if not isinstance(payload, dict) or set(payload) != keys:
        raise LinkError(INVALID)
    return payload


def link_verify(*, token: str) -> tuple[Reminder, str]:
    """The reminder and action a token names, if its signature holds, it has not expired and it
    still matches its reminder's patient, visit or series; raises ``LinkError`` if not."""
    payload = signed_payload(token, salt=SALT, max_age=LINK_MAX_AGE, keys={"r", "p", "s", "a"})
    reminder = (
        Reminder.objects.select_related("patient", "visit__practitioner", "visit__appointment_type", "series")
        .filter(pk=payload["r"])
        .first()
    )
    # Bound to one patient and one visit or series: a token naming anything else is refused.
    if (
        reminder is None
        or reminder.patient_id != payload["p"]
        or _subject_id(reminder) != payload["s"]
        or payload["a"] not in ACTIONS[reminder.kind]
    ):
        raise LinkError(INVALID)
    return reminder, payload["a"]
