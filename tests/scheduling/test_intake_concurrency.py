"""The same intake link sent twice at the same moment (a double tap, two tabs) on PostgreSQL:
real threads on their own connections. The locked invitation lets exactly one registration through."""

import datetime as dt

import pytest
import time_machine

from patients.intake import IntakeConsents
from patients.models import Concern, Patient
from scheduling.intake_links import intake_submit
from scheduling.intake_tokens import intake_token
from scheduling.models import IntakeInvitation, PatientRequest
from scheduling.reminders.tokens import USED, LinkError
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_link_sent_twice_at_once_registers_one_patient(needs_postgres):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        invitation = IntakeInvitation.objects.create(first_name="Ada", last_name="Lovelace", email="ada@example.com",
                                                     created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
        token = intake_token(invitation)
        concern = Concern.objects.get(code="fine-lines")

        def submit() -> None:
            intake_submit(
                token=token, signed_name="Ada Lovelace", concerns={concern: 6},
                demographics={"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": dt.date(1985, 12, 10),
                              "email": "ada@example.com", "preferred_contact": "email"},
                screening={"pregnant_or_trying": False}, consents=IntakeConsents(treatment=True, photos=False),
            )

        outcomes = [r if isinstance(r, Exception) else "ok" for r in run_together([submit, submit])]
    refused = [o for o in outcomes if o != "ok"]
    assert outcomes.count("ok") == 1 and len(refused) == 1
    assert isinstance(refused[0], LinkError) and refused[0].reason == USED
    assert Patient.objects.count() == 1 and PatientRequest.objects.count() == 1
