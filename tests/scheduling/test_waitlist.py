"""The waiting list (``scheduling/waitlist.py``): windows matched in clinic time, the times that
cancellations and moves free offered to the waiting patients they suit, one-click booking through
the normal booking code, and the pages."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from scheduling import visit_status
from scheduling.booking import visit_book, visit_move
from scheduling.closures import affected_cancel, affected_visits_record
from scheduling.models import Closure, FreedSlot, Reminder, Visit, WaitlistEntry
from scheduling.reminders.tokens import link_token
from scheduling.waitlist import entry_fits, slot_offers, upcoming_freed_slots, waitlist_add, waitlist_book, weekday_mask
from staff.models import AuditEvent
from tests.factories import PatientFactory
from tests.reminders.factories import book_visit
from tests.scheduling.factories import LONDON, at

pytestmark = pytest.mark.usefixtures("frozen")


def wait(clinic, practitioner, patient=None, *, first="2026-03-02", last="2026-03-31", **window) -> WaitlistEntry:
    return waitlist_add(
        patient=patient or PatientFactory(), practitioner=practitioner, appointment_type=clinic.treatment,
        earliest_day=dt.date.fromisoformat(first), latest_day=dt.date.fromisoformat(last), by=None, **window,
    )


def cancel(visit: Visit) -> None:
    visit_status.visit_cancel(visit=visit, reason="Unwell", by=None)


# --- Matching, in clinic time ---------------------------------------------------------------------
def test_a_window_is_matched_in_clinic_time_across_the_clock_change(clinic, lin):
    # London goes to summer time on 29 March: 09:00 local is 08:00 UTC after it, 09:00 UTC before.
    entry = wait(clinic, lin, from_time=dt.time(9), until_time=dt.time(12))
    for day in ("2026-03-27", "2026-03-30"):
        assert entry_fits(entry, starts_at=at(day, "09:00"), ends_at=at(day, "10:00"), tz=LONDON)
        assert not entry_fits(entry, starts_at=at(day, "08:00"), ends_at=at(day, "09:00"), tz=LONDON)
        assert not entry_fits(entry, starts_at=at(day, "11:30"), ends_at=at(day, "12:30"), tz=LONDON)


def test_a_window_keeps_to_its_days_weekdays_and_the_length_of_its_visit(clinic, lin):
    entry = wait(clinic, lin, first="2026-03-09", last="2026-03-20", weekdays=weekday_mask([1, 3]))  # Tue, Thu

    def fits(day, start="10:00", end="11:00"):
        return entry_fits(entry, starts_at=at(day, start), ends_at=at(day, end), tz=LONDON)

    assert fits("2026-03-10") and fits("2026-03-19")  # Tuesday, Thursday
    assert not fits("2026-03-11")  # a Wednesday
    assert not fits("2026-03-05") and not fits("2026-03-24")  # Thursday before, Tuesday after the window
    assert not fits("2026-03-10", end="10:45")  # too short for an hour's treatment
    assert entry.weekday_names == "Tue, Thu"


def test_a_window_is_sane_in_the_database(clinic, lin, patient):
    fields = {"patient": patient, "practitioner": lin, "appointment_type": clinic.treatment}
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(**fields, earliest_day=dt.date(2026, 3, 10), latest_day=dt.date(2026, 3, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(**fields, earliest_day=dt.date(2026, 3, 9), latest_day=dt.date(2026, 3, 9),
                                     from_time=dt.time(12), until_time=dt.time(9))
    WaitlistEntry.objects.create(**fields, earliest_day=dt.date(2026, 3, 9), latest_day=dt.date(2026, 3, 9))
    with pytest.raises(IntegrityError), transaction.atomic():  # one waiting wish per practitioner
        WaitlistEntry.objects.create(**fields, earliest_day=dt.date(2026, 3, 9), latest_day=dt.date(2026, 3, 20))


# --- Freed times and their offers -------------------------------------------------------------------
def test_a_cancelled_visit_offers_its_time_to_the_waiting_patients_it_suits(clinic, lin, sara):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    mornings = wait(clinic, lin, until_time=dt.time(12))
    wait(clinic, lin, from_time=dt.time(14))  # afternoons only
    wait(clinic, sara)  # another practitioner
    wait(clinic, lin, visit.patient)  # the patient who just cancelled it

    cancel(visit)

    slot = FreedSlot.objects.get()
    assert (slot.visit, slot.cause, slot.starts_at) == (visit, "cancelled", at("2026-03-10", "10:00"))
    [offer] = slot_offers(upcoming_freed_slots())
    assert offer.slot == slot and offer.entries == [mornings]


def test_a_moved_visit_offers_the_time_it_left_until_someone_takes_it(clinic, lin):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    entry = wait(clinic, lin)

    visit_move(visit=visit, starts_at=at("2026-03-12", "15:00"), by=None)

    [offer] = slot_offers(upcoming_freed_slots())
    assert (offer.slot.cause, offer.slot.starts_at, offer.entries) == ("moved", at("2026-03-10", "10:00"), [entry])
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:30"))  # overlaps the freed hour
    assert slot_offers(upcoming_freed_slots()) == []


def test_a_patients_cancellation_through_the_e_mail_link_offers_the_time_too(front_desk_client, clinic, lin):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    entry = wait(clinic, lin)
    token = link_token(reminder=Reminder.objects.get(visit=visit), action="cancel")
    Client().post(reverse("links:page", kwargs={"token": token}))

    assert Visit.objects.get(pk=visit.pk).status == "cancelled"
    page = front_desk_client.get(reverse("scheduling:requests")).content.decode()
    assert "Cancelled the visit" in page and f"Book {entry.patient.full_name} Tue 10 Mar 10:00" in page


def test_a_time_cancelled_for_a_closure_is_not_offered(clinic, lin):
    day = dt.date(2026, 3, 10)
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    wait(clinic, lin)
    [affected] = affected_visits_record(closure=Closure.objects.create(first_day=day, last_day=day, reason="Flood"))
    affected_cancel(affected=affected, by=None)
    assert FreedSlot.objects.exists() and slot_offers(upcoming_freed_slots()) == []


def test_a_time_already_past_is_not_offered(clinic, lin, frozen):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    wait(clinic, lin)
    cancel(visit)
    frozen.move_to(at("2026-03-10", "10:01"))
    assert slot_offers(upcoming_freed_slots()) == []


# --- Booking from the waiting list ----------------------------------------------------------------
def test_booking_from_the_waiting_list_books_through_the_normal_booking(clinic, lin, front_desk):
    freed = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    entry = wait(clinic, lin)
    cancel(freed)

    visit = waitlist_book(entry=entry, slot=FreedSlot.objects.get(), by=front_desk)

    assert (visit.patient, visit.practitioner, visit.starts_at, visit.status) == (
        entry.patient, lin, at("2026-03-10", "10:00"), "booked")
    assert Reminder.objects.filter(visit=visit, state="pending").exists()  # reminders follow
    entry.refresh_from_db()
    assert (entry.status, entry.visit, entry.closed_by) == ("booked", visit, front_desk)
    assert AuditEvent.objects.filter(object_id=str(entry.pk), summary__startswith="Booked from the waiting list").exists()
    assert slot_offers(upcoming_freed_slots()) == []


def test_a_second_click_books_nothing_more(clinic, lin, front_desk):
    freed = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    entry = wait(clinic, lin)
    cancel(freed)
    slot = FreedSlot.objects.get()
    waitlist_book(entry=entry, slot=slot, by=front_desk)
    with pytest.raises(Exception, match="no longer waiting"):
        waitlist_book(entry=entry, slot=slot, by=front_desk)
    assert Visit.objects.filter(patient=entry.patient).count() == 1


def test_a_time_taken_meanwhile_is_not_double_booked(clinic, lin, front_desk):
    freed = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    entry = wait(clinic, lin)
    cancel(freed)
    visit_book(patient=PatientFactory(), practitioner=lin, appointment_type=clinic.treatment,
               starts_at=at("2026-03-10", "10:00"), by=None)
    with pytest.raises(Exception, match="10:00"):
        waitlist_book(entry=entry, slot=FreedSlot.objects.get(), by=front_desk)
    entry.refresh_from_db()
    assert entry.status == "waiting" and not Visit.objects.filter(patient=entry.patient).exists()


# --- Pages -----------------------------------------------------------------------------------------
def add_form(patient, lin, clinic, **changes) -> dict:
    return {"patient": patient.pk, "practitioner": lin.pk, "appointment_type": clinic.treatment.pk,
            "earliest_day": "2026-03-03", "latest_day": "2026-03-20", "weekdays": ["0", "2"],
            "from_time": "09:00", "until_time": "13:00", "note": "Short notice is fine", **changes}


def test_the_front_desk_adds_a_patient_with_a_window(front_desk_client, clinic, lin, patient):
    response = front_desk_client.post(reverse("scheduling:waitlist"), add_form(patient, lin, clinic))
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert (entry.weekdays, entry.from_time, entry.note) == (0b101, dt.time(9), "Short notice is fine")
    page = front_desk_client.get(reverse("scheduling:waitlist")).content.decode()
    assert patient.full_name in page and "Mon, Wed, from 09:00, ending by 13:00" in page


def test_a_bad_window_shows_every_error_and_saves_nothing(front_desk_client, clinic, lin, patient):
    data = add_form(patient, lin, clinic, latest_day="2026-03-01", until_time="08:00", note="a\nb")
    response = front_desk_client.post(reverse("scheduling:waitlist"), data)
    assert response.status_code == 400
    summary = response.content.decode()
    assert "The last day must be on or after the first day." in summary
    assert "must be later than" in summary and "no line breaks" in summary
    assert not WaitlistEntry.objects.exists()


def test_removing_and_marking_done_close_an_entry(front_desk_client, clinic, lin):
    removed, done = wait(clinic, lin), wait(clinic, lin)
    front_desk_client.post(reverse("scheduling:waitlist_close", args=[removed.pk]), {"status": "removed"})
    front_desk_client.post(reverse("scheduling:waitlist_close", args=[done.pk]), {"status": "done"})
    assert dict(WaitlistEntry.objects.values_list("pk", "status")) == {removed.pk: "removed", done.pk: "done"}
    front_desk_client.get(reverse("scheduling:waitlist"))  # shows the two messages
    assert removed.patient.full_name not in front_desk_client.get(reverse("scheduling:waitlist")).content.decode()


def test_acupuncturists_do_not_manage_the_waiting_list(acupuncturist_client, clinic, lin, patient):
    entry = wait(clinic, lin)
    assert acupuncturist_client.get(reverse("scheduling:waitlist")).status_code == 403
    assert acupuncturist_client.post(reverse("scheduling:waitlist"), add_form(patient, lin, clinic)).status_code == 403
    response = acupuncturist_client.post(reverse("scheduling:waitlist_close", args=[entry.pk]), {"status": "done"})
    assert response.status_code == 403


def test_the_cancelled_visit_and_the_requests_page_list_the_match_and_book_it(front_desk_client, clinic, lin):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    entry = wait(clinic, lin)
    front_desk_client.post(reverse("scheduling:visit_cancel", args=[visit.pk]),
                           {"cancel-reason": "Unwell", "cancel-cancelled_by": "patient"})
    slot = FreedSlot.objects.get()
    button = f"Book {entry.patient.full_name} Tue 10 Mar 10:00"
    for url in (reverse("scheduling:visit", args=[visit.pk]), reverse("scheduling:requests"),
                reverse("scheduling:waitlist")):
        assert button in front_desk_client.get(url).content.decode(), url

    response = front_desk_client.post(reverse("scheduling:waitlist_book", args=[entry.pk]), {"slot": slot.pk})

    booked = Visit.objects.get(patient=entry.patient)
    assert response.url == reverse("scheduling:visit", args=[booked.pk])
    assert booked.starts_at == at("2026-03-10", "10:00")
    assert button not in front_desk_client.get(reverse("scheduling:requests")).content.decode()


def test_a_refused_booking_says_why_and_changes_nothing(front_desk_client, clinic, lin):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"))
    entry = wait(clinic, lin, from_time=dt.time(14))  # the freed morning does not suit
    cancel(visit)
    response = front_desk_client.post(reverse("scheduling:waitlist_book", args=[entry.pk]),
                                      {"slot": FreedSlot.objects.get().pk}, follow=True)
    assert "does not suit" in response.content.decode()
    assert WaitlistEntry.objects.get().status == "waiting" and not Visit.objects.filter(patient=entry.patient).exists()


def _freed_times(clinic, lin, count: int) -> Visit:
    """``count`` cancelled morning visits with a waiting patient each; returns the first."""
    visits = [book_visit(clinic=clinic, practitioner=lin, starts=at(dt.date(2026, 3, 3) + dt.timedelta(days=i), "10:00"))
              for i in range(count)]
    for visit in visits:
        wait(clinic, lin)
        cancel(visit)
    return visits[0]


@pytest.mark.parametrize("count", [1, 12])
@pytest.mark.parametrize("page_name,queries", [("waitlist", 12), ("visit", 9), ("requests", 9)])
def test_pages_with_offers_run_a_fixed_number_of_queries(front_desk_client, clinic, lin, count, page_name, queries,
                                                         django_assert_num_queries):
    # The 3 of every signed-in page and the closures banner; the waiting list: count, page, the
    # freed times, visits taking them again, waiting entries, audit, the form's practitioners and
    # types. The visit and requests pages add the three of the offers to their own (a cancelled
    # visit's page has no move form).
    first = _freed_times(clinic, lin, count)
    url = {"waitlist": reverse("scheduling:waitlist"), "visit": reverse("scheduling:visit", args=[first.pk]),
           "requests": reverse("scheduling:requests")}[page_name]
    with django_assert_num_queries(queries):
        response = front_desk_client.get(url)
    assert response.status_code == 200 and b"freed-offers" in response.content
