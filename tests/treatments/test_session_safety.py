"""The plan's safety rules hold for session records: through the service, the ORM and raw SQL."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, NotSupportedError, connection, transaction

from patients.intake import screening_record
from scheduling.models import Visit
from tests.factories import intake_patient
from tests.scheduling.factories import at
from tests.treatments.factories import book_treatment_series, record_session, saved_plan
from treatments.catalogue import load_options
from treatments.models import Point, SessionItem, SessionRecord
from treatments.rules import Chosen
from treatments.sessions import session_start

pytestmark = pytest.mark.django_db


def options() -> dict:
    return {option.code: option for option in load_options()}


def first_visit(series) -> Visit:
    return series.visits.order_by("sequence").first()


@pytest.fixture
def pregnant_visit(acupuncturist, clinic, traveller):
    patient = intake_patient(concerns={"fine-lines": 7}, pregnant_or_trying=True)
    saved_plan(patient, by=acupuncturist)
    visit = first_visit(book_treatment_series(patient, user=acupuncturist, clinic=clinic))
    traveller.move_to(at("2026-03-02", "10:30"))
    return visit


def test_a_pregnant_patients_record_cannot_contain_a_cautioned_point(pregnant_visit, acupuncturist):
    start = session_start(pregnant_visit)
    with pytest.raises(ValidationError, match="LI4 Hegu cannot be used: never needled in pregnancy"):
        record_session(pregnant_visit, by=acupuncturist, items=[*start.prefill, Chosen(options()["LI4"], 2)])
    assert not SessionRecord.objects.exists()
    assert Visit.objects.get(pk=pregnant_visit.pk).status == Visit.Status.BOOKED


def test_bleeding_risk_caps_the_needles_and_rules_out_cupping(acupuncturist, clinic, traveller):
    patient = intake_patient(concerns={"fine-lines": 9, "sagging": 9}, bleeding_risk=True)
    saved_plan(patient, by=acupuncturist)
    visit = first_visit(book_treatment_series(patient, user=acupuncturist, clinic=clinic))
    traveller.move_to(at("2026-03-02", "10:30"))
    start = session_start(visit)
    assert start.limits.needles_max == 46
    extra = [o for code, o in options().items() if o.kind == "point" and code not in {i.option.code for i in start.prefill}
             and not o.avoid_in_pregnancy]
    too_many = list(start.prefill)
    while sum(i.needles for i in too_many) <= 46:
        option = extra.pop()
        too_many.append(Chosen(option, option.needles_max))
    with pytest.raises(ValidationError, match="at most 46 are allowed"):
        record_session(visit, by=acupuncturist, items=too_many)
    with pytest.raises(ValidationError, match="bleeding risk: suction bruises"):
        record_session(visit, by=acupuncturist, items=[*start.prefill, Chosen(options()["cupping"], 0)])
    assert not SessionRecord.objects.exists()


def test_a_screening_that_blocks_treatment_stops_the_record(series, patient, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:10"))
    screening_record(by=acupuncturist, patient=patient, answers={"facial_wound_or_rash": True})
    start = session_start(first_visit(series))
    assert start.blocked == [
        "Facial treatment is blocked: open wound or rash on the face. Record a new screening once it has cleared."
    ]
    with pytest.raises(ValidationError, match="Facial treatment is blocked"):
        record_session(first_visit(series), by=acupuncturist, items=[Chosen(options()["ST36"], 2)])
    assert not SessionRecord.objects.exists()


def test_maxima_are_safety_but_a_session_stopped_early_is_recorded_as_it_happened(series, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:30"))
    visit = first_visit(series)
    with pytest.raises(ValidationError, match="Retention must be 1–30 minutes, not 35"):
        record_session(visit, by=acupuncturist, retention=35)
    short = record_session(visit, by=acupuncturist, items=session_start(visit).prefill[:3], retention=8)
    assert short.total_needles < 40 and short.retention_minutes == 8


# --- The model layer: no ORM path around the rules --------------------------------------------------
def _record_row(visit, **overrides) -> SessionRecord:
    """A SessionRecord row that passes every whole-record rule for the visit (no items yet)."""
    from treatments.models import Plan

    data = dict(
        visit=visit,
        patient=visit.patient,
        series=visit.series,
        plan=Plan.objects.filter(patient=visit.patient).first(),
        screening=visit.patient.screenings.order_by("-answered_at").first(),
        recorded_by=visit.practitioner.user,
        total_needles=40,
        retention_minutes=25,
        needles_max=70,
        retention_max=30,
    )
    return SessionRecord.objects.create(**{**data, **overrides})


@pytest.mark.parametrize("code", ["LI4", "SP6", "BL60", "BL67", "GB21", "CV4"])
def test_orm_save_of_a_pregnancy_cautioned_session_item_raises(pregnant_visit, code):
    record = _record_row(pregnant_visit)
    point = Point.objects.get(code=code)
    with pytest.raises(ValidationError, match="pregnancy"):
        SessionItem.objects.create(record=record, kind="point", point=point, needles=point.needles, position=0)
    assert not SessionItem.objects.exists()


def test_orm_save_of_a_record_against_an_old_or_blocking_screening_raises(series, patient, acupuncturist, traveller):
    visit = first_visit(series)
    old = patient.screenings.get()
    traveller.move_to(at("2026-03-02", "10:10"))
    screening_record(by=acupuncturist, patient=patient, answers={"active_skin_infection": True})
    with pytest.raises(ValidationError, match="newer screening"):
        _record_row(visit, screening=old)
    with pytest.raises(ValidationError, match="Facial treatment is blocked"):
        _record_row(visit)
    assert not SessionRecord.objects.exists()


def test_orm_save_with_limits_other_than_the_rules_raises(series, traveller):
    with pytest.raises(ValidationError, match="limits must be those of the rules"):
        _record_row(first_visit(series), needles_max=90)


def test_bulk_and_in_place_writes_of_records_are_refused(series, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:30"))
    record = record_session(first_visit(series), by=acupuncturist)
    with pytest.raises(NotSupportedError):
        SessionRecord.objects.filter(pk=record.pk).update(total_needles=90)
    with pytest.raises(NotSupportedError):
        SessionItem.objects.bulk_create(
            [SessionItem(record=record, kind="point", point=Point.objects.get(code="LI4"), needles=2, position=9)]
        )
    with pytest.raises(ValidationError, match="never changed"):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()


def test_the_database_refuses_a_cautioned_point_in_a_pregnant_patients_record_even_by_raw_sql(pregnant_visit):
    record = _record_row(pregnant_visit)
    li4 = Point.objects.get(code="LI4")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO treatments_sessionitem (record_id, kind, point_id, needles, position) VALUES (%s, 'point', %s, 2, 0)",
            [record.pk, li4.pk],
        )
    assert not SessionItem.objects.exists()


def test_the_database_refuses_a_record_against_a_blocking_screening_even_by_raw_sql(series, patient, acupuncturist, traveller):
    record = _record_row(first_visit(series))
    traveller.move_to(at("2026-03-02", "10:10"))
    blocking = screening_record(by=acupuncturist, patient=patient, answers={"facial_wound_or_rash": True})
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE treatments_sessionrecord SET screening_id = %s WHERE id = %s", [blocking.pk, record.pk])
