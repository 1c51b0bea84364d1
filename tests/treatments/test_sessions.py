"""Recording a session: prefill, completing the visit in the same transaction, what is refused."""

import pytest
from django.core.exceptions import ValidationError

from patients.intake import screening_record
from scheduling.models import MaintenanceSchedule, Series, Visit
from staff.models import AuditEvent
from tests.factories import ConsentFactory, acupuncturist_user
from tests.scheduling.factories import at
from tests.treatments.factories import ratings_for, record_session, saved_plan
from treatments.models import ConcernRating, Reaction, SessionRecord
from treatments.sessions import ReactionEntry, session_record_save, session_start

pytestmark = pytest.mark.django_db


def visits(series) -> list[Visit]:
    return list(series.visits.order_by("sequence"))


def codes(items) -> list[str]:
    return [item.option.code for item in items]


def test_first_session_is_prefilled_from_the_current_plan(series, plan, traveller):
    traveller.move_to(at("2026-03-02", "10:05"))
    start = session_start(visits(series)[0])
    assert not start.refused
    assert codes(start.prefill) == [item.target_code for item in plan.items.all()]
    assert start.prefill_retention == plan.retention_minutes
    assert "the current plan" in start.prefill_source


def test_next_session_is_prefilled_from_the_last_one_when_it_followed_the_current_plan(series, acupuncturist, traveller):
    first, second = visits(series)[:2]
    traveller.move_to(at("2026-03-02", "10:05"))
    start = session_start(first)
    fewer = start.prefill[:-1]
    record_session(first, by=acupuncturist, items=fewer, retention=22)
    traveller.move_to(at("2026-03-09", "10:05"))
    start = session_start(second)
    assert codes(start.prefill) == codes(fewer)
    assert start.prefill_retention == 22
    assert "the last session" in start.prefill_source
    assert [line.last for line in start.concerns] == [6, 4]  # last ratings: intake 7 and 5, minus 1


def test_a_newer_plan_wins_over_the_last_session(series, patient, acupuncturist, traveller):
    first, second = visits(series)[:2]
    traveller.move_to(at("2026-03-02", "10:05"))
    record_session(first, by=acupuncturist, retention=21)
    traveller.move_to(at("2026-03-09", "09:00"))
    newer = saved_plan(patient, by=acupuncturist)
    traveller.move_to(at("2026-03-09", "10:05"))
    start = session_start(second)
    assert start.prefill_retention == newer.retention_minutes != 21
    assert "the current plan" in start.prefill_source


def test_prefill_leaves_out_what_a_newer_screening_rules_out(series, patient, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:00"))
    screening_record(by=acupuncturist, patient=patient, answers={"pregnant_or_trying": True})
    start = session_start(visits(series)[0])
    assert "LI4" not in codes(start.prefill)
    assert any(d.startswith("LI4 Hegu: avoided in pregnancy") for d in start.dropped)


def test_saving_completes_the_visit_and_advances_the_series(series, patient, acupuncturist, traveller):
    first, second = visits(series)[:2]
    traveller.move_to(at("2026-03-02", "10:40"))
    record = record_session(
        first, by=acupuncturist, reactions=[ReactionEntry("bruising", "mild", "left cheek")], notes="Relaxed."
    )
    first.refresh_from_db()
    assert first.status == Visit.Status.COMPLETED
    assert record.visit == first and record.series == series and record.patient == patient
    assert dict(record.ratings.values_list("concern__code", "rating")) == {"fine-lines": 6, "puffiness": 4}
    assert list(record.reactions.values_list("kind", "severity", "note")) == [("bruising", "mild", "left cheek")]
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE
    assert series.visits.filter(status=Visit.Status.COMPLETED).count() == 1
    assert Visit.objects.get(pk=second.pk).status == Visit.Status.BOOKED
    assert not MaintenanceSchedule.objects.filter(patient=patient).exists()
    assert AuditEvent.objects.filter(object_type="treatments.sessionrecord", action="create", patient_id=patient.pk).exists()


def test_recording_the_last_treatment_completes_the_series_and_starts_maintenance(series, patient, acupuncturist, traveller):
    for week, visit in enumerate(visits(series)):
        traveller.move_to(at(f"2026-03-{2 + 7 * week:02d}" if week < 5 else "2026-04-06", "10:30"))
        record_session(visit, by=acupuncturist)
    series.refresh_from_db()
    assert series.status == Series.Status.COMPLETED
    schedule = MaintenanceSchedule.objects.get(patient=patient)
    assert schedule.since.isoformat() == "2026-04-06"
    assert (schedule.due_on - schedule.since).days == 7 * 5  # the clinic default: 5 weeks
    assert SessionRecord.objects.filter(series=series).count() == 6


def test_a_visit_completed_without_a_record_can_still_get_one(series, acupuncturist, traveller):
    from scheduling.visit_status import visit_complete

    first = visits(series)[0]
    traveller.move_to(at("2026-03-02", "11:00"))
    visit_complete(visit=first, by=acupuncturist)
    record = record_session(first, by=acupuncturist)
    assert record.visit.status == Visit.Status.COMPLETED


def test_nothing_is_saved_when_the_visit_has_not_started(series, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:05"))
    start = session_start(visits(series)[0])
    later = visits(series)[1]
    with pytest.raises(ValidationError, match="has not started yet"):
        session_record_save(
            by=acupuncturist, visit=later, screening=start.ctx.screening, items=start.prefill,
            retention=start.prefill_retention, ratings=ratings_for(later.patient),
        )
    assert not SessionRecord.objects.exists()
    assert Visit.objects.get(pk=later.pk).status == Visit.Status.BOOKED


def test_a_visit_is_recorded_only_once(series, acupuncturist, traveller):
    first = visits(series)[0]
    traveller.move_to(at("2026-03-02", "10:30"))
    record_session(first, by=acupuncturist)
    assert session_start(first).refused == "This visit's session has been recorded already."
    with pytest.raises(ValidationError, match="recorded already"):
        record_session(first, by=acupuncturist)
    assert SessionRecord.objects.count() == 1


def test_a_cancelled_visit_has_no_session(series, acupuncturist, traveller):
    from scheduling.visit_status import visit_cancel

    first = visits(series)[0]
    visit_cancel(visit=first, reason="Unwell", by=acupuncturist)
    traveller.move_to(at("2026-03-02", "10:30"))
    with pytest.raises(ValidationError, match="cancelled: there is no session"):
        record_session(Visit.objects.get(pk=first.pk), by=acupuncturist)


def test_a_patient_without_a_plan_gets_no_session(patient, acupuncturist, clinic, traveller):
    from tests.treatments.factories import book_treatment_series

    series = book_treatment_series(patient, user=acupuncturist, clinic=clinic)
    traveller.move_to(at("2026-03-02", "10:30"))
    assert "make a plan" in session_start(visits(series)[0]).refused


def test_each_concern_must_be_rated_from_0_to_10(series, acupuncturist, traveller):
    first = visits(series)[0]
    traveller.move_to(at("2026-03-02", "10:30"))
    with pytest.raises(ValidationError, match="missing: Puffiness"):
        record_session(first, by=acupuncturist, ratings={"fine-lines": 5})
    with pytest.raises(ValidationError, match="0 to 10"):
        record_session(first, by=acupuncturist, ratings={"fine-lines": 11, "puffiness": 3})
    with pytest.raises(ValidationError, match="patient's own concerns"):
        record_session(first, by=acupuncturist, ratings={"fine-lines": 5, "puffiness": 3, "dullness": 2})
    assert not SessionRecord.objects.exists() and not ConcernRating.objects.exists()


def test_an_other_reaction_must_be_described(series, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:30"))
    with pytest.raises(ValidationError, match="Describe"):
        record_session(visits(series)[0], by=acupuncturist, reactions=[ReactionEntry("other", "moderate", " ")])
    assert not Reaction.objects.exists()


def test_a_screening_recorded_after_the_check_sends_the_acupuncturist_back(series, patient, acupuncturist, traveller):
    first = visits(series)[0]
    traveller.move_to(at("2026-03-02", "10:30"))
    start = session_start(first)
    ConsentFactory(patient=patient)  # unrelated writes do not matter; a new screening does
    screening_record(by=acupuncturist_user(), patient=patient, answers={"diabetes": True})
    with pytest.raises(ValidationError, match="screening has changed"):
        session_record_save(
            by=acupuncturist, visit=first, screening=start.ctx.screening, items=start.prefill,
            retention=start.prefill_retention, ratings=ratings_for(patient),
        )
    assert Visit.objects.get(pk=first.pk).status == Visit.Status.BOOKED


def test_a_late_record_of_an_earlier_visit_is_not_prefilled_from_a_later_session(series, acupuncturist, traveller):
    from scheduling.visit_status import visit_complete

    first, second = visits(series)[:2]
    traveller.move_to(at("2026-03-02", "11:00"))
    visit_complete(visit=first, by=acupuncturist)  # completed without its record
    traveller.move_to(at("2026-03-09", "10:30"))
    record_session(second, by=acupuncturist, retention=21)
    start = session_start(Visit.objects.get(pk=first.pk))
    assert start.last is None and "the current plan" in start.prefill_source
