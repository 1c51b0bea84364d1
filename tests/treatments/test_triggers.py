"""The database triggers (treatments/triggers.py) hold the hard rules on PostgreSQL and SQLite, by
code and region, whatever an admin does to the catalogue's flags, and even against raw SQL."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from tests.factories import ScreeningFactory, acupuncturist_user, intake_patient
from tests.scheduling.factories import at
from tests.treatments.factories import book_treatment_series, saved_plan
from treatments import hard_rules, triggers
from treatments.models import Adjunct, Plan, PlanItem, Point, SessionItem, SessionRecord

pytestmark = pytest.mark.django_db

INSERT_PLAN_ITEM = (
    "INSERT INTO treatments_planitem (plan_id, kind, point_id, adjunct_id, needles, reason, position) "
    "VALUES (%s, %s, %s, %s, %s, 'raw', 0)"
)
INSERT_SESSION_ITEM = (
    "INSERT INTO treatments_sessionitem (record_id, kind, point_id, adjunct_id, needles, position) "
    "VALUES (%s, %s, %s, %s, %s, 0)"
)


def plan_row(patient) -> Plan:
    """A Plan row that passes every whole-plan rule (no items yet)."""
    return Plan.objects.create(
        patient=patient, screening=patient.screenings.get(), created_by=acupuncturist_user(), retention_minutes=25,
        total_needles=40, needles_min=40, needles_max=70, retention_min=20, retention_max=30,
    )


def raw_point_item(plan: Plan, point: Point) -> None:
    with connection.cursor() as cursor:
        cursor.execute(INSERT_PLAN_ITEM, [plan.pk, "point", point.pk, None, point.needles])


def raw_adjunct_item(plan: Plan, adjunct: Adjunct) -> None:
    with connection.cursor() as cursor:
        cursor.execute(INSERT_PLAN_ITEM, [plan.pk, "adjunct", None, adjunct.pk, 0])


def microcurrent() -> Adjunct:
    return Adjunct.objects.create(code="microcurrent", name="Facial microcurrent", electrical=True)


@pytest.fixture
def pregnant_plan():
    return plan_row(intake_patient(concerns={"fine-lines": 7}, pregnant_or_trying=True))


def test_li4_with_its_flag_unticked_is_still_refused_for_a_pregnant_patient(pregnant_plan):
    with connection.cursor() as cursor:  # the admin's untick, done below the admin
        cursor.execute("UPDATE treatments_point SET avoid_in_pregnancy = %s WHERE code = 'LI4'", [False])
    li4 = Point.objects.get(code="LI4")
    assert not li4.avoid_in_pregnancy
    with pytest.raises(IntegrityError, match="never used in pregnancy"), transaction.atomic():
        raw_point_item(pregnant_plan, li4)
    with pytest.raises(ValidationError, match="pregnancy"):
        PlanItem.objects.create(plan=pregnant_plan, kind="point", point=li4, needles=2, reason="by hand", position=0)
    assert not pregnant_plan.items.exists()


@pytest.mark.parametrize(
    ("code", "region"), [("CV3", "lower abdomen"), ("CV12", "abdomen"), ("KI13", "lower abdomen"), ("st25", "Abdominal")]
)
def test_an_abdominal_point_without_flags_is_refused_for_a_pregnant_patient(pregnant_plan, code, region):
    point = Point.objects.filter(code=code).first() or Point.objects.create(
        code=code, pinyin="Test", kind="body", region=region, side="M"
    )
    assert not point.avoid_in_pregnancy and not point.lower_abdominal
    with pytest.raises(IntegrityError, match="never used in pregnancy"), transaction.atomic():
        raw_point_item(pregnant_plan, point)
    with pytest.raises(ValidationError, match="pregnancy"):
        PlanItem.objects.create(plan=pregnant_plan, kind="point", point=point, needles=1, reason="by hand", position=0)


def test_points_outside_the_hard_set_are_still_allowed_for_a_pregnant_patient(pregnant_plan):
    raw_point_item(pregnant_plan, Point.objects.get(code="GB14"))
    assert list(pregnant_plan.items.values_list("point__code", flat=True)) == ["GB14"]


def test_a_clinic_caution_is_held_too(pregnant_plan):
    st36 = Point.objects.get(code="ST36")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE treatments_point SET avoid_in_pregnancy = %s WHERE id = %s", [True, st36.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_point_item(pregnant_plan, st36)


@pytest.mark.parametrize(
    ("code", "change"),
    [
        ("LI4", "code = 'LI4X'"),
        ("SP6", "code = 'SP-6'"),
        ("ST25", "region = 'side of the trunk'"),
        ("CV4", "code = 'Q4', region = 'back'"),
    ],
)
def test_no_catalogue_edit_takes_a_point_out_of_the_hard_set(code, change):
    Point.objects.create(code="ST25", pinyin="Tianshu", kind="body", region="abdomen (beside the navel)", side="B")
    with pytest.raises(IntegrityError, match="stays forbidden"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE treatments_point SET {change} WHERE code = %s", [code])
    assert Point.objects.filter(code=code).exists()


def test_other_edits_of_a_hard_point_and_renames_of_other_points_are_allowed():
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE treatments_point SET caution = 'no deep needling', region = 'lower abdomen (midline)' WHERE code = 'CV4'"
        )
        cursor.execute("UPDATE treatments_point SET code = 'ST36X' WHERE code = 'ST36'")
    assert Point.objects.get(code="CV4").caution == "no deep needling"


def test_an_electrical_adjunct_is_refused_with_an_implanted_device():
    plan = plan_row(intake_patient(concerns={"fine-lines": 7}, implanted_device=True))
    with pytest.raises(IntegrityError, match="electrical adjunct"), transaction.atomic():
        raw_adjunct_item(plan, microcurrent())
    raw_adjunct_item(plan, Adjunct.objects.get(code="gua-sha"))
    assert list(plan.items.values_list("adjunct__code", flat=True)) == ["gua-sha"]


def test_an_adjunct_named_electrical_is_refused_with_an_implanted_device_even_unmarked():
    plan = plan_row(intake_patient(concerns={"fine-lines": 7}, implanted_device=True))
    unmarked = Adjunct.objects.create(code="galvanic", name="Galvanic facial", electrical=False)
    with pytest.raises(IntegrityError, match="electrical adjunct"), transaction.atomic():
        raw_adjunct_item(plan, unmarked)


@pytest.mark.parametrize(
    ("name", "change"),
    [("Lift therapy", "electrical = FALSE"), ("Facial microcurrent", "electrical = FALSE, name = 'Lift'")],
)
def test_an_electrical_adjunct_stays_electrical(name, change):
    adjunct = Adjunct.objects.create(code="lift", name=name, electrical=True)
    with pytest.raises(IntegrityError, match="stays electrical"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE treatments_adjunct SET {change} WHERE id = %s", [adjunct.pk])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE treatments_adjunct SET description = 'lift' WHERE id = %s", [adjunct.pk])


def test_an_electrical_adjunct_is_allowed_without_an_implanted_device():
    plan = plan_row(intake_patient(concerns={"fine-lines": 7}))
    raw_adjunct_item(plan, microcurrent())
    assert plan.items.count() == 1


def test_a_plan_cannot_be_moved_onto_a_screening_that_rules_out_its_adjunct():
    patient = intake_patient(concerns={"fine-lines": 7})
    plan = plan_row(patient)
    raw_adjunct_item(plan, microcurrent())
    device = ScreeningFactory(patient=patient, implanted_device=True)
    # A saved plan is never updated at all (treatments.triggers.HISTORY_TABLES).
    with pytest.raises(IntegrityError, match="clinical history"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE treatments_plan SET screening_id = %s WHERE id = %s", [device.pk, plan.pk])


@pytest.fixture
def device_record(acupuncturist, clinic, traveller):
    patient = intake_patient(concerns={"fine-lines": 7}, implanted_device=True, pregnant_or_trying=True)
    plan = saved_plan(patient, by=acupuncturist)
    visit = book_treatment_series(patient, user=acupuncturist, clinic=clinic).visits.order_by("sequence").first()
    traveller.move_to(at("2026-03-02", "10:30"))
    return SessionRecord.objects.create(
        visit=visit, patient=patient, series=visit.series, plan=plan, screening=patient.screenings.get(),
        recorded_by=acupuncturist, total_needles=40, retention_minutes=25, needles_max=70, retention_max=30,
    )


def test_session_records_refuse_the_same_items_by_raw_sql(device_record):
    cv12 = Point.objects.get(code="CV12")
    with connection.cursor() as cursor:
        for kind, point, adjunct, needles in (("point", cv12.pk, None, 1), ("adjunct", None, microcurrent().pk, 0)):
            with pytest.raises(IntegrityError, match="never used in pregnancy"), transaction.atomic():
                cursor.execute(INSERT_SESSION_ITEM, [device_record.pk, kind, point, adjunct, needles])
    assert not SessionItem.objects.exists()


def test_the_trigger_sql_is_generated_from_the_hard_rules():
    sql = triggers.hard_forbidden("pt")
    assert all(f"'{code}'" in sql for code in hard_rules.PREGNANCY_FORBIDDEN_CODES)
    assert all(f"'%{word}%'" in sql for word in hard_rules.PREGNANCY_FORBIDDEN_REGION_WORDS)
    with pytest.raises(ValueError):
        triggers._checked("CV12'; DROP TABLE treatments_point; --")
