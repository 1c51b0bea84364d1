"""Which reminder rows the booking functions leave behind (``scheduling.reminders.upkeep``):
made, replaced and cancelled with the visits, series and maintenance they remind of."""

import datetime as dt

import pytest
from django.core import mail

from patients.intake import patient_update
from scheduling.booking import visit_book, visit_move, visit_move_following
from scheduling.maintenance import maintenance_set_interval
from scheduling.models import MaintenanceSchedule, Reminder, Series
from scheduling.reminders.outbox import reminders_dispatch
from scheduling.reminders.sending import reminders_send
from scheduling.visit_status import visit_cancel, visit_complete, visit_mark_no_show
from tests.factories import PatientFactory, front_desk_user
from tests.reminders.factories import book_visit, waiting
from tests.scheduling.factories import at, book_series

pytestmark = pytest.mark.usefixtures("frozen")


def send_at_once(ids: list[int]) -> None:
    reminders_send(reminder_ids=ids)


def test_a_series_gets_one_reminder_per_session_48_hours_before(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    rows = waiting(patient=patient)
    assert [r.visit_id for r in rows] == list(series.visits.order_by("starts_at").values_list("pk", flat=True))
    # The first session (Tue 3 Mar 10:00) is less than 48 hours away: its reminder is due now.
    assert rows[0].due_at == at("2026-03-02", "08:00")
    assert [r.due_at for r in rows[1:3]] == [at("2026-03-08", "10:00"), at("2026-03-15", "10:00")]
    # Across the change to summer time (29 March) it stays 48 elapsed hours.
    assert rows[4].visit.starts_at == at("2026-03-31", "10:00")
    assert rows[4].due_at == rows[4].visit.starts_at - dt.timedelta(hours=48)
    assert all(r.expires_at == r.visit.starts_at for r in rows)


def test_the_lead_time_is_the_clinics_setting(clinic, lin):
    clinic.settings.visit_reminder_hours = 24
    clinic.settings.save()
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    assert waiting(visit=visit)[0].due_at == at("2026-03-04", "10:00")


def test_moving_a_visit_replaces_its_reminder(clinic, lin):
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))
    old = waiting(visit=visit)[0]
    visit_move(visit=visit, starts_at=at("2026-03-06", "15:00"), by=None)
    old.refresh_from_db()
    assert (old.state, old.note) == ("cancelled", "The visit was moved.")
    assert [r.due_at for r in waiting(visit=visit)] == [at("2026-03-04", "15:00")]


def test_moving_this_and_following_replaces_each_moved_visits_reminder(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    third = series.visits.get(sequence=3)
    visit_move_following(visit=third, starts_at=at("2026-03-18", "11:00"), by=None)
    rows = waiting(patient=patient)
    assert len(rows) == 6
    assert [r.due_at for r in rows[2:4]] == [at("2026-03-16", "11:00"), at("2026-03-23", "11:00")]
    assert Reminder.objects.filter(state="cancelled").count() == 4


def test_cancelling_a_session_cancels_its_reminder_and_follows_up_on_the_series(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    second = series.visits.get(sequence=2)
    visit_cancel(visit=second, reason="Ill", by=None)
    assert Reminder.objects.get(visit=second).state == "cancelled"
    follow_up = waiting(kind="series_unbooked")
    assert [(r.series_id, r.due_at) for r in follow_up] == [(series.pk, at("2026-03-03", "08:00"))]


def test_a_make_up_session_gets_a_reminder_and_no_follow_up(clinic, lin, patient):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    make_up = visit_cancel(visit=series.visits.get(sequence=2), reason="Ill", make_up=True, by=None)
    assert [r.visit_id for r in waiting(visit=make_up)] == [make_up.pk]
    assert waiting(kind="series_unbooked") == []


def test_a_missed_session_follows_up_on_the_series(clinic, lin, patient, frozen):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    frozen.move_to(at("2026-03-03", "10:30"))
    visit_mark_no_show(visit=series.visits.get(sequence=1), by=None)
    assert len(waiting(kind="series_unbooked")) == 1


def test_finishing_a_series_brings_maintenance_reminders_which_booking_maintenance_cancels(clinic, lin, patient, frozen):
    series = book_series(patient=patient, practitioner=lin, clinic=clinic, first_day="2026-03-03", sessions=6)
    for visit in series.visits.order_by("starts_at"):
        frozen.move_to(visit.starts_at + dt.timedelta(minutes=30))
        visit_complete(visit=visit, by=None)
    series.refresh_from_db()
    assert series.status == Series.Status.COMPLETED
    due_on = MaintenanceSchedule.objects.get(patient=patient).due_on  # 5 weeks after the last one
    rows = waiting(kind="maintenance_due")
    # A week before, and on the due date, at 09:00 local.
    assert [r.due_at for r in rows] == [at(due_on - dt.timedelta(days=7), "09:00"), at(due_on, "09:00")]
    assert all(r.maintenance_due_on == due_on for r in rows)
    assert Reminder.objects.filter(state__in=Reminder.WAITING, kind="visit_upcoming").count() == 0

    maintenance = visit_book(patient=patient, practitioner=lin, appointment_type=clinic.maintenance,
                             starts_at=at(due_on, "10:00"), by=None)
    assert waiting(kind="maintenance_due") == []
    # The visit is cancelled again: maintenance is still due, so its reminders come back.
    visit_cancel(visit=maintenance, reason="Away", by=None)
    assert len(waiting(kind="maintenance_due")) == 2


def test_a_new_maintenance_interval_moves_the_reminders(clinic, lin, patient):
    MaintenanceSchedule.objects.create(patient=patient, since=dt.date(2026, 3, 1), due_on=dt.date(2026, 4, 5))
    maintenance_set_interval(patient=patient, weeks=6, by=None)
    assert [r.maintenance_due_on for r in waiting(kind="maintenance_due")] == [dt.date(2026, 4, 12)] * 2


def test_reminders_come_back_when_the_patient_agrees_again(clinic, lin, frozen, django_capture_on_commit_callbacks):
    patient = PatientFactory(reminder_consent=False, reminder_consent_changed_at=None)
    visit = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-10", "10:00"), patient=patient)
    later = book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-17", "10:00"), patient=patient)
    frozen.move_to(at("2026-03-08", "10:00"))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch(publish=send_at_once)
    assert Reminder.objects.get(visit=visit).state == "cancelled" and mail.outbox == []

    # Sweeps before the patient agrees change nothing.
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch(publish=send_at_once)
    assert Reminder.objects.filter(visit=visit).count() == 1

    frozen.move_to(at("2026-03-08", "12:00"))
    patient_update(
        by=front_desk_user(), patient=patient,
        demographics={"first_name": patient.first_name, "last_name": patient.last_name,
                      "date_of_birth": patient.date_of_birth, "email": patient.email,
                      "preferred_contact": "email", "reminder_consent": True},
    )
    for _ in range(3):  # overlapping sweeps restore each reminder once
        with django_capture_on_commit_callbacks(execute=True):
            reminders_dispatch(publish=send_at_once)
    assert len(mail.outbox) == 1 and "Tuesday 10 March 2026" in mail.outbox[0].subject
    # The later visit's reminder had not fallen due: it was never cancelled and just waits.
    assert [r.state for r in Reminder.objects.filter(visit=later)] == ["pending"]
    assert sorted(Reminder.objects.filter(visit=visit).values_list("state", flat=True)) == ["cancelled", "sent"]
