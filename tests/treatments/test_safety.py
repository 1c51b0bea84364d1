"""Saving an unsafe plan is impossible, through the service and through the ORM's own save path."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, NotSupportedError, connection, transaction

from patients.intake import screening_record
from staff.models import AuditEvent
from tests.factories import ScreeningFactory, acupuncturist_user, intake_patient
from tests.treatments.factories import saved_plan
from treatments.catalogue import load_options
from treatments.models import Plan, PlanItem, PlanSettings, Point
from treatments.rules import Chosen, Option, Rules, limits_for, screening_facts
from treatments.services import plan_context, plan_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def acu():
    return acupuncturist_user()


def options() -> dict[str, Option]:
    return {option.code: option for option in load_options()}


def pregnant_plan_row(patient, **overrides) -> Plan:
    """A Plan row that passes every whole-plan rule for a pregnant patient (no items yet)."""
    data = dict(
        patient=patient, screening=patient.screenings.first(), created_by=acupuncturist_user(), retention_minutes=25,
        total_needles=40, needles_min=40, needles_max=70, retention_min=20, retention_max=30,
    )
    return Plan.objects.create(**{**data, **overrides})


def test_service_refuses_a_cautioned_point_for_a_pregnant_patient_and_saves_nothing(acu):
    patient = intake_patient(concerns={"fine-lines": 7}, pregnant_or_trying=True)
    proposal = plan_context(patient).suggest()
    items = [*proposal.items[:-1], Chosen(options()["LI4"], 2, "fine-lines", "added")]
    with pytest.raises(ValidationError) as exc:
        plan_save(by=acu, patient=patient, items=items, retention=proposal.retention)
    assert "LI4 Hegu cannot be used: never needled in pregnancy" in " ".join(exc.value.messages)
    assert not Plan.objects.exists()


@pytest.mark.parametrize("code", ["LI4", "SP6", "BL60", "BL67", "GB21", "CV4", "CV6"])
def test_orm_save_of_a_pregnancy_cautioned_item_raises(code):
    patient = intake_patient(concerns={"fine-lines": 7}, pregnant_or_trying=True)
    plan = pregnant_plan_row(patient)
    point = Point.objects.get(code=code)
    with pytest.raises(ValidationError, match="pregnancy"):
        PlanItem(plan=plan, kind="point", point=point, needles=point.needles, reason="by hand", position=0).save()
    with pytest.raises(ValidationError, match="pregnancy"):
        PlanItem.objects.create(plan=plan, kind="point", point=point, needles=point.needles, reason="by hand", position=0)
    assert not PlanItem.objects.exists()


def test_orm_save_of_an_allowed_item_works_for_a_pregnant_patient():
    patient = intake_patient(concerns={"fine-lines": 7}, pregnant_or_trying=True)
    plan = pregnant_plan_row(patient)
    PlanItem.objects.create(plan=plan, kind="point", point=Point.objects.get(code="GB14"), needles=2, reason="x", position=0)
    assert plan.items.count() == 1


def test_bulk_and_in_place_writes_that_would_skip_the_checks_are_refused():
    patient = intake_patient(concerns={"fine-lines": 7}, pregnant_or_trying=True)
    plan = pregnant_plan_row(patient)
    li4 = Point.objects.get(code="LI4")
    with pytest.raises(NotSupportedError):
        PlanItem.objects.bulk_create([PlanItem(plan=plan, kind="point", point=li4, needles=2, reason="x", position=0)])
    with pytest.raises(NotSupportedError):
        Plan.objects.filter(pk=plan.pk).update(total_needles=90)
    with pytest.raises(ValidationError, match="never changed"):
        plan.save()


def test_a_blocked_patient_gets_no_plan_even_through_the_orm(acu):
    patient = intake_patient(concerns={"fine-lines": 7}, active_skin_infection=True)
    with pytest.raises(ValidationError, match="Facial treatment is blocked"):
        pregnant_plan_row(patient)
    with pytest.raises(ValidationError, match="Facial treatment is blocked"):
        plan_save(by=acu, patient=patient, items=[], retention=25)


def test_a_plan_checked_against_an_old_screening_is_refused(acu):
    patient = intake_patient(concerns={"fine-lines": 7})
    old = patient.screenings.get()
    ScreeningFactory(patient=patient, pregnant_or_trying=True)
    with pytest.raises(ValidationError, match="newer screening"):
        pregnant_plan_row(patient, screening=old)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"needles_max": 90}, "limits must be those of the rules"),
        ({"needles_min": 10, "total_needles": 12}, "limits must be those of the rules"),
        ({"retention_max": 60, "retention_minutes": 55}, "limits must be those of the rules"),
    ],
)
def test_plan_rows_cannot_widen_their_limits(overrides, message):
    patient = intake_patient(concerns={"fine-lines": 7})
    with pytest.raises(ValidationError, match=message):
        pregnant_plan_row(patient, **overrides)


def test_database_refuses_totals_outside_the_stored_limits():
    # Below save(): the database itself holds a plan's total and retention within its limits.
    patient = intake_patient(concerns={"fine-lines": 7})
    row = Plan(
        patient=patient, screening=patient.screenings.get(), created_by=acupuncturist_user(), retention_minutes=25,
        total_needles=75, needles_min=40, needles_max=70, retention_min=20, retention_max=30,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        super(Plan, row).save()  # the bare Model.save, as raw code would write the row


@pytest.mark.parametrize(
    ("total", "ok", "message"),
    [(39, False, "The plan has 39 needles, fewer than the usual 40"), (40, True, ""), (70, True, ""),
     (71, False, "The plan has 71 needles; at most 70 are allowed")],
)
def test_needle_total_bounds_are_held_by_the_service(acu, total, ok, message):
    patient = intake_patient(concerns={"fine-lines": 9, "wrinkles": 9, "sagging": 9})
    opts = options()
    bilateral = [o for o in opts.values() if o.kind == "point" and o.needles_max == 2 and not o.avoid_in_pregnancy]
    items = [Chosen(o, 2) for o in bilateral[: total // 2]]
    remaining = total - 2 * len(items)
    for code in ("forehead-lines", "neck-lines"):  # past the points, line patterns add needles
        if remaining >= 2:
            needles = min(10, remaining)
            items.append(Chosen(opts[code], needles))
            remaining -= needles
    if remaining:
        items.append(Chosen(opts["GV24"], 1))
    assert sum(i.needles for i in items) == total
    if ok:
        assert plan_save(by=acu, patient=patient, items=items, retention=25).total_needles == total
    else:
        with pytest.raises(ValidationError, match=message):
            plan_save(by=acu, patient=patient, items=items, retention=25)


def test_below_the_minimum_is_the_practitioners_choice_and_the_maximum_is_not(acu):
    patient = intake_patient(concerns={"fine-lines": 9})
    points = [o for o in options().values() if o.kind == "point" and o.needles_max == 2 and not o.avoid_in_pregnancy]
    plan = plan_save(by=acu, patient=patient, items=[Chosen(o, 2) for o in points[:16]], retention=25, fewer_needles=True)
    assert (plan.total_needles, plan.fewer_needles, plan.needles_min) == (32, True, 40)
    lines = [Chosen(o, o.needles_max) for o in options().values() if o.kind == "pattern"]
    with pytest.raises(ValidationError, match="at most 70"):
        plan_save(by=acu, patient=patient, items=[Chosen(o, 2) for o in points] + lines, retention=25, fewer_needles=True)


def test_the_database_holds_the_maximum_and_the_minimum_unless_the_practitioner_chose_fewer():
    patient = intake_patient(concerns={"fine-lines": 7})
    data = dict(
        patient=patient, screening=patient.screenings.get(), created_by=acupuncturist_user(), retention_minutes=25,
        needles_min=40, needles_max=70, retention_min=20, retention_max=30,
    )
    for total, fewer in ((30, False), (71, True), (0, True)):
        with pytest.raises(IntegrityError), transaction.atomic():
            super(Plan, Plan(total_needles=total, fewer_needles=fewer, **data)).save()
    super(Plan, Plan(total_needles=30, fewer_needles=True, **data)).save()


@pytest.mark.parametrize(("retention", "ok"), [(19, False), (20, True), (30, True), (31, False)])
def test_retention_bounds_are_held_by_the_service(acu, retention, ok):
    patient = intake_patient(concerns={"fine-lines": 7})
    proposal = plan_context(patient).suggest()
    if ok:
        plan_save(by=acu, patient=patient, items=proposal.items, retention=retention)
    else:
        with pytest.raises(ValidationError, match="Retention must be 20–30 minutes"):
            plan_save(by=acu, patient=patient, items=proposal.items, retention=retention)


def test_changed_clinic_settings_apply_to_new_plans(acu):
    PlanSettings.objects.filter(pk=1).delete()
    PlanSettings.objects.create(pk=1, needles_min=30, needles_max=50, reduced_needles_max=35, retention_min=15, retention_max=25)
    patient = intake_patient(concerns={"fine-lines": 9, "wrinkles": 9})
    proposal = plan_context(patient).suggest()
    assert 30 <= proposal.total_needles <= 50 and 15 <= proposal.retention <= 25
    plan = plan_save(by=acu, patient=patient, items=proposal.items, retention=proposal.retention)
    assert (plan.needles_min, plan.needles_max, plan.retention_max) == (30, 50, 25)


def test_plan_settings_constraints_refuse_an_impossible_range():
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanSettings.objects.filter(pk=1).delete()
        PlanSettings.objects.create(pk=1, needles_min=70, needles_max=40)


def test_bleeding_risk_needs_acknowledgement(acu):
    patient = intake_patient(concerns={"dullness": 7}, bleeding_risk=True)
    proposal = plan_context(patient).suggest()
    kept = dict(items=proposal.items, retention=proposal.retention, fewer_needles=True)
    with pytest.raises(ValidationError, match="Acknowledge the risks"):
        plan_save(by=acu, patient=patient, **kept)
    plan = plan_save(by=acu, patient=patient, acknowledged=True, **kept)
    assert "Bleeding" in plan.acknowledged[0]


def test_plans_are_history_and_the_latest_is_current(acu):
    patient = intake_patient(concerns={"fine-lines": 7})
    first = saved_plan(patient, by=acu)
    second = saved_plan(patient, by=acu, notes="second")
    assert list(Plan.objects.filter(patient=patient)) == [second, first]
    assert first.items.count() == second.items.count() > 0
    assert AuditEvent.objects.filter(object_type="treatments.plan", action="create").count() == 2


def test_becoming_pregnant_removes_the_cautioned_points_from_the_next_plan(acu):
    patient = intake_patient(concerns={"fine-lines": 8, "dullness": 8})
    before = saved_plan(patient, by=acu)
    assert {"LI4", "SP6"} & {item.point.code for item in before.items.exclude(point=None).select_related("point")}
    screening_record(by=acu, patient=patient, answers={"pregnant_or_trying": True})
    after = saved_plan(patient, by=acu)
    codes = {item.point.code for item in after.items.exclude(point=None).select_related("point")}
    assert not codes & {"LI4", "SP6", "SP10", "BL60", "BL67", "GB21", "CV4", "CV6"}


def test_the_database_refuses_a_pregnancy_cautioned_item_even_from_raw_sql():
    # Below the ORM: the trigger of migration 0003 holds the rule on PostgreSQL and SQLite.
    patient = intake_patient(concerns={"fine-lines": 7}, pregnant_or_trying=True)
    plan = pregnant_plan_row(patient)
    insert = (
        "INSERT INTO treatments_planitem (plan_id, kind, point_id, needles, reason, position) "
        "VALUES (%s, 'point', %s, 2, 'raw', 0)"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, [plan.pk, Point.objects.get(code="GB14").pk])  # allowed
        for code in ("LI4", "CV4"):
            with pytest.raises(IntegrityError, match="never used in pregnancy"), transaction.atomic():
                cursor.execute(insert, [plan.pk, Point.objects.get(code=code).pk])
    assert list(plan.items.values_list("point__code", flat=True)) == ["GB14"]


def test_the_database_refuses_a_plan_for_a_blocked_screening_even_from_raw_sql():
    patient = intake_patient(concerns={"fine-lines": 7}, active_skin_infection=True)
    other = intake_patient(concerns={"fine-lines": 7})
    user = acupuncturist_user()
    insert = (
        "INSERT INTO treatments_plan (patient_id, screening_id, created_at, created_by_id, retention_minutes, "
        "total_needles, needles_min, needles_max, retention_min, retention_max, acknowledged, cautions, notes) "
        "VALUES (%s, %s, CURRENT_TIMESTAMP, %s, 25, 40, 40, 70, 20, 30, '[]', '[]', '')"
    )
    with connection.cursor() as cursor:
        for plan_patient, screening in ((patient, patient.screenings.get()), (other, patient.screenings.get())):
            with pytest.raises(IntegrityError, match="blocks facial treatment"), transaction.atomic():
                cursor.execute(insert, [plan_patient.pk, screening.pk, user.pk])
    assert not Plan.objects.exists()


def test_the_database_refuses_moving_a_plan_onto_a_pregnant_screening():
    patient = intake_patient(concerns={"fine-lines": 8, "dullness": 8})
    plan = saved_plan(patient, by=acupuncturist_user())
    assert plan.items.filter(point__avoid_in_pregnancy=True).exists()
    pregnant = ScreeningFactory(patient=patient, pregnant_or_trying=True)
    # A saved plan is never updated at all (treatments.triggers.HISTORY_TABLES).
    with connection.cursor() as cursor, pytest.raises(IntegrityError, match="clinical history"), transaction.atomic():
        cursor.execute("UPDATE treatments_plan SET screening_id = %s WHERE id = %s", [pregnant.pk, plan.pk])


def test_every_suggestion_saves_through_the_model_layer_for_random_screenings():
    """The suggestion, the service and the model checks agree: whatever the screening, a
    suggested plan that is not blocked saves, and its rows hold nothing the rules exclude."""
    import datetime as dt

    from django.utils import timezone
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from patients.models import FaceArea
    from treatments.rules import exclusion_reason, screening_facts

    acu = acupuncturist_user()
    today = timezone.localdate()

    @settings(max_examples=25, deadline=None)
    @given(
        severities=st.dictionaries(
            st.sampled_from(["fine-lines", "wrinkles", "puffiness", "dark-circles", "discoloration", "dullness", "sagging"]),
            st.integers(1, 10), min_size=1,
        ),
        answers=st.fixed_dictionaries(
            {
                "pregnant_or_trying": st.booleans(), "bleeding_risk": st.booleans(), "keloid_scarring": st.booleans(),
                "fainting_history": st.booleans(), "severe_migraines": st.booleans(),
                "filler_on": st.one_of(st.none(), st.integers(0, 20).map(lambda d: today - dt.timedelta(days=d))),
            }
        ),
        areas=st.lists(st.sampled_from(FaceArea.values), unique=True, min_size=1, max_size=2),
    )
    def check(severities, answers, areas):
        if answers["filler_on"]:
            answers["filler_areas"] = areas
        patient = intake_patient(concerns=severities, **answers)
        proposal = plan_context(patient).suggest()
        if proposal.blocked:
            return
        plan = plan_save(
            by=acu, patient=patient, items=proposal.items, retention=proposal.retention, acknowledged=True,
            fewer_needles=bool(proposal.shortfall),
        )
        rules = PlanSettings.rules()
        facts = screening_facts(plan.screening, today=today, rules=rules)
        for item in plan.items.select_related("point", "pattern", "adjunct"):
            assert exclusion_reason(item.target.as_option(), facts) is None
        assert plan.total_needles <= plan.needles_max
        assert plan.fewer_needles == (plan.total_needles < plan.needles_min)

    check()


@pytest.mark.parametrize(
    ("answers", "target", "message"),
    [
        ({"botox_areas": ["forehead"]}, ("point", "GB14"), "Botox within the wait period (forehead)"),
        ({"laser_peel_areas": ["nasolabial"]}, ("pattern", "nasolabial-folds"), "laser/peel within the wait period"),
        ({"keloid_scarring": True}, ("pattern", "forehead-lines"), "keloid"),
        ({"bleeding_risk": True}, ("adjunct", "cupping"), "suction bruises"),
    ],
)
def test_orm_save_refuses_each_screening_exclusion(answers, target, message):
    import re

    from django.utils import timezone

    from treatments.models import Adjunct, NeedlingPattern

    today = timezone.localdate()
    for procedure in ("botox", "laser_peel"):
        if f"{procedure}_areas" in answers:
            answers[f"{procedure}_on"] = today
    patient = intake_patient(concerns={"fine-lines": 7}, **answers)
    screening = patient.screenings.get()
    facts = screening_facts(screening, today=today, rules=Rules())
    limits = limits_for(facts, Rules())
    plan = Plan.objects.create(
        patient=patient, screening=screening, created_by=acupuncturist_user(), retention_minutes=25, total_needles=40,
        needles_min=limits.needles_min, needles_max=limits.needles_max, retention_min=20, retention_max=30,
        acknowledged=list(facts.acknowledgements),
    )
    kind, code = target
    model = {"point": Point, "pattern": NeedlingPattern, "adjunct": Adjunct}[kind]
    needles = {"point": 2, "pattern": 4, "adjunct": 0}[kind]
    with pytest.raises(ValidationError, match=re.escape(message)):
        PlanItem.objects.create(
            plan=plan, kind=kind, needles=needles, reason="by hand", position=0, **{kind: model.objects.get(code=code)}
        )
