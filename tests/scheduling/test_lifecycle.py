"""The visit lifecycle as staff meet it on the visit page: every state, every role, every change.

Each change the table (``Visit.TRANSITIONS``) allows a role from a state is offered on the page and
works; every other one is not offered and is refused (403 without the role's right, 409 with the
reason when the visit's state does not allow it)."""

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.booking import visit_book
from scheduling.models import Visit
from tests import factories
from tests.scheduling.factories import at

# The visit starts at 10:00 today; it is 10:30 (started, same day), so time allows every change.
NOW = at("2026-03-02", "10:30")
ROLES = {
    "front desk": factories.front_desk_user,
    "acupuncturist": factories.acupuncturist_user,
    "clinic admin": factories.clinic_admin_user,
}
# What each role may do, from each state, read off the README table by hand (not from the code).
MAY = {
    "front desk": {
        "booked": {"arrived", "no_show", "cancelled"},
        "arrived": {"booked", "not_treated", "cancelled"},
        "in_treatment": {"not_treated"},
    },
    "acupuncturist": {
        "booked": {"completed"},
        "arrived": {"not_treated", "completed"},
        "in_treatment": {"not_treated", "completed"},
    },
    "clinic admin": {
        "booked": {"arrived", "no_show", "cancelled"},
        "arrived": {"booked", "not_treated", "cancelled"},
        "in_treatment": {"not_treated"},
    },
}
# "In treatment" is an arrived visit whose session check was passed (``treatment_started_at``).
STATES = [*Visit.Status.values, "in_treatment"]
TARGETS = ["arrived", "booked", "no_show", "not_treated", "cancelled", "completed"]


@pytest.fixture
def visit(frozen, clinic, lin, patient):
    booked = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                        starts_at=at("2026-03-02", "10:00"), by=None)
    frozen.move_to(NOW)
    return booked


def _in_state(visit, state):
    if state == "in_treatment":
        Visit.objects.filter(pk=visit.pk).update(status="arrived", treatment_started_at=NOW)
        return
    reason = "Ill" if state in ("cancelled", "not_treated") else ""
    Visit.objects.filter(pk=visit.pk).update(status=state, cancel_reason=reason)


def _action_url(visit, target):
    if target == "cancelled":
        return reverse("scheduling:visit_cancel", args=[visit.pk])
    if target == "completed":
        return reverse("treatments:session_new", args=[visit.pk])
    return reverse("scheduling:visit_status", args=[visit.pk, target])


def _post(client, visit, target):
    if target == "cancelled":
        return client.post(_action_url(visit, target), {"cancel-reason": "Clinic closed", "cancel-cancelled_by": "clinic"})
    return client.post(_action_url(visit, target), {"status-reason": "Screening blocks facial needling today"})


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("state", STATES)
def test_the_visit_page_offers_exactly_the_changes_the_role_may_make(visit, role, state):
    client = Client()
    client.force_login(ROLES[role]())
    _in_state(visit, state)

    page = client.get(reverse("scheduling:visit", args=[visit.pk])).content.decode()

    offered = {target for target in TARGETS if f'"{_action_url(visit, target)}"' in page}
    assert offered == MAY[role].get(state, set())


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("target", [t for t in TARGETS if t != "completed"])  # completing is the session record's
def test_each_allowed_change_works_and_every_other_is_refused_with_a_reason(visit, role, state, target):
    client = Client()
    user = ROLES[role]()
    client.force_login(user)
    _in_state(visit, state)

    response = _post(client, visit, target)

    visit.refresh_from_db()
    now_in = "in_treatment" if visit.in_treatment else visit.status
    if target in MAY[role].get(state, set()):
        assert response.status_code == 302
        assert visit.status == target
    else:
        assert now_in == state
        may_ever = any(target in allowed for allowed in MAY[role].values())
        if may_ever:
            assert response.status_code == 409
            assert "cannot be" in response.content.decode()
        else:
            assert response.status_code == 403


def test_not_treated_needs_a_reason_and_says_so_at_the_top(visit):
    client = Client()
    client.force_login(factories.front_desk_user())
    _in_state(visit, "arrived")
    response = client.post(_action_url(visit, "not_treated"), {"status-reason": ""})
    assert response.status_code == 400 and "Give a reason" in response.content.decode()
    assert "data-error-summary" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == "arrived"


def test_record_session_is_not_offered_for_a_future_visit(frozen, clinic, lin, patient):
    frozen.move_to(NOW)
    later = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-05", "10:00"), by=None)
    client = Client()
    client.force_login(factories.acupuncturist_user())
    page = client.get(reverse("scheduling:visit", args=[later.pk])).content.decode()
    assert "Record session" not in page


def test_record_session_is_offered_on_the_day_only_once_the_visit_has_begun(frozen, clinic, lin, patient):
    later = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-02", "10:00"), by=None)
    client = Client()
    user = factories.acupuncturist_user()
    url = reverse("scheduling:visit", args=[later.pk])
    frozen.move_to(at("2026-03-02", "09:30"))
    client.force_login(user)
    assert "Record session" not in client.get(url).content.decode()  # the session page would refuse (409)
    frozen.move_to(at("2026-03-02", "10:00"))
    client.force_login(user)  # signed in anew: the move outlasts the idle logoff
    assert reverse("treatments:session_new", args=[later.pk]) in client.get(url).content.decode()
