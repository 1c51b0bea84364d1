"""What a link does (``scheduling.reminders.actions``), called directly: each acts once, through
the booking functions; a used or outdated link changes nothing."""

import pytest

from scheduling.booking import visit_move
from scheduling.models import LinkUse, PatientRequest, Reminder, Visit
from scheduling.reminders.actions import link_act, link_open
from scheduling.reminders.tokens import OUTDATED, USED, LinkError, link_token
from tests.reminders.factories import book_visit
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def reminder(clinic, lin):
    return Reminder.objects.get(visit=book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00")))


def test_confirming_acts_once(reminder):
    token = link_token(reminder=reminder, action="confirm")
    assert link_open(token=token).action == "confirm"
    link_act(token=token)
    assert Visit.objects.get(pk=reminder.visit_id).confirmed_at is not None
    with pytest.raises(LinkError) as error:
        link_act(token=token)
    assert error.value.reason == USED
    assert LinkUse.objects.count() == 1


def test_asking_for_another_time_opens_a_request_with_the_note(reminder):
    link_act(token=link_token(reminder=reminder, action="new_time"), note="  Mornings  ")
    request = PatientRequest.objects.get()
    assert (request.kind, request.visit_id, request.note) == ("new_time", reminder.visit_id, "Mornings")


def test_stop_withdraws_consent_and_cancels_waiting_reminders(reminder):
    link_act(token=link_token(reminder=reminder, action="stop"))
    reminder.refresh_from_db()
    reminder.patient.refresh_from_db()
    assert reminder.state == "cancelled" and not reminder.patient.reminder_consent


def test_a_link_for_a_moved_visit_changes_nothing(reminder):
    token = link_token(reminder=reminder, action="cancel")
    visit_move(visit=reminder.visit, starts_at=at("2026-03-06", "15:00"), by=None)
    with pytest.raises(LinkError) as error:
        link_act(token=token)
    assert error.value.reason == OUTDATED
    assert Visit.objects.get(pk=reminder.visit_id).status == "booked" and not LinkUse.objects.exists()
