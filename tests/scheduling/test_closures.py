"""Closures and time off over booked visits (``scheduling.closures``): never silent, a decision
per visit (move, cancel, keep with a reason), a banner until decided, reminders following."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scheduling.booking import visit_book
from scheduling.clock import to_local
from scheduling.closures import affected_cancel, affected_keep, affected_move, affected_visits_record, move_proposal
from scheduling.errors import BookingError
from scheduling.models import AffectedVisit, Closure, Reminder, TimeOff, Visit
from tests.factories import PatientFactory
from tests.scheduling.factories import at, book_series

pytestmark = pytest.mark.usefixtures("frozen")


def _visit(clinic, who, day, time="10:00", patient=None):
    return visit_book(patient=patient or PatientFactory(), practitioner=who, appointment_type=clinic.treatment,
                      starts_at=at(day, time), by=None)


def close_for_easter() -> Closure:
    """Thursday 5 and Friday 6 March, closed after visits were booked there."""
    return Closure.objects.create(first_day=dt.date(2026, 3, 5), last_day=dt.date(2026, 3, 6), reason="Easter")


def test_a_closure_lists_exactly_the_booked_visits_inside_it(clinic, lin, sara):
    inside = [_visit(clinic, lin, "2026-03-05"), _visit(clinic, sara, "2026-03-06", "19:00")]
    _visit(clinic, lin, "2026-03-04")  # the day before
    _visit(clinic, lin, "2026-03-07", "08:00")  # the morning after

    pending = affected_visits_record(closure=close_for_easter())

    assert {a.visit_id for a in pending} == {v.pk for v in inside}
    assert all(a.decision == AffectedVisit.Decision.PENDING for a in pending)


def test_saving_the_closure_again_adds_new_visits_and_drops_those_no_longer_inside(clinic, lin):
    thursday, friday = _visit(clinic, lin, "2026-03-05"), _visit(clinic, lin, "2026-03-06")
    easter = close_for_easter()
    affected_visits_record(closure=easter)
    easter.first_day = dt.date(2026, 3, 6)
    easter.save()

    pending = affected_visits_record(closure=easter)

    assert [a.visit_id for a in pending] == [friday.pk]
    assert not AffectedVisit.objects.filter(visit=thursday).exists()
    assert AffectedVisit.objects.count() == 1  # saving twice never lists a visit twice


def test_time_off_lists_only_that_practitioners_visits_in_its_hours(clinic, lin, sara):
    lins = _visit(clinic, lin, "2026-03-05", "14:00")
    _visit(clinic, sara, "2026-03-05", "14:00")
    _visit(clinic, lin, "2026-03-05", "10:00")
    off = TimeOff.objects.create(practitioner=lin, starts_at=at("2026-03-05", "13:00"), ends_at=at("2026-03-05", "18:00"))

    assert [a.visit_id for a in affected_visits_record(time_off=off)] == [lins.pk]


def test_move_offers_the_nearest_free_time_outside_the_closure_and_the_reminder_follows(clinic, lin):
    visit = _visit(clinic, lin, "2026-03-05")
    affected = affected_visits_record(closure=close_for_easter())[0]

    starts_at, room_id = move_proposal(affected)
    # The same time on the nearest open day (a day later is closed too, so the day before).
    assert to_local(starts_at).strftime("%Y-%m-%d %H:%M") == "2026-03-04 10:00"

    decided = affected_move(affected=affected, starts_at=starts_at, room_id=room_id, by=None)

    visit.refresh_from_db()
    assert decided.decision == "moved" and decided.decided_at is not None
    assert visit.starts_at == starts_at and visit.status == "booked"
    waiting = Reminder.objects.get(visit=visit, state="pending")
    assert waiting.expires_at == starts_at


def test_cancel_cancels_for_the_clinic_and_a_series_session_is_to_be_rebooked(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-05")
    affected = affected_visits_record(closure=close_for_easter())[0]

    affected_cancel(affected=affected, by=None)

    visit = Visit.objects.get(pk=affected.visit_id)
    assert (visit.status, visit.cancelled_by, visit.late_cancel) == ("cancelled", "clinic", False)
    assert "Easter" in visit.cancel_reason
    assert not Reminder.objects.filter(visit=visit, state="pending").exists()
    assert Reminder.objects.filter(series=series, kind="series_unbooked", state="pending").exists()


def test_keep_needs_a_reason_and_a_decision_is_made_once(clinic, lin):
    _visit(clinic, lin, "2026-03-05")
    affected = affected_visits_record(closure=close_for_easter())[0]

    with pytest.raises(ValidationError, match="Say why"):
        affected_keep(affected=affected, reason=" ", by=None)
    affected_keep(affected=affected, reason="Lin opens for her", by=None)

    with pytest.raises(BookingError, match="already decided"):
        affected_cancel(affected=affected, by=None)
    assert Visit.objects.get(pk=affected.visit_id).status == "booked"


# --- As staff meet it ------------------------------------------------------------------------------
def test_adding_a_closure_in_the_admin_over_a_booked_visit_is_never_silent(
    client, clinic_admin, front_desk, clinic, lin
):
    visit = _visit(clinic, lin, "2026-03-05")
    client.force_login(clinic_admin)
    response = client.post(reverse("admin:scheduling_closure_add"),
                           {"first_day": "2026-03-05", "last_day": "2026-03-05", "reason": "Boiler repair"}, follow=True)
    assert "need a decision" in response.content.decode()

    client.force_login(front_desk)
    home = client.get(reverse("scheduling:calendar")).content.decode()
    assert "decisions-banner" in home and "1 booked visit" in home

    page = client.get(reverse("scheduling:decisions")).content.decode()
    assert visit.patient.full_name in page and "Move to Fri 06 Mar 10:00" in page

    affected = AffectedVisit.objects.get()
    client.post(reverse("scheduling:decision_make", args=[affected.pk]), {"decision": "keep", "reason": "Opens anyway"})
    assert "decisions-banner" not in client.get(reverse("scheduling:calendar")).content.decode()
    assert AffectedVisit.objects.get().decision == "kept"


def _time_off_in_admin(lin, day: str) -> dict:
    """The practitioner's admin page with one new time off, 13:00–18:00 on ``day``."""
    return {
        "user": lin.user_id, "display_name": lin.display_name, "active": "on",
        "working_hours-TOTAL_FORMS": "0", "working_hours-INITIAL_FORMS": "0",
        "time_off-TOTAL_FORMS": "1", "time_off-INITIAL_FORMS": "0",
        "time_off-0-starts_at_0": day, "time_off-0-starts_at_1": "13:00",
        "time_off-0-ends_at_0": day, "time_off-0-ends_at_1": "18:00", "time_off-0-reason": "Dentist",
    }


def test_adding_time_off_in_the_admin_over_a_booked_visit_asks_for_a_decision(client, clinic_admin, clinic, lin):
    _visit(clinic, lin, "2026-03-05", "14:00")
    client.force_login(clinic_admin)
    url = reverse("admin:scheduling_practitioner_change", args=[lin.pk])
    form = client.get(url).context["adminform"].form
    data = _time_off_in_admin(lin, "2026-03-05")
    assert form is not None
    response = client.post(url, data, follow=True)

    assert "need a decision" in response.content.decode(), response.content.decode()[:3000]
    assert AffectedVisit.objects.get().time_off.reason == "Dentist"


def test_a_move_refused_for_a_taken_time_says_why_and_leaves_the_decision_pending(front_desk_client, clinic, lin):
    _visit(clinic, lin, "2026-03-05")
    affected = affected_visits_record(closure=close_for_easter())[0]
    _visit(clinic, lin, "2026-03-04")  # someone took the proposed time meanwhile

    response = front_desk_client.post(reverse("scheduling:decision_make", args=[affected.pk]), {
        "decision": "move", "starts_at": at("2026-03-04", "10:00").isoformat(), "room": "",
    }, follow=True)

    assert "already has a visit" in response.content.decode() or "taken" in response.content.decode()
    assert AffectedVisit.objects.get().decision == "pending"


def test_a_closure_or_time_off_submitted_twice_in_the_admin_is_saved_once(client, clinic_admin, clinic, lin):
    client.force_login(clinic_admin)
    closure = {"first_day": "2026-03-05", "last_day": "2026-03-06", "reason": "Boiler repair"}
    assert client.post(reverse("admin:scheduling_closure_add"), closure).status_code == 302
    again = client.post(reverse("admin:scheduling_closure_add"), closure)
    assert again.status_code == 200 and "This closure is saved already" in again.content.decode()
    assert Closure.objects.count() == 1

    url = reverse("admin:scheduling_practitioner_change", args=[lin.pk])
    data = _time_off_in_admin(lin, "2026-03-09")
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)  # the same page sent again (a double click, or a retry)
    assert again.status_code == 200 and "This time off is saved already" in again.content.decode()
    assert lin.time_off.count() == 1
