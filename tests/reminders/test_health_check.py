"""The pre-visit health check (``scheduling.reminders.health_check``): the sweep makes its e-mail
``health_check_days_before`` days before each visit, the outbox sends it once, and the answer
confirms the latest screening or records a new one reported by the patient."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from patients.intake import CONFIRMED_NO, reminder_consent_withdraw
from patients.models import Screening
from scheduling.booking import visit_move
from scheduling.models import ClinicSettings, LinkUse, PatientRequest, Reminder
from scheduling.reminders.health_check import ANSWER_FIELDS, health_check_answer, receipt_send
from scheduling.reminders.outbox import reminders_dispatch
from scheduling.reminders.sending import reminders_send
from scheduling.reminders.tokens import USED, LinkError, link_token
from scheduling.visit_status import visit_cancel
from staff.models import AuditEvent
from tests.factories import PatientFactory, ScreeningFactory
from tests.reminders.factories import book_visit
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")


def checks(**filters) -> list[Reminder]:
    return list(Reminder.objects.filter(kind=Reminder.Kind.HEALTH_CHECK, **filters).order_by("id"))


def sweep() -> list[int]:
    return reminders_dispatch(publish=lambda ids: None)


@pytest.fixture
def screened(db):
    patient = PatientFactory(first_name="Ada")
    ScreeningFactory(patient=patient, medications="Vitamin D", filler_on=dt.date(2025, 11, 3), filler_areas=["nasolabial"])
    return patient


@pytest.fixture
def visit(clinic, lin, screened):
    # Thursday 5 March at 10:00; the clock stands at Monday 2 March 08:00.
    return book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"), patient=screened)


@pytest.fixture
def check(visit, frozen):
    frozen.move_to(at("2026-03-02", "09:00"))
    sweep()
    (reminder,) = checks(visit=visit)
    return reminder


def answers_as_before(screening: Screening, **changes) -> dict:
    return {name: getattr(screening, name) for name in ANSWER_FIELDS} | {CONFIRMED_NO: []} | changes


def answer(reminder: Reminder, **changes) -> PatientRequest:
    previous = Screening.objects.latest_for(reminder.patient_id)
    token = link_token(reminder=reminder, action="health_check")
    return health_check_answer(token=token, answers=answers_as_before(previous, **changes))


def test_the_check_is_due_at_nine_the_configured_days_before_the_visit(visit, frozen):
    sweep()
    assert checks() == []  # 08:00 on Monday: three days before Thursday, but not yet nine o'clock
    frozen.move_to(at("2026-03-02", "09:00"))
    sweep()
    (reminder,) = checks(visit=visit)
    assert (reminder.due_at, reminder.expires_at) == (at("2026-03-02", "09:00"), visit.starts_at)
    sweep()
    assert len(checks()) == 1  # asked once per visit time


def test_the_days_before_come_from_the_clinic_settings(visit, frozen):
    ClinicSettings.objects.filter(pk=1).update(health_check_days_before=2)
    frozen.move_to(at("2026-03-02", "09:00"))
    sweep()
    assert checks() == []
    frozen.move_to(at("2026-03-03", "09:00"))
    sweep()
    assert len(checks(visit=visit)) == 1


def test_the_setting_is_held_to_one_to_seven_days_by_the_database(db):
    ClinicSettings.load()
    with pytest.raises(IntegrityError):
        ClinicSettings.objects.filter(pk=1).update(health_check_days_before=8)


def test_the_clinic_admin_sets_the_days_in_clinic_settings_within_the_range(admin_client_):
    ClinicSettings.load()
    url = reverse("admin:scheduling_clinicsettings_change", args=[1])
    page = admin_client_.get(url).content.decode()
    assert 'name="health_check_days_before"' in page
    form = {name: value for name, value in admin_client_.get(url).context["adminform"].form.initial.items()
            if name != "time_zone"}
    response = admin_client_.post(url, form | {"health_check_days_before": 9})
    assert response.status_code == 200 and "less than or equal to 7" in response.content.decode()
    assert ClinicSettings.load().health_check_days_before == 3


def test_no_check_for_a_patient_without_a_screening_or_without_consent(clinic, lin, frozen):
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-04", "10:00"))
    unwilling = PatientFactory(reminder_consent=False)
    ScreeningFactory(patient=unwilling)
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-04", "12:00"), patient=unwilling)
    frozen.move_to(at("2026-03-02", "09:00"))
    sweep()
    assert checks() == []


def test_the_outbox_sends_the_check_once_with_its_link_and_no_health_data(check, mailoutbox):
    assert check.state == Reminder.State.QUEUED
    assert reminders_send(reminder_ids=[check.pk]) == ["sent"]
    assert reminders_send(reminder_ids=[check.pk]) != ["sent"]
    (message,) = mailoutbox
    assert message.subject == "Before your visit on Thursday 5 March 2026 at 10:00 (GMT): has anything changed?"
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "http://127.0.0.1:8000/r/check/" in body and "Vitamin D" not in body and "nasolabial" not in body


def test_a_moved_visit_gets_a_new_check_and_the_old_one_is_not_sent(check, visit, frozen):
    visit_move(visit=visit, starts_at=at("2026-03-04", "15:00"), by=None)
    sweep()
    old, new = checks(visit=visit)
    assert new.expires_at == at("2026-03-04", "15:00")
    assert (old.state, old.note) == (Reminder.State.CANCELLED, "The visit was moved.")
    assert reminders_send(reminder_ids=[old.pk]) == ["not claimed"]


def test_a_cancelled_visit_gets_no_check(visit, frozen):
    visit_cancel(visit=visit, reason="Ill", by=None)
    frozen.move_to(at("2026-03-02", "09:00"))
    sweep()
    assert checks() == []


def test_nothing_changed_confirms_the_latest_screening_and_is_listed(check, screened):
    before = Screening.objects.count()
    request = answer(check)
    assert Screening.objects.count() == before
    assert (request.kind, request.patient, request.visit) == ("health_confirmed", screened, check.visit)
    assert AuditEvent.objects.filter(summary="health check: the patient confirmed nothing has changed",
                                     patient_id=screened.pk).exists()
    assert LinkUse.objects.filter(reminder=check, action="health_check").exists()


def test_the_same_text_sent_back_with_other_line_breaks_is_no_change(check, screened):
    before = Screening.objects.latest_for(screened)  # screenings are write-once: a newer one says it
    ScreeningFactory(patient=screened, answered_at=before.answered_at + dt.timedelta(seconds=1), allergies="Nickel\nLatex",
                     **{name: getattr(before, name) for name in ("medications", "filler_on", "filler_areas")})
    assert answer(check, allergies="Nickel\r\nLatex ").kind == "health_confirmed"


def test_a_changed_answer_is_a_new_screening_reported_by_the_patient(check, screened):
    request = answer(check, pregnant_or_trying=True, bleeding_risk=True, medications="Vitamin D, apixaban")
    latest = Screening.objects.latest_for(screened)
    assert latest.source == Screening.Source.PATIENT_CHECK and latest.recorded_by is None
    assert (latest.pregnant_or_trying, latest.bleeding_risk, latest.medications) == (True, True, "Vitamin D, apixaban")
    assert latest.filler_areas == ["nasolabial"]  # what did not change is carried
    assert request.kind == "health_changed" and not request.urgent
    assert AuditEvent.objects.filter(object_type="patients.screening", object_id=str(latest.pk), action="create").exists()


def test_a_new_filler_needs_its_areas_as_on_the_staff_form(check, screened):
    with pytest.raises(ValidationError) as error:
        answer(check, filler_on=dt.date(2026, 2, 25), filler_areas=[])
    assert "filler_areas" in error.value.error_dict
    assert Screening.objects.latest_for(screened).filler_on == dt.date(2025, 11, 3)
    assert not LinkUse.objects.exists() and not PatientRequest.objects.exists()


def test_a_yes_turned_no_takes_the_patients_tick_as_on_the_staff_form(check, screened):
    ScreeningFactory(patient=screened, pregnant_or_trying=True)
    with pytest.raises(ValidationError) as error:
        answer(check, pregnant_or_trying=False)
    assert CONFIRMED_NO in error.value.error_dict
    request = answer(check, pregnant_or_trying=False, confirmed_no=["pregnant_or_trying"])
    assert request.kind == "health_changed" and not Screening.objects.latest_for(screened).pregnant_or_trying


def test_an_answer_that_blocks_treatment_is_urgent(check, screened):
    request = answer(check, active_skin_infection=True)
    assert request.kind == "health_blocked" and request.urgent
    assert Screening.objects.latest_for(screened).active_skin_infection


def test_a_link_answers_once(check):
    answer(check)
    with pytest.raises(LinkError) as error:
        answer(check, pregnant_or_trying=True)
    assert error.value.reason == USED
    assert PatientRequest.objects.count() == 1 and not Screening.objects.latest_for(check.patient_id).pregnant_or_trying


@pytest.mark.parametrize("blocked", [False, True])
def test_the_receipt_tells_the_patient_plainly(check, mailoutbox, blocked):
    request = answer(check, active_skin_infection=blocked)
    assert receipt_send(request_id=request.pk)
    (message,) = mailoutbox
    assert message.to == [check.patient.email]
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert ("Someone from the clinic will contact you before your visit" in body) is blocked
        assert "infection" not in body


def test_a_sent_check_does_not_stop_the_visit_reminder_coming_back_with_consent(check, visit, frozen):
    assert reminders_send(reminder_ids=[check.pk]) == ["sent"]
    frozen.move_to(at("2026-03-03", "11:00"))
    reminder_consent_withdraw(by=None, patient=visit.patient)
    assert reminders_send(reminder_ids=sweep()) == ["cancelled"]  # for want of consent
    assert Reminder.objects.get(visit=visit, kind="visit_upcoming").state == "cancelled"
    frozen.move_to(at("2026-03-03", "12:00"))
    type(visit.patient).objects.filter(pk=visit.patient_id).update(
        reminder_consent=True, reminder_consent_changed_at=at("2026-03-03", "12:00")
    )
    sweep()
    assert sorted(Reminder.objects.filter(visit=visit, kind="visit_upcoming").values_list("state", flat=True)) == [
        "cancelled", "queued"
    ]
