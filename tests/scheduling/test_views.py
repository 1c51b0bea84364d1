import datetime as dt
import uuid

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from scheduling.booking import visit_book
from scheduling.forms import SeriesConfirmForm
from scheduling.models import Series, Visit
from scheduling.visit_status import visit_complete
from tests.factories import PatientFactory, UserFactory
from tests.scheduling.factories import at, book_series

pytestmark = pytest.mark.usefixtures("frozen")


def series_post(patient, lin, clinic, **overrides):
    data = {
        "patient": patient.pk, "practitioner": lin.pk, "appointment_type": clinic.treatment.pk,
        "first_appointment_type": "", "sessions": 10, "cadence_days": 14, "first_day": "2026-03-03",
        "preferred_time": "10:00", "fold": "", "action": "propose",
    }
    return {**data, **overrides}


def confirm_data(response):
    """The confirm form's data as the proposal page rendered it: the signed proposal, nothing else."""
    return {"proposal": response.context["confirm_form"]["proposal"].value(), "action": "confirm"}


def signed_payload(response) -> dict:
    return signing.loads(confirm_data(response)["proposal"], salt=SeriesConfirmForm.SALT)


def resigned(payload: dict) -> str:
    """A payload signed the way the server signs, for tests that change what it holds."""
    return signing.dumps(payload, salt=SeriesConfirmForm.SALT, compress=True)


# --- Access --------------------------------------------------------------------------------------
PAGES = [
    ("scheduling:calendar", []), ("scheduling:series_new", []), ("scheduling:visit_new", []),
    ("scheduling:maintenance", []),
]


@pytest.mark.parametrize("name,args", PAGES)
def test_anonymous_users_are_sent_to_the_login_page(client, db, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name,args", PAGES)
def test_staff_without_a_role_are_refused(client, db, name, args):
    client.force_login(UserFactory())
    assert client.get(reverse(name, args=args)).status_code == 403


def test_acupuncturists_see_calendars_and_book_follow_ups_but_not_series_or_changes(
    acupuncturist_client, clinic, lin, patient
):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    assert acupuncturist_client.get(reverse("scheduling:calendar")).status_code == 200
    assert acupuncturist_client.get(reverse("scheduling:visit_new")).status_code == 200
    assert acupuncturist_client.get(reverse("scheduling:series_new")).status_code == 403
    for name, extra in (("visit_move", ()), ("visit_cancel", ()), ("visit_status", ("arrived",)),
                        ("visit_status", ("no_show",))):
        assert acupuncturist_client.post(reverse(f"scheduling:{name}", args=[visit.pk, *extra])).status_code == 403
    assert acupuncturist_client.post(reverse("scheduling:maintenance_interval", args=[patient.pk])).status_code == 403


# --- Series booking ------------------------------------------------------------------------------
def test_front_desk_proposes_then_confirms_a_series(front_desk_client, clinic, lin, patient):
    data = series_post(patient, lin, clinic)
    response = front_desk_client.post(reverse("scheduling:series_new"), data)
    assert response.status_code == 200
    assert len(response.context["proposal"].sessions) == 10
    assert not Visit.objects.exists()  # proposing books nothing

    response = front_desk_client.post(reverse("scheduling:series_new"), confirm_data(response))

    assert response.status_code == 302 and response.url == reverse("scheduling:patient", args=[patient.pk])
    series = Series.objects.get()
    assert series.visits.count() == 10 and series.created_by.username == "frontdesk"


def test_a_confirmed_series_keeps_its_longer_first_session(front_desk_client, clinic, lin, patient):
    data = series_post(patient, lin, clinic, first_appointment_type=clinic.consultation.pk)
    proposed = front_desk_client.post(reverse("scheduling:series_new"), data)
    assert front_desk_client.post(reverse("scheduling:series_new"), confirm_data(proposed)).status_code == 302
    kinds = list(Series.objects.get().visits.order_by("sequence").values_list("appointment_type", flat=True))
    assert kinds == [clinic.consultation.pk] + [clinic.treatment.pk] * 9


def test_the_proposal_page_marks_shifted_sessions(front_desk_client, clinic, lin, patient):
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-17", "10:00"), by=None)
    response = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    assert b"1 session could not be at the preferred time" in response.content
    assert response.content.count(b">Shifted</span>") == 1


def test_a_slot_taken_before_confirming_books_nothing_and_shows_a_fresh_proposal(front_desk_client, clinic, lin, patient):
    data = series_post(patient, lin, clinic)
    proposed = front_desk_client.post(reverse("scheduling:series_new"), data)
    taken = visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-31", "10:00"), by=None)

    response = front_desk_client.post(reverse("scheduling:series_new"), confirm_data(proposed))

    assert response.status_code == 409
    assert b"Nothing was booked; here is a fresh proposal." in response.content
    assert list(Visit.objects.all()) == [taken]
    fresh = response.context["proposal"]
    assert fresh.sessions[2].shifted  # the new proposal works around the taken time


def test_the_confirm_form_carries_only_the_signed_proposal(front_desk_client, clinic, lin, patient):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    assert b'name="session-' not in proposed.content and b'name="shifted' not in proposed.content
    payload = signed_payload(proposed)
    assert len(payload["slots"]) == 10 and payload["by"] == proposed.wsgi_request.user.pk


def test_a_tampered_proposal_is_refused(front_desk_client, clinic, lin, patient):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    tampered = confirm_data(proposed)
    value = tampered["proposal"]
    # One character of the signed data changed: the signature no longer matches.
    tampered["proposal"] = value[:5] + ("A" if value[5] != "A" else "B") + value[6:]
    response = front_desk_client.post(reverse("scheduling:series_new"), tampered)
    assert response.status_code == 400 and not Visit.objects.exists()
    assert SeriesConfirmForm.CHANGED.encode() in response.content


def test_a_proposal_signed_with_another_salt_is_refused(front_desk_client, clinic, lin, patient):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    forged = signing.dumps(signed_payload(proposed), salt="something else", compress=True)
    response = front_desk_client.post(reverse("scheduling:series_new"), {"proposal": forged, "action": "confirm"})
    assert response.status_code == 400 and not Visit.objects.exists()


@pytest.mark.parametrize("extra", [
    {"session-2": "2026-03-17T09:00:00+00:00|1|1|0"},  # a rewritten time, as the old form posted them
    {"shifted": "1"},
    {"session-3-shifted": "0"},
])
def test_rewritten_times_or_a_posted_shifted_flag_are_refused(front_desk_client, clinic, lin, patient, extra):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    response = front_desk_client.post(reverse("scheduling:series_new"), {**confirm_data(proposed), **extra})
    assert response.status_code == 400 and not Visit.objects.exists()
    assert SeriesConfirmForm.EXTRA.encode() in response.content


def test_a_proposal_shown_to_someone_else_is_refused(front_desk_client, clinic, lin, patient):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    payload = signed_payload(proposed)
    response = front_desk_client.post(
        reverse("scheduling:series_new"), {"proposal": resigned({**payload, "by": payload["by"] + 1}), "action": "confirm"}
    )
    assert response.status_code == 400 and not Visit.objects.exists()
    assert SeriesConfirmForm.CHANGED.encode() in response.content


def test_an_old_proposal_is_refused(front_desk_client, front_desk, clinic, lin, patient):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    with time_machine.travel(dt.timedelta(hours=1, minutes=1)):
        front_desk_client.force_login(front_desk)  # an hour idle signs out; the proposal still expired
        response = front_desk_client.post(reverse("scheduling:series_new"), confirm_data(proposed))
    assert response.status_code == 400 and not Visit.objects.exists()
    assert SeriesConfirmForm.EXPIRED.encode() in response.content


def test_a_practitioner_gone_since_the_proposal_is_refused(front_desk_client, clinic, lin, patient):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    lin.active = False
    lin.save(update_fields=["active"])
    response = front_desk_client.post(reverse("scheduling:series_new"), confirm_data(proposed))
    assert response.status_code == 400 and not Visit.objects.exists()
    assert b"no longer available" in response.content


def test_the_signed_shifted_flags_are_what_gets_booked(front_desk_client, clinic, lin, patient):
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-17", "10:00"), by=None)
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    response = front_desk_client.post(reverse("scheduling:series_new"), confirm_data(proposed))
    assert response.status_code == 302
    series = Series.objects.get()
    assert [v.shifted for v in series.visits.order_by("sequence")] == [s.shifted for s in proposed.context["proposal"].sessions]
    assert series.visits.filter(shifted=True).count() == 1


def test_a_preferred_time_that_does_not_exist_is_refused_with_a_message(front_desk_client, clinic, lin, patient):
    data = series_post(patient, lin, clinic, first_day="2026-03-29", preferred_time="01:30")
    response = front_desk_client.post(reverse("scheduling:series_new"), data)
    assert response.status_code == 400
    assert "does not exist" in str(response.context["form"].errors["preferred_time"])


# --- Visits ------------------------------------------------------------------------------------
def test_front_desk_books_a_single_visit_from_a_free_calendar_cell(front_desk_client, clinic, lin, patient):
    start = at("2026-03-03", "14:15")
    page = front_desk_client.get(reverse("scheduling:visit_new"), {"start": start.isoformat(), "practitioner": lin.pk})
    assert page.context["form"].initial["time"] == dt.time(14, 15)

    response = front_desk_client.post(reverse("scheduling:visit_new"), {
        "patient": patient.pk, "practitioner": lin.pk, "appointment_type": clinic.treatment.pk,
        "day": "2026-03-03", "time": "14:15", "fold": "", "room": "", "form_key": page.context["form"]["form_key"].value(),
    })

    visit = Visit.objects.get()
    assert response.status_code == 302 and response.url == reverse("scheduling:visit", args=[visit.pk])
    assert visit.starts_at == start


def test_a_double_booking_from_the_form_is_a_409_with_the_reason(front_desk_client, clinic, lin, patient):
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-03", "10:00"), by=None)
    response = front_desk_client.post(reverse("scheduling:visit_new"), {
        "patient": patient.pk, "practitioner": lin.pk, "appointment_type": clinic.treatment.pk,
        "day": "2026-03-03", "time": "10:30", "fold": "", "room": "", "form_key": str(uuid.uuid4()),
    })
    assert response.status_code == 409
    assert b"already has a visit then" in response.content


def test_front_desk_moves_this_and_following_visits(front_desk_client, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    third = series.visits.get(sequence=3)
    response = front_desk_client.post(reverse("scheduling:visit_move", args=[third.pk]), {
        "move-day": "2026-03-19", "move-time": "10:00", "move-fold": "", "move-room": "", "move-scope": "following",
    })
    assert response.status_code == 302
    assert [v.starts_at.date().day for v in series.visits.order_by("sequence")][2:] == [19, 26, 2, 9]


def test_moving_to_a_taken_time_is_a_409(front_desk_client, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-11", "10:00"), by=None)
    response = front_desk_client.post(reverse("scheduling:visit_move", args=[series.visits.get(sequence=2).pk]), {
        "move-day": "2026-03-11", "move-time": "10:00", "move-scope": "this",
    })
    assert response.status_code == 409 and b"already has a visit then" in response.content


def test_cancelling_without_a_reason_is_refused(front_desk_client, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-03", "10:00"), by=None)
    response = front_desk_client.post(reverse("scheduling:visit_cancel", args=[visit.pk]), {"cancel-reason": ""})
    assert response.status_code == 400
    visit.refresh_from_db()
    assert visit.status == Visit.Status.BOOKED


def test_front_desk_marks_an_arrival(front_desk_client, frozen, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-02", "10:00"), by=None)
    response = front_desk_client.post(reverse("scheduling:visit_status", args=[visit.pk, "arrived"]))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.ARRIVED


def test_a_refused_status_change_explains_why(front_desk_client, clinic, lin, patient):
    visit = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.treatment,
                       starts_at=at("2026-03-05", "10:00"), by=None)
    response = front_desk_client.post(reverse("scheduling:visit_status", args=[visit.pk, "no_show"]))
    assert response.status_code == 409 and b"has not started yet" in response.content


def test_the_timeline_view_is_audited(front_desk_client, clinic, lin, patient):
    from staff.models import AuditEvent

    front_desk_client.get(reverse("scheduling:patient", args=[patient.pk]))
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="view").exists()


def test_maintenance_list_shows_due_patients_with_a_booking_link(client, front_desk, frozen, clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic)
    for visit in series.visits.order_by("starts_at"):
        frozen.move_to(visit.ends_at)
        visit_complete(visit=visit, by=None)
    frozen.move_to(at("2026-05-10", "08:00"))  # due 12 May
    client.force_login(front_desk)

    response = client.get(reverse("scheduling:maintenance"))

    assert patient.full_name.encode() in response.content and b"Due soon" in response.content
    assert f"?patient={patient.pk}&appointment_type={clinic.maintenance.pk}".encode() in response.content
