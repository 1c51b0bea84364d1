"""Issue 10, as a clinic tried it: each case failed before the rules were tightened."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients.intake import screening_record
from patients.models import Concern
from scheduling.models import Visit
from tests.factories import acupuncturist_user, intake_patient
from tests.scheduling.factories import at
from tests.treatments.factories import book_treatment_series, ratings_for, record_session, saved_plan
from treatments.catalogue import load_options
from treatments.models import Adjunct, ConcernTarget, Plan, PlanItem, Point, SessionRecord
from treatments.rules import NEAR_EYE_RISK, Chosen
from treatments.services import plan_context, plan_save
from treatments.sessions import ReactionEntry, session_record_save, session_start

pytestmark = pytest.mark.django_db

NEAR_EYE = {"BL2", "EX-HN4", "GB1", "ST1", "ST2"}


def options() -> dict:
    return {option.code: option for option in load_options()}


def codes(items) -> set[str]:
    return {item.option.code for item in items}


def face_and_body(items) -> tuple[int, int]:
    face = sum(item.needles for item in items if item.option.on_face)
    return face, sum(item.needles for item in items) - face


# --- No padding -----------------------------------------------------------------------------------
def test_a_plan_never_carries_an_item_that_serves_none_of_the_concerns():
    for concerns in ({"puffiness": 8}, {"dark-circles": 6}, {"fine-lines": 3}, {"dullness": 10}):
        proposal = plan_context(intake_patient(concerns=concerns)).suggest()
        assert proposal.items
        assert all(item.concern in concerns for item in proposal.items), concerns
        assert not any("minimum" in item.reason for item in proposal.items)
        assert "PC6" not in codes(proposal.items)


def test_too_few_safe_targets_is_said_plainly_and_the_practitioner_decides():
    # Discoloration 10, keloid, filler on cheek, forehead and neck 13 days ago: it used to get 2
    # face needles and 38 body needles to reach 40.
    today = timezone.localdate()
    patient = intake_patient(
        concerns={"discoloration": 10}, keloid_scarring=True, filler_on=today - dt.timedelta(days=13),
        filler_areas=["cheek", "forehead", "neck"],
    )
    proposal = plan_context(patient).suggest()
    face, body = face_and_body(proposal.items)
    assert face >= body
    assert proposal.total_needles < 40
    # Of the treated areas only the cheeks hold points for discoloration.
    assert proposal.shortfall.startswith(f"{proposal.total_needles} needles: the screening rules out the cheeks.")
    acu = acupuncturist_user()
    with pytest.raises(ValidationError, match="fewer than the usual 40"):
        plan_save(by=acu, patient=patient, items=proposal.items, retention=proposal.retention)
    plan = plan_save(by=acu, patient=patient, items=proposal.items, retention=proposal.retention, fewer_needles=True)
    assert plan.fewer_needles and plan.total_needles == proposal.total_needles


def test_a_concern_with_no_points_mapped_never_drives_a_plan():
    Concern.objects.create(code="pores", name="Enlarged pores", display_order=99, active=True)
    patient = intake_patient(concerns={"pores": 9})
    proposal = plan_context(patient).suggest()
    assert proposal.blocked and not proposal.items
    both = plan_context(intake_patient(concerns={"pores": 9, "fine-lines": 5})).suggest()
    assert both.unmapped == ["Enlarged pores"]
    assert all(item.concern == "fine-lines" for item in both.items)


# --- Bleeding risk --------------------------------------------------------------------------------
def test_bleeding_risk_keeps_points_near_the_eye_out_unless_that_risk_is_accepted():
    patient = intake_patient(concerns={"dark-circles": 9, "puffiness": 8}, bleeding_risk=True)
    proposal = plan_context(patient).suggest()
    assert not codes(proposal.items) & NEAR_EYE
    assert {e.option.code for e in proposal.exclusions if e.acceptable} == NEAR_EYE
    assert "the screening rules out points near the eye (bleeding risk)" in proposal.shortfall
    assert "cupping" not in codes(proposal.items)
    acu = acupuncturist_user()
    st1 = [*proposal.items, Chosen(options()["ST1"], 2, "dark-circles", "by hand")]
    save = dict(by=acu, patient=patient, items=st1, retention=proposal.retention, acknowledged=True, fewer_needles=True)
    with pytest.raises(ValidationError, match="ST1 Chengqi cannot be used: bleeding risk near the eye"):
        plan_save(**save)
    plan = plan_save(**save, near_eye=True)
    assert plan.acknowledged[-1] == NEAR_EYE_RISK
    assert plan.items.filter(point__code="ST1").exists()


def test_the_orm_refuses_a_near_eye_point_with_bleeding_risk_unless_the_plan_accepted_it():
    patient = intake_patient(concerns={"dark-circles": 9}, bleeding_risk=True)
    plan = saved_plan(patient, by=acupuncturist_user())
    st1 = Point.objects.get(code="ST1")
    with pytest.raises(ValidationError, match="bleeding risk near the eye"):
        PlanItem(plan=plan, kind="point", point=st1, needles=2, reason="by hand", position=99).save()


# --- Implanted device -----------------------------------------------------------------------------
def test_an_electrical_adjunct_is_impossible_with_a_pacemaker():
    microcurrent = Adjunct.objects.create(code="microcurrent", name="Facial microcurrent", electrical=True)
    ConcernTarget.objects.create(concern=Concern.objects.get(code="sagging"), adjunct=microcurrent, weight=5)
    unflagged = Adjunct.objects.create(code="micro-2", name="Microcurrent lift")
    ConcernTarget.objects.create(concern=Concern.objects.get(code="sagging"), adjunct=unflagged, weight=5)
    patient = intake_patient(concerns={"sagging": 9}, implanted_device=True)
    proposal = plan_context(patient).suggest()
    assert not {"microcurrent", "micro-2"} & codes(proposal.items)
    assert "implanted device" in {e.option.code: e.reason for e in proposal.exclusions}["microcurrent"]
    plan = saved_plan(patient, by=acupuncturist_user())
    with pytest.raises(ValidationError, match="implanted device"):
        PlanItem(plan=plan, kind="adjunct", adjunct=microcurrent, needles=0, reason="by hand", position=99).save()
    assert "microcurrent" in codes(plan_context(intake_patient(concerns={"sagging": 9})).suggest().items)


# --- Exclusions follow the face area, each procedure with its own wait ---------------------------
def test_nasolabial_filler_rules_out_the_folds_and_the_points_in_them():
    today = timezone.localdate()
    patient = intake_patient(concerns={"wrinkles": 9, "sagging": 9}, filler_on=today, filler_areas=["nasolabial"])
    proposal = plan_context(patient).suggest()
    assert not {"nasolabial-folds", "LI20", "ST3"} & codes(proposal.items)
    assert "dermal filler within the wait period (nasolabial folds)" in {
        e.option.code: e.reason for e in proposal.exclusions
    }["LI20"]


def test_frown_line_botox_rules_out_bl2_but_not_the_forehead():
    today = timezone.localdate()
    patient = intake_patient(
        concerns={"wrinkles": 9, "fine-lines": 9}, botox_on=today - dt.timedelta(days=3), botox_areas=["glabella"]
    )
    proposal = plan_context(patient).suggest()
    assert not {"BL2", "GV29", "glabellar-lines"} & codes(proposal.items)
    assert {"GB14", "forehead-lines"} <= codes(proposal.items)


def test_pregnancy_rules_out_cv12_and_every_abdominal_point():
    proposal = plan_context(intake_patient(concerns={"puffiness": 9, "dullness": 9}, pregnant_or_trying=True)).suggest()
    assert not {"CV12", "CV4", "CV6", "LI4", "SP6"} & codes(proposal.items)
    Point.objects.filter(code="LI4").update(avoid_in_pregnancy=False)
    assert "LI4" not in codes(
        plan_context(intake_patient(concerns={"discoloration": 9}, pregnant_or_trying=True)).suggest().items
    )


# --- At the visit: re-screening, the first session of a fainting-prone patient, metal allergy -----
@pytest.fixture
def first_visit(acupuncturist, clinic, traveller):
    patient = intake_patient(concerns={"fine-lines": 9, "wrinkles": 9, "sagging": 9})
    plan = saved_plan(patient, by=acupuncturist)
    assert plan.total_needles > 46
    visit = book_treatment_series(patient, user=acupuncturist, clinic=clinic).visits.order_by("sequence").first()
    traveller.move_to(at("2026-03-02", "10:05"))
    return visit


@pytest.mark.parametrize(
    "answers",
    [{"bleeding_risk": True}, {"uncontrolled_blood_pressure": True}, {"severe_migraines": True}, {"metal_allergy": True}],
)
def test_a_risk_new_at_the_visit_is_acknowledged_before_the_record_saves(first_visit, acupuncturist, answers):
    screening_record(by=acupuncturist, patient=first_visit.patient, answers=answers)
    start = session_start(first_visit)
    assert len(start.risks) == 1
    with pytest.raises(ValidationError, match="Acknowledge this risk, new since the plan was saved"):
        record_session(first_visit, by=acupuncturist)
    assert Visit.objects.get(pk=first_visit.pk).status == Visit.Status.BOOKED
    record = record_session(first_visit, by=acupuncturist, acknowledged=start.risks)
    assert record.acknowledged == start.risks


def test_a_new_bleeding_risk_trims_the_prefill_to_the_new_cap_and_says_what_went(first_visit, acupuncturist):
    screening_record(by=acupuncturist, patient=first_visit.patient, answers={"bleeding_risk": True})
    start = session_start(first_visit)
    assert sum(item.needles for item in start.prefill) <= 46 == start.limits.needles_max
    assert start.trimmed and all("allows at most 46 needles" in line for line in start.trimmed)
    face, body = face_and_body(start.prefill)
    assert face >= body


def test_the_plan_page_counts_the_new_cap_among_the_conflicts(acupuncturist_client, first_visit, acupuncturist):
    screening_record(by=acupuncturist, patient=first_visit.patient, answers={"bleeding_risk": True})
    page = acupuncturist_client.get(reverse("treatments:patient_plan", args=[first_visit.patient_id])).content.decode()
    assert "this screening allows at most 46" in page


def test_the_session_form_asks_for_each_new_risk(acupuncturist_client, first_visit, acupuncturist):
    screening = screening_record(by=acupuncturist, patient=first_visit.patient, answers={"severe_migraines": True})
    url = reverse("treatments:session_new", args=[first_visit.pk])
    page = acupuncturist_client.get(url, {"screening": screening.pk}).content.decode()
    assert 'id="new-risks"' in page and "Severe migraines." in page


def test_fainting_history_lightens_the_first_session_only(acupuncturist, clinic, traveller):
    patient = intake_patient(concerns={"fine-lines": 9, "wrinkles": 9, "sagging": 9}, fainting_history=True)
    plan = saved_plan(patient, by=acupuncturist)
    assert plan.needles_max == 70
    first, second, third = book_treatment_series(patient, user=acupuncturist, clinic=clinic).visits.order_by("sequence")[:3]
    traveller.move_to(at("2026-03-02", "10:05"))
    start = session_start(first)
    assert start.limits.needles_max == 46 and start.trimmed
    record_session(first, by=acupuncturist)
    traveller.move_to(at("2026-03-09", "10:05"))
    assert session_start(second).limits.needles_max == 70
    record_session(second, by=acupuncturist, items=session_start(second).prefill, reactions=[ReactionEntry("fainting", "mild")])
    traveller.move_to(at("2026-03-16", "10:05"))
    assert session_start(third).limits.needles_max == 46  # a fainting reaction in this series


def test_the_orm_refuses_a_record_without_the_new_risks_acknowledged(first_visit, acupuncturist):
    screening = screening_record(by=acupuncturist, patient=first_visit.patient, answers={"severe_migraines": True})
    plan = Plan.objects.get()
    with pytest.raises(ValidationError, match="new since the plan"):
        SessionRecord.objects.create(
            visit=first_visit, patient=first_visit.patient, series=first_visit.series, plan=plan, screening=screening,
            recorded_by=acupuncturist, total_needles=10, retention_minutes=20, needles_max=46, retention_max=30,
        )
    assert not SessionRecord.objects.exists()


def test_session_save_refuses_a_near_eye_point_the_plan_did_not_accept(first_visit, acupuncturist):
    screening_record(by=acupuncturist, patient=first_visit.patient, answers={"bleeding_risk": True})
    start = session_start(first_visit)
    items = [*start.prefill[:5], Chosen(options()["ST1"], 2)]
    with pytest.raises(ValidationError, match="bleeding risk near the eye"):
        session_record_save(
            by=acupuncturist, visit=first_visit, screening=start.ctx.screening, items=items, retention=20,
            ratings=ratings_for(first_visit.patient), acknowledged=start.risks,
        )
