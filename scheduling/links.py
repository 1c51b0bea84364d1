"""Signed links in reminder e-mails: what patients (who have no account) can do.

A token is ``django.core.signing`` of ``{reminder id, patient id, visit or series id, action}``
with its own salt, so it carries no health data, cannot be altered, and cannot be turned into a
link for another patient, visit or action. It expires after ``LINK_MAX_AGE``. Opening a link
(GET, which mail scanners do) only shows a page; its button (POST with CSRF) acts, once: the use
is a ``LinkUse`` row, unique per reminder and action, written in the same transaction as the act.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from scheduling import reminders, visit_status
from scheduling.models import LinkUse, PatientRequest, Reminder, Visit

SALT = "scheduling.reminder-link"
LINK_MAX_AGE = dt.timedelta(days=30)


class Action:
    CONFIRM = "confirm"
    CANCEL = "cancel"
    NEW_TIME = "new_time"
    MAINTENANCE = "maintenance"
    SERIES = "series"
    STOP = "stop"


# The links each kind of e-mail carries, in the order the e-mail shows them.
ACTIONS = {
    Reminder.Kind.VISIT_UPCOMING: (Action.CONFIRM, Action.NEW_TIME, Action.CANCEL, Action.STOP),
    Reminder.Kind.MAINTENANCE_DUE: (Action.MAINTENANCE, Action.STOP),
    Reminder.Kind.SERIES_UNBOOKED: (Action.SERIES, Action.STOP),
}
# Actions that open a request for the front desk.
REQUESTS = {
    Action.NEW_TIME: PatientRequest.Kind.NEW_TIME,
    Action.MAINTENANCE: PatientRequest.Kind.MAINTENANCE,
    Action.SERIES: PatientRequest.Kind.SERIES,
}
# Only meaningful while the visit is still booked and ahead.
VISIT_ACTIONS = (Action.CONFIRM, Action.CANCEL, Action.NEW_TIME)


class LinkError(Exception):
    """The link cannot be used; ``reason`` picks the friendly page's wording."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


INVALID, EXPIRED, USED, OUTDATED = "invalid", "expired", "used", "outdated"


@dataclass
class Link:
    reminder: Reminder
    action: str


def _subject_id(reminder: Reminder) -> int | None:
    return reminder.visit_id or reminder.series_id


def link_token(*, reminder: Reminder, action: str) -> str:
    if action not in ACTIONS[reminder.kind]:
        raise ValueError(f"{action!r} is not a link of a {reminder.kind} reminder")
    payload = {"r": reminder.pk, "p": reminder.patient_id, "s": _subject_id(reminder), "a": action}
    return signing.dumps(payload, salt=SALT, compress=True)


def link_url(*, reminder: Reminder, action: str) -> str:
    path = reverse("links:page", kwargs={"token": link_token(reminder=reminder, action=action)})
    return settings.SITE_URL.rstrip("/") + path


def link_open(*, token: str, now: dt.datetime | None = None) -> Link:
    """Checks a token and that its action can still be done; raises ``LinkError`` if not."""
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkError(EXPIRED) from None
    except signing.BadSignature:
        raise LinkError(INVALID) from None
    if not isinstance(payload, dict) or set(payload) != {"r", "p", "s", "a"}:
        raise LinkError(INVALID)
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
    action = payload["a"]
    if LinkUse.objects.filter(reminder=reminder, action=action).exists():
        raise LinkError(USED)
    if action in VISIT_ACTIONS:
        visit = reminder.visit
        # A link names the time its e-mail showed: once the visit moved, it no longer applies.
        if visit.status != Visit.Status.BOOKED or visit.starts_at <= now or visit.starts_at != reminder.expires_at:
            raise LinkError(OUTDATED)
    return Link(reminder=reminder, action=action)


def link_act(*, token: str, note: str = "") -> Link:
    """Does what the link is for, once. Raises ``LinkError`` (nothing changed) if it cannot."""
    link = link_open(token=token)
    reminder, action = link.reminder, link.action
    try:
        with transaction.atomic():
            # First, so a second submit (even a simultaneous one) fails here and changes nothing.
            LinkUse.objects.create(reminder=reminder, action=action, used_at=timezone.now())
            if action == Action.CONFIRM:
                visit_status.visit_confirm(visit=reminder.visit)
            elif action == Action.CANCEL:
                visit_status.visit_cancel(visit=reminder.visit, reason="Cancelled by the patient (e-mail link)", by=None)
            elif action in REQUESTS:
                reminders.patient_request_create(reminder=reminder, kind=REQUESTS[action], note=note)
            elif action == Action.STOP:
                reminders.reminders_stop(patient=reminder.patient)
    except IntegrityError:
        raise LinkError(USED) from None
    except ValidationError:
        # The visit changed between opening the page and pressing the button.
        raise LinkError(OUTDATED) from None
    return link
