"""Link tokens (``scheduling.reminders.tokens``): signed, bound to one reminder, patient, visit or
series and action, expiring, and carrying nothing about the patient."""

import datetime as dt

import pytest
from django.core import signing

from scheduling.models import Reminder
from scheduling.reminders.tokens import EXPIRED, INVALID, SALT, LinkError, link_token, link_url, link_verify
from tests.reminders.factories import book_visit

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def reminder(clinic, lin):
    return Reminder.objects.get(visit=book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00")))


def reason(token: str) -> str:
    with pytest.raises(LinkError) as error:
        link_verify(token=token)
    return error.value.reason


def test_a_token_names_its_reminder_and_action(reminder):
    assert link_verify(token=link_token(reminder=reminder, action="cancel")) == (reminder, "cancel")
    assert link_url(reminder=reminder, action="stop").startswith("http://127.0.0.1:8000/r/")


def test_a_reminder_only_has_the_links_of_its_kind(reminder):
    with pytest.raises(ValueError):
        link_token(reminder=reminder, action="maintenance")


def test_altered_foreign_and_expired_tokens_are_refused(reminder, clinic, lin, frozen):
    token = link_token(reminder=reminder, action="confirm")
    assert reason(token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")) == INVALID
    other = Reminder.objects.get(visit=book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-06", "10:00")))
    foreign = {"r": reminder.pk, "p": other.patient_id, "s": reminder.visit_id, "a": "confirm"}
    assert reason(signing.dumps(foreign, salt=SALT, compress=True)) == INVALID
    frozen.shift(dt.timedelta(days=31))
    assert reason(token) == EXPIRED


def test_links_carry_no_personal_or_health_data(reminder):
    token = link_token(reminder=reminder, action="confirm")
    payload = signing.loads(token, salt=SALT)
    assert set(payload) == {"r", "p", "s", "a"}  # ids and the action only
    assert reminder.patient.last_name.lower() not in token.lower()
