"""Session pages: who may open them, the screening check, recording, the today list, query counts."""

import datetime as dt

import pytest
from django.urls import reverse

from patients.intake import screening_record
from patients.models import Screening
from scheduling.models import Visit
from staff.models import AuditEvent
from tests.factories import ScreeningFactory, intake_patient, screening_post
from tests.scheduling.factories import at
from tests.treatments.factories import book_treatment_series, record_session, saved_plan
from treatments.addenda import addendum_add
from treatments.models import SessionRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(series, traveller):
    traveller.move_to(at("2026-03-02", "10:10"))
    return series.visits.get(sequence=1)


@pytest.fixture
def record(visit, acupuncturist):
    return record_session(visit, by=acupuncturist)


def form_data(response) -> dict:
    """What the browser would post back: every prefilled value of the record form."""
    form = response.context["form"]
    data = {"screening": response.context["start"].ctx.screening.pk}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value in (None, False, ""):
            continue
        data[name] = "on" if value is True else value
    return data


def clinical_urls(visit, record, series, patient):
    return [
        reverse("treatments:today"),
        reverse("treatments:session_new", args=[visit.pk]),
        reverse("treatments:session_detail", args=[record.pk]),
        reverse("treatments:patient_sessions", args=[patient.pk]),
        reverse("treatments:series_outcomes", args=[series.pk]),
        reverse("treatments:photo_compare", args=[patient.pk]),
    ]


def test_front_desk_cannot_open_records_notes_outcomes_or_photos(front_desk_client, visit, record, series, patient):
    for url in clinical_urls(visit, record, series, patient):
        assert front_desk_client.get(url).status_code == 403, url
    for url in (
        reverse("treatments:session_new", args=[visit.pk]),
        reverse("treatments:session_screening", args=[visit.pk]),
        reverse("treatments:photo_new", args=[record.pk]),
    ):
        assert front_desk_client.post(url, {"confirm": "1"}).status_code == 403, url


def test_front_desk_does_not_see_the_session_section_of_the_patient_page(front_desk_client, record, patient):
    page = front_desk_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Sessions and outcomes" not in page and reverse("treatments:patient_sessions", args=[patient.pk]) not in page
    assert "Today" not in front_desk_client.get(reverse("home")).content.decode()


def test_clinic_admin_cannot_open_clinical_records(admin_client_, visit, record, series, patient):
    for url in clinical_urls(visit, record, series, patient):
        assert admin_client_.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login_page(client, visit, record, series, patient):
    for url in clinical_urls(visit, record, series, patient):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_the_record_starts_with_the_screening_check(acupuncturist_client, visit, patient):
    url = reverse("treatments:session_new", args=[visit.pk])
    page = acupuncturist_client.get(url).content.decode()
    assert "Latest screening" in page and "Nothing has changed" in page
    assert "Save the session" not in page
    screening = patient.screenings.get()
    response = acupuncturist_client.post(
        reverse("treatments:session_screening", args=[visit.pk]), {"confirm": "1", "screening": screening.pk}
    )
    assert response.status_code == 302 and response.url == f"{url}?screening={screening.pk}"
    assert AuditEvent.objects.filter(object_type="patients.screening", summary="confirmed unchanged at the visit").exists()


def test_confirmed_screening_opens_the_prefilled_record_and_saving_completes_the_visit(
    acupuncturist_client, visit, patient, plan
):
    url = reverse("treatments:session_new", args=[visit.pk])
    response = acupuncturist_client.get(url, {"screening": patient.screenings.get().pk})
    page = response.content.decode()
    assert "session 1 of 6" in page and "Prefilled from the current plan" in page
    data = form_data(response)
    assert data["retention"] == plan.retention_minutes
    data.update({"rating_fine-lines": 5, "rating_puffiness": 3, "reaction_bruising": "mild", "notes": "Slept well"})
    response = acupuncturist_client.post(url, data)
    record = SessionRecord.objects.get(visit=visit)
    assert response.status_code == 302 and response.url == reverse("treatments:session_detail", args=[record.pk])
    assert record.total_needles == plan.total_needles and record.notes == "Slept well"
    assert Visit.objects.get(pk=visit.pk).status == Visit.Status.COMPLETED
    page = acupuncturist_client.get(response.url).content.decode()
    assert "Session 1 of 6 is done" in page and "Bruising (mild)" in page
    # The page of a recorded visit now leads to its record.
    assert acupuncturist_client.get(url).url == response.url


def test_a_refused_record_keeps_the_page_and_says_why(acupuncturist_client, visit, patient):
    url = reverse("treatments:session_new", args=[visit.pk])
    response = acupuncturist_client.get(url, {"screening": patient.screenings.get().pk})
    data = {**form_data(response), "rating_fine-lines": 5, "rating_puffiness": 4, "retention": 45}
    response = acupuncturist_client.post(url, data)
    assert response.status_code == 400
    assert "Retention must be 1–30 minutes, not 45" in response.content.decode()
    del data["rating_puffiness"]
    response = acupuncturist_client.post(url, {**data, "retention": 25})
    assert response.status_code == 400 and response.context["form"].errors["rating_puffiness"]
    assert not SessionRecord.objects.exists()


def test_a_new_screening_that_blocks_treatment_stops_the_record_with_the_reason(acupuncturist_client, visit, patient):
    old = patient.screenings.get()
    response = acupuncturist_client.post(
        reverse("treatments:session_screening", args=[visit.pk]), screening_post(active_skin_infection=True)
    )
    new = patient.screenings.exclude(pk=old.pk).get()
    assert response.status_code == 302 and response.url.endswith(f"?screening={new.pk}")
    page = acupuncturist_client.get(response.url).content.decode()
    assert "treatment is stopped" in page and "active skin infection on the face" in page
    assert "Save the session" not in page and "Nothing has changed" not in page
    # A record posted against the screening confirmed before is refused too.
    response = acupuncturist_client.post(
        reverse("treatments:session_new", args=[visit.pk]), {"screening": old.pk, "retention": 25}
    )
    assert response.status_code == 409
    assert not SessionRecord.objects.exists() and Visit.objects.get(pk=visit.pk).status == Visit.Status.BOOKED


def test_a_new_screening_that_still_allows_treatment_continues_to_the_record(acupuncturist_client, visit, patient):
    response = acupuncturist_client.post(
        reverse("treatments:session_screening", args=[visit.pk]), screening_post(pregnant_or_trying=True)
    )
    page = acupuncturist_client.get(response.url).content.decode()
    assert "Save the session and complete the visit" in page
    assert "LI4 Hegu: never needled in pregnancy" in page  # left out of the plan's prefill, with why


def test_notes_are_shown_escaped(acupuncturist_client, visit, acupuncturist):
    record = record_session(visit, by=acupuncturist, notes="<script>alert(1)</script>")
    page = acupuncturist_client.get(reverse("treatments:session_detail", args=[record.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert AuditEvent.objects.filter(object_type="treatments.sessionrecord", action="view", object_id=str(record.pk)).exists()


def test_a_future_visit_cannot_be_recorded_yet(acupuncturist_client, series, traveller):
    later = series.visits.get(sequence=2)
    traveller.move_to(at("2026-03-02", "10:10"))
    response = acupuncturist_client.get(reverse("treatments:session_new", args=[later.pk]))
    assert response.status_code == 409 and "has not started yet" in response.content.decode()


def test_today_lists_the_acupuncturists_own_visits_with_progress_alerts_and_the_record_link(
    acupuncturist_client, acupuncturist, clinic, series, traveller
):
    other = intake_patient(concerns={"dullness": 6}, bleeding_risk=True, medications="Warfarin 5 mg")
    saved_plan(other, by=acupuncturist)
    traveller.move_to(at("2026-02-20", "09:00"))  # booked the week before it started
    book_treatment_series(other, user=acupuncturist, clinic=clinic, time="14:00", first_day="2026-02-23")
    colleague_patient = intake_patient()
    from tests.scheduling.factories import book_series, practitioner

    book_series(patient=colleague_patient, practitioner=practitioner(), clinic=clinic, first_day="2026-03-02", time="10:00")
    traveller.move_to(at("2026-03-02", "10:10"))
    response = acupuncturist_client.get(reverse("treatments:today"))
    page = response.content.decode()
    assert [row.visit.patient for row in response.context["rows"]] == [series.patient, other]
    assert "1 of 6" in page and "2 of 6" in page
    assert "bleeding disorder, or anticoagulant/antiplatelet medication" in page and "Warfarin 5 mg" in page
    assert reverse("treatments:session_new", args=[series.visits.get(sequence=1).pk]) in page
    assert colleague_patient.full_name not in page


def test_patient_page_links_an_acupuncturist_to_sessions_and_outcomes(acupuncturist_client, record, patient, series):
    page = acupuncturist_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "1 session recorded" in page
    page = acupuncturist_client.get(reverse("treatments:patient_sessions", args=[patient.pk])).content.decode()
    assert reverse("treatments:session_detail", args=[record.pk]) in page
    assert reverse("treatments:series_outcomes", args=[series.pk]) in page


# --- Query counts ------------------------------------------------------------------------------
def _queries(client, url, django_assert_num_queries, expected, **params):
    with django_assert_num_queries(expected):
        assert client.get(url, params).status_code == 200


@pytest.mark.parametrize("patients", [1, 4])
def test_today_makes_a_fixed_number_of_queries(
    acupuncturist_client, acupuncturist, clinic, traveller, django_assert_num_queries, patients
):
    for index in range(patients):
        patient = intake_patient(concerns={"fine-lines": 6})
        saved_plan(patient, by=acupuncturist)
        book_treatment_series(patient, user=acupuncturist, clinic=clinic, time=f"{10 + index}:00")
    traveller.move_to(at("2026-03-02", "09:00"))
    # session, user, roles and permissions, visits with their screening/record/plan, latest
    # screenings, one audit insert for the whole list
    _queries(acupuncturist_client, reverse("treatments:today"), django_assert_num_queries, 6)
    from staff.models import AuditEvent

    assert AuditEvent.objects.filter(action="view", user=acupuncturist, object_type="patients.screening").count() == patients


@pytest.mark.parametrize("sessions_before", [0, 3])
def test_record_form_makes_a_fixed_number_of_queries(
    acupuncturist_client, acupuncturist, series, patient, traveller, django_assert_num_queries, sessions_before
):
    visits = list(series.visits.order_by("sequence"))
    for week in range(sessions_before):
        traveller.move_to(at(f"2026-03-{2 + 7 * week:02d}", "10:10"))
        record_session(visits[week], by=acupuncturist)
    traveller.move_to(at(f"2026-03-{2 + 7 * sessions_before:02d}", "10:10"))
    url = reverse("treatments:session_new", args=[visits[sessions_before].pk])
    # session, user, roles and permissions, visit; screening, settings, severities, concerns,
    # catalogue (4); plan, last record, its ratings, has-record; plan concerns, prefill items; audit
    _queries(acupuncturist_client, url, django_assert_num_queries, 20, screening=patient.screenings.get().pk)


@pytest.mark.parametrize("sessions", [1, 4])
def test_record_and_sessions_pages_make_a_fixed_number_of_queries(
    acupuncturist_client, acupuncturist, series, patient, traveller, django_assert_num_queries, sessions
):
    visits = list(series.visits.order_by("sequence"))
    for week in range(sessions):
        traveller.move_to(at(f"2026-03-{2 + 7 * week:02d}", "10:10"))
        record = record_session(visits[week], by=acupuncturist)
        for number in range(sessions):
            addendum_add(by=acupuncturist, record=record, text=f"Addendum {number}")
    # session, user, roles and permissions, record; items, plan concerns, photo consent, audit,
    # ratings, reactions, addenda, photos, concern names
    _queries(acupuncturist_client, reverse("treatments:session_detail", args=[record.pk]), django_assert_num_queries, 13)
    # session, user, roles and permissions, patient, records, series, waiting visits, audit
    _queries(acupuncturist_client, reverse("treatments:patient_sessions", args=[patient.pk]), django_assert_num_queries, 8)


def test_today_shows_why_a_patients_treatment_is_blocked(acupuncturist_client, acupuncturist, clinic, traveller):
    blocked = intake_patient(concerns={"dullness": 6})
    saved_plan(blocked, by=acupuncturist)
    book_treatment_series(blocked, user=acupuncturist, clinic=clinic)
    from patients.intake import screening_record

    screening_record(by=acupuncturist, patient=blocked, answers={"active_skin_infection": True})
    page = acupuncturist_client.get(reverse("treatments:today")).content.decode()
    assert "Facial treatment is blocked: active skin infection on the face" in page


def test_an_invalid_new_screening_is_refused_with_its_message(acupuncturist_client, visit, patient):
    response = acupuncturist_client.post(
        reverse("treatments:session_screening", args=[visit.pk]), {**screening_post(), "s-botox_on": "2026-03-01"}
    )
    assert response.status_code == 400
    assert "Tick the treated areas" in response.content.decode()
    assert patient.screenings.count() == 1


@pytest.mark.parametrize("screenings", [1, 4])
def test_screening_check_page_makes_a_fixed_number_of_queries(
    acupuncturist_client, acupuncturist, visit, patient, django_assert_num_queries, screenings
):
    from patients.intake import screening_record

    for _ in range(screenings - 1):
        screening_record(by=acupuncturist, patient=patient, answers={"diabetes": True})
    # session, user, roles and permissions, visit; the record page's reads (screening, settings,
    # severities, concerns, catalogue (4), plan, last record, its ratings, has-record, plan
    # concerns, prefill items); audit
    _queries(acupuncturist_client, reverse("treatments:session_new", args=[visit.pk]), django_assert_num_queries, 20)


def test_an_unanswered_screening_at_the_session_check_is_refused(acupuncturist_client, visit, patient):
    response = acupuncturist_client.post(
        reverse("treatments:session_screening", args=[visit.pk]), {"csrfmiddlewaretoken": "the only field"}
    )
    assert response.status_code == 400 and "Answer Yes or No." in response.content.decode()
    assert patient.screenings.count() == 1


def test_a_refused_screening_at_the_session_check_offers_to_confirm_only_the_answers_that_were_yes(
    acupuncturist_client, visit, patient, acupuncturist
):
    screening_record(by=acupuncturist, patient=patient, answers={
        **{name: False for name in Screening.FLAG_FIELDS}, "severe_migraines": True,
    })
    response = acupuncturist_client.post(
        reverse("treatments:session_screening", args=[visit.pk]), screening_post(severe_migraines=False)
    )
    page = response.content.decode()
    assert response.status_code == 400 and "Tick each one to confirm it with the patient" in page
    assert page.count('name="s-confirmed_no"') == 1 and 'value="severe_migraines"' in page


def test_a_screening_the_patient_reported_online_is_flagged_on_today_and_in_the_session_check(
    acupuncturist_client, visit, patient
):
    flag = "Reported by the patient (online intake)"
    today = reverse("treatments:today")
    check = reverse("treatments:session_new", args=[visit.pk])  # shows the screening check first
    assert flag not in acupuncturist_client.get(today).content.decode()  # staff recorded it
    assert flag not in acupuncturist_client.get(check).content.decode()
    before = Screening.objects.latest_for(patient)  # write-once: the patient's answers are a newer screening
    ScreeningFactory(patient=patient, source=Screening.Source.PATIENT_INTAKE,
                     answered_at=before.answered_at + dt.timedelta(seconds=1))
    assert flag in acupuncturist_client.get(today).content.decode()
    assert flag in acupuncturist_client.get(check).content.decode()


def test_the_record_form_shows_every_problem_at_once_on_the_first_submit(acupuncturist_client, visit, patient):
    url = reverse("treatments:session_new", args=[visit.pk])
    response = acupuncturist_client.get(url, {"screening": patient.screenings.get().pk})
    data = {**form_data(response), "rating_fine-lines": 5, "retention": "", "reaction_other": "mild",
            "reaction_other_note": ""}
    # A needle count above today's cap, besides the form's own errors (retention, a missing rating).
    pattern = next(name for name, field in response.context["form"].fields.items()
                   if name.startswith("pattern_") and not field.disabled)
    data[pattern] = response.context["form"].fields[pattern].max_value
    for name, field in response.context["form"].fields.items():
        if name.startswith("point_") and not field.disabled:
            data[name] = "on"
    response = acupuncturist_client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[page.index("data-error-summary"):]
    summary = summary[:summary.index("</div>")]
    assert 'href="#id_retention"' in summary and 'href="#id_rating_puffiness"' in summary
    assert "Describe the “other” reaction." in summary
    assert "needles; at most" in summary
    assert not SessionRecord.objects.exists() and Visit.objects.get(pk=visit.pk).status != Visit.Status.COMPLETED


def test_submitting_the_record_twice_saves_one_record_and_shows_it(acupuncturist_client, visit, patient):
    url = reverse("treatments:session_new", args=[visit.pk])
    response = acupuncturist_client.get(url, {"screening": patient.screenings.get().pk})
    data = {**form_data(response), "rating_fine-lines": 5, "rating_puffiness": 3,
            "once-form_key": str(response.context["once_form"]["form_key"].value())}
    first = acupuncturist_client.post(url, data)
    second = acupuncturist_client.post(url, data)
    record = SessionRecord.objects.get()
    assert first.url == second.url == reverse("treatments:session_detail", args=[record.pk])
