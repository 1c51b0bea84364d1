"""What a link in a reminder e-mail does. Opening a link (GET, which mail scanners do) only
checks it (``link_open``); its page's button (POST with CSRF) acts, once (``link_act``): the use
is a ``LinkUse`` row, unique per reminder and action, written in the same transaction as the act.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from scheduling import visit_status
from scheduling.models import LinkUse, PatientRequest, Reminder, Visit
from scheduling.reminders.link_use import link_used
from scheduling.reminders.patient_requests import patient_request_create
from scheduling.reminders.tokens import INVALID, OUTDATED, USED, Action, LinkError, link_verify
from scheduling.reminders.upkeep import reminders_stop

# Actions that ask the front desk for something (the page takes a note).
REQUESTS = {
    Action.NEW_TIME: PatientRequest.Kind.NEW_TIME,
    Action.MAINTENANCE: PatientRequest.Kind.MAINTENANCE,
    Action.SERIES: PatientRequest.Kind.SERIES,
}
# Every act through a link is listed for the front desk (Requests) with its time and patient,
# also those the link does by itself.
LISTED = {
    **REQUESTS,
    Action.CONFIRM: PatientRequest.Kind.CONFIRMED,
    Action.CANCEL: PatientRequest.Kind.CANCELLED,
    Action.STOP: PatientRequest.Kind.STOPPED,
}
# Only meaningful while the visit is still booked and ahead.
VISIT_ACTIONS = (Action.CONFIRM, Action.CANCEL, Action.NEW_TIME)


@dataclass
class Link:
    reminder: Reminder
    action: str


def link_open(*, token: str, now: dt.datetime | None = None) -> Link:
    """Checks a token and that its action can still be done; raises ``LinkError`` if not."""
    now = now or timezone.now()
    reminder, action = link_verify(token=token)
    if action not in LISTED:
        raise LinkError(INVALID)  # a link with a page of its own (tokens.ROUTES)
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
        with link_used(reminder=reminder, action=action):
            if action == Action.CONFIRM:
                visit_status.visit_confirm(visit=reminder.visit)
            elif action == Action.CANCEL:
                visit_status.visit_cancel(visit=reminder.visit, reason="Cancelled by the patient (e-mail link)", by=None,
                                          cancelled_by=Visit.CancelledBy.PATIENT)
            elif action == Action.STOP:
                reminders_stop(patient=reminder.patient)
            patient_request_create(reminder=reminder, kind=LISTED[action], note=note)
    except ValidationError:
        # The visit changed between opening the page and pressing the button.
        raise LinkError(OUTDATED) from None
    return link
