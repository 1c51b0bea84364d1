"""Plan pages: who may see what, the review → adjust → save flow, the face chart and query counts."""

import re

import pytest
from django.urls import reverse

from staff.models import AuditEvent
from tests.factories import acupuncturist_user, intake_patient
from tests.treatments.factories import saved_plan
from treatments.models import Plan, PlanTemplate
from treatments.services import template_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return intake_patient(concerns={"fine-lines": 7, "puffiness": 5})


@pytest.fixture
def plan(patient):
    return saved_plan(patient, by=acupuncturist_user())


def plan_urls(patient, plan):
    return [
        reverse("treatments:patient_plan", args=[patient.pk]),
        reverse("treatments:plan_new", args=[patient.pk]),
        reverse("treatments:plan_detail", args=[plan.pk]),
        reverse("treatments:template_list"),
    ]


def test_front_desk_gets_403_on_every_plan_page(front_desk_client, patient, plan):
    for url in plan_urls(patient, plan):
        assert front_desk_client.get(url).status_code == 403, url
    assert front_desk_client.post(reverse("treatments:plan_new", args=[patient.pk])).status_code == 403
    assert front_desk_client.post(reverse("treatments:template_new", args=[plan.pk]), {"name": "x"}).status_code == 403


def test_clinic_admin_cannot_read_plans(admin_client_, patient, plan):
    assert admin_client_.get(reverse("treatments:patient_plan", args=[patient.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, patient, plan):
    for url in plan_urls(patient, plan):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_front_desk_sees_only_that_a_plan_exists(front_desk_client, patient, plan):
    page = front_desk_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "A treatment plan is on file" in page
    assert "needles" not in page and "GB14" not in page
    assert reverse("treatments:patient_plan", args=[patient.pk]) not in page


def test_acupuncturist_sees_the_plan_summary_on_the_patient_page(acupuncturist_client, patient, plan):
    page = acupuncturist_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert f"{plan.total_needles} needles" in page
    assert reverse("treatments:patient_plan", args=[patient.pk]) in page


def test_plan_page_explains_each_item_and_draws_the_face_chart(acupuncturist_client, patient, plan):
    response = acupuncturist_client.get(reverse("treatments:patient_plan", args=[patient.pk]))
    page = response.content.decode()
    assert f"{plan.total_needles} needles" in page and f"{plan.retention_minutes} minutes" in page
    assert "Fine lines (7/10)" in page
    assert "<svg" in page and 'role="img"' in page
    # GB14 is bilateral: two marks, mirrored around the middle of the face.
    xs = sorted(float(x) for x in re.findall(r'<circle cx="([\d.]+)" cy="57.0"', page))
    assert xs == [80.8, 119.2]
    assert "Fine lines</li>" in page.replace("\n", "")  # legend
    assert AuditEvent.objects.filter(object_type="treatments.plan", action="view", patient_id=patient.pk).exists()


def test_plan_page_warns_when_a_new_screening_conflicts(acupuncturist_client, patient, acupuncturist):
    plan = saved_plan(intake_patient(concerns={"dullness": 8}), by=acupuncturist)
    from patients.intake import screening_record

    screening_record(by=acupuncturist, patient=plan.patient, answers={"pregnant_or_trying": True})
    page = acupuncturist_client.get(reverse("treatments:patient_plan", args=[plan.patient.pk])).content.decode()
    assert "no longer fits" in page and "in pregnancy" in page


def test_review_adjust_and_save_keeps_history(acupuncturist_client, patient, plan):
    url = reverse("treatments:plan_new", args=[patient.pk])
    form = acupuncturist_client.get(url).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial not in (None, False)}
    data["point_GV20"] = "on"  # add a point the suggestion left out
    data["retention"] = 22
    response = acupuncturist_client.post(url, data)
    assert response.status_code == 302
    new = Plan.objects.filter(patient=patient).first()
    assert new != plan and Plan.objects.filter(patient=patient).count() == 2
    assert new.retention_minutes == 22
    assert new.items.filter(point__code="GV20", reason__startswith="Added by the practitioner").exists()


def test_an_unsafe_adjustment_is_refused_with_the_reason(acupuncturist_client, patient):
    url = reverse("treatments:plan_new", args=[patient.pk])
    response = acupuncturist_client.post(url, {"retention": 45, "point_GB14": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Retention must be 20–30 minutes" in page and "fewer than the usual 40" in page
    assert not Plan.objects.filter(patient=patient).exists()


def test_excluded_points_are_shown_disabled_and_a_posted_one_is_ignored(acupuncturist_client, acupuncturist):
    pregnant = intake_patient(concerns={"fine-lines": 8, "dullness": 8}, pregnant_or_trying=True)
    url = reverse("treatments:plan_new", args=[pregnant.pk])
    response = acupuncturist_client.get(url)
    assert "Ruled out: avoided in pregnancy" in response.content.decode()
    form = response.context["form"]
    assert form.fields["point_LI4"].disabled
    data = {name: field.initial for name, field in form.fields.items() if field.initial not in (None, False)}
    data["point_LI4"] = "on"
    assert acupuncturist_client.post(url, data).status_code == 302
    assert not Plan.objects.get(patient=pregnant).items.filter(point__code="LI4").exists()


def test_blocked_patient_gets_the_reason_and_no_form(acupuncturist_client):
    blocked = intake_patient(concerns={"fine-lines": 8}, facial_wound_or_rash=True)
    response = acupuncturist_client.get(reverse("treatments:plan_new", args=[blocked.pk]))
    page = response.content.decode()
    assert "No plan can be made now" in page and "open wound or rash" in page
    assert "Save as the current plan" not in page


def test_a_template_leaves_out_what_the_screening_excludes(acupuncturist_client, acupuncturist, plan):
    template = template_save(by=acupuncturist, name="Lines", plan=plan)
    assert template.items.count() == plan.items.count()
    pregnant = intake_patient(concerns={"dullness": 8}, pregnant_or_trying=True)
    # The template contains LI4 (fine lines): started from for a pregnant patient, it is dropped.
    assert template.items.filter(point__code="LI4").exists()
    response = acupuncturist_client.get(reverse("treatments:plan_new", args=[pregnant.pk]), {"template": template.pk})
    page = response.content.decode()
    assert "From the template, left out — LI4 Hegu: never needled in pregnancy" in page
    assert not response.context["form"]["point_LI4"].value()


def test_save_as_template_from_the_plan_page(acupuncturist_client, plan):
    response = acupuncturist_client.post(reverse("treatments:template_new", args=[plan.pk]), {"name": "My lines"}, follow=True)
    assert "Saved as the template" in response.content.decode()
    assert PlanTemplate.objects.get(name="My lines").items.count() == plan.items.count()
    page = acupuncturist_client.get(reverse("treatments:template_list")).content.decode()
    assert "My lines" in page


def _count_queries(client, url, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("extra_plans", [0, 6])
def test_plan_page_makes_a_fixed_number_of_queries(acupuncturist_client, acupuncturist, django_assert_num_queries, extra_plans):
    patient = intake_patient(concerns={"fine-lines": 9, "wrinkles": 9, "sagging": 9, "puffiness": 9})
    for _ in range(1 + extra_plans):
        saved_plan(patient, by=acupuncturist)
    # session, user, roles and permissions, patient, plan, items, concerns, history, screening, audit
    _count_queries(acupuncturist_client, reverse("treatments:patient_plan", args=[patient.pk]), django_assert_num_queries, 10)


@pytest.mark.parametrize("extra_concerns", [1, 6])
def test_new_plan_page_makes_a_fixed_number_of_queries(acupuncturist_client, django_assert_num_queries, extra_concerns):
    severities = {"fine-lines": 5, "wrinkles": 6, "sagging": 7, "puffiness": 8, "dullness": 4, "discoloration": 3}
    concerns = dict(list(severities.items())[:extra_concerns])
    patient = intake_patient(concerns=concerns)
    # session, user, roles and permissions, patient, screening, settings, severities, concerns,
    # catalogue (4), audit, templates
    _count_queries(acupuncturist_client, reverse("treatments:plan_new", args=[patient.pk]), django_assert_num_queries, 14)


@pytest.mark.parametrize("plans", [1, 5])
def test_patient_page_plan_section_is_one_query(front_desk_client, acupuncturist, django_assert_num_queries, plans):
    patient = intake_patient()
    for _ in range(plans):
        saved_plan(patient, by=acupuncturist)
    url = reverse("patients:detail", args=[patient.pk])
    front_desk_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        front_desk_client.get(url)
    assert sum("treatments_plan" in q["sql"] for q in ctx.captured_queries) == 1


def test_an_earlier_plan_is_marked_as_not_current(acupuncturist_client, acupuncturist, patient, plan):
    saved_plan(patient, by=acupuncturist)
    page = acupuncturist_client.get(reverse("treatments:plan_detail", args=[plan.pk])).content.decode()
    assert "Earlier plan (not current)" in page
    assert page.count("<li>") >= 2  # the history lists both plans


def test_patient_without_a_plan_is_offered_the_suggestion(acupuncturist_client, patient):
    page = acupuncturist_client.get(reverse("treatments:patient_plan", args=[patient.pk])).content.decode()
    assert "has no treatment plan yet" in page
    assert reverse("treatments:plan_new", args=[patient.pk]) in page


def test_visit_page_offers_the_session_record_to_acupuncturists_only(client, series, acupuncturist, front_desk,
                                                                      traveller):
    from django.urls import reverse

    from tests.scheduling.factories import at

    traveller.move_to(at("2026-03-02", "10:05"))  # the visit has begun
    visit = series.visits.order_by("sequence").first()
    record_url = reverse("treatments:session_new", args=[visit.pk])
    client.force_login(acupuncturist)
    assert record_url in client.get(reverse("scheduling:visit", args=[visit.pk])).content.decode()
    client.force_login(front_desk)
    assert record_url not in client.get(reverse("scheduling:visit", args=[visit.pk])).content.decode()


def test_a_plan_short_of_the_minimum_says_why_and_saves_only_when_the_practitioner_chooses(acupuncturist_client):
    patient = intake_patient(concerns={"puffiness": 8}, bleeding_risk=True)
    url = reverse("treatments:plan_new", args=[patient.pk])
    response = acupuncturist_client.get(url)
    page = response.content.decode()
    assert 'id="shortfall"' in page and "the screening rules out points near the eye (bleeding risk)" in page
    form = response.context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial not in (None, False)}
    data["acknowledge"] = "on"
    refused = acupuncturist_client.post(url, data)
    assert refused.status_code == 400 and "fewer than the usual 40" in refused.content.decode()
    assert acupuncturist_client.post(url, {**data, "fewer_needles": "on"}).status_code == 302
    assert Plan.objects.get(patient=patient).fewer_needles


def test_the_plan_form_shows_every_problem_at_once_on_the_first_submit(acupuncturist_client, patient):
    url = reverse("treatments:plan_new", args=[patient.pk])
    form = acupuncturist_client.get(url).context["form"]
    pattern = next(name for name in form.fields if name.startswith("pattern_") and not form.fields[name].disabled)
    # Retention left empty and a line count above its field's maximum (the form's own errors),
    # and too few needles (the plan's rule): all on the first submit, at the top, nothing saved.
    response = acupuncturist_client.post(url, {"retention": "", "point_GB14": "on", pattern: 999})
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[page.index("data-error-summary"):]
    summary = summary[:summary.index("</div>")]
    assert "This field is required" in summary
    assert "less than or equal to" in summary
    assert "fewer than the usual 40" in summary
    assert 'href="#id_retention"' in summary and f'href="#id_{pattern}"' in summary
    assert not Plan.objects.filter(patient=patient).exists()


def test_submitting_the_plan_page_twice_saves_one_plan_and_says_so(acupuncturist_client, patient):
    url = reverse("treatments:plan_new", args=[patient.pk])
    page = acupuncturist_client.get(url)
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial not in (None, False)}
    data["once-form_key"] = str(page.context["once_form"]["form_key"].value())
    first = acupuncturist_client.post(url, data)
    second = acupuncturist_client.post(url, data)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert Plan.objects.filter(patient=patient).count() == 1
    assert "Already saved" in acupuncturist_client.get(second.url).content.decode()


def test_saving_a_plan_as_a_template_twice_saves_one_and_is_no_name_clash(acupuncturist_client, plan):
    page = acupuncturist_client.get(reverse("treatments:plan_detail", args=[plan.pk]))
    key = page.context["once_form"]["form_key"].value()
    url = reverse("treatments:template_new", args=[plan.pk])
    acupuncturist_client.post(url, {"name": "Forehead lines", "once-form_key": str(key)})
    second = acupuncturist_client.post(url, {"name": "Forehead lines", "once-form_key": str(key)}, follow=True)
    assert PlanTemplate.objects.count() == 1
    page = second.content.decode()
    assert "Already saved" in page and "exists already" not in page
