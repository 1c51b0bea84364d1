import datetime as dt

import pytest
from django.urls import reverse

from patients.models import Consent, Patient, Screening
from staff.models import AuditEvent
from tests.factories import PatientFactory, intake_patient, screening_post

pytestmark = pytest.mark.django_db


def intake_post(**overrides):
    data = {
        "p-first_name": "Ada",
        "p-last_name": "Lovelace",
        "p-date_of_birth": "1985-12-10",
        "p-email": "ada@example.com",
        "p-phone": "07700 900123",
        "p-preferred_contact": "email",
        "p-reminder_consent": "on",
        "c-concern_fine-lines": "7",
        "c-concern_puffiness": "4",
        **screening_post(bleeding_risk=True),
        "k-treatment_consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_front_desk_registers_a_patient(front_desk_client):
    response = front_desk_client.post(reverse("patients:intake"), intake_post())
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("patients:detail", args=[patient.pk])
    assert patient.screenings.get().bleeding_risk
    assert patient.concerns.count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"p-date_of_birth": "2099-01-01"}, "cannot be in the future"),
        ({"p-email": "ada@@example"}, "valid e-mail"),
        ({"p-phone": "call after 5"}, "can be dialled"),
        ({"p-date_of_birth": "2015-05-05"}, "under 18"),
        ({"k-treatment_consent": None}, "without the patient&#x27;s signed consent"),
        ({"c-concern_fine-lines": "11"}, "less than or equal to 10"),
        ({"c-concern_fine-lines": None, "c-concern_puffiness": None}, "at least one concern"),
    ],
)
def test_bad_intake_shows_a_clear_message_and_saves_nothing(front_desk_client, overrides, message):
    response = front_desk_client.post(reverse("patients:intake"), intake_post(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing has been saved" in response.content.decode()
    assert Patient.objects.count() == Screening.objects.count() == Consent.objects.count() == 0


def test_probable_duplicate_is_shown_before_a_second_record_is_created(front_desk_client):
    existing = PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=dt.date(1985, 12, 10))
    response = front_desk_client.post(reverse("patients:intake"), intake_post(**{"p-email": "other@example.com"}))
    assert response.status_code == 400
    assert reverse("patients:detail", args=[existing.pk]) in response.content.decode()
    assert Patient.objects.count() == 1

    confirmed = front_desk_client.post(
        reverse("patients:intake"), intake_post(**{"p-email": "other@example.com", "d-confirm_new": "on"})
    )
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_new_screening_keeps_the_earlier_one(front_desk_client):
    patient = intake_patient()
    first = patient.screenings.get()
    response = front_desk_client.post(
        reverse("patients:screening_new", args=[patient.pk]), screening_post(pregnant_or_trying=True)
    )
    assert response.status_code == 302
    assert patient.screenings.count() == 2
    first.refresh_from_db()
    assert first.pregnant_or_trying is False
    assert patient.screenings.order_by("-answered_at", "-id").first().pregnant_or_trying is True


def test_new_screening_asks_each_procedure_with_its_areas_and_metal_allergy(front_desk_client):
    patient = intake_patient()
    url = reverse("patients:screening_new", args=[patient.pk])
    page = front_desk_client.get(url).content.decode()
    for label in ("date of the last Botox", "Dermal filler areas", "Laser or peel areas", "Cosmetic surgery areas",
                  "Between the brows", "Nasolabial folds", "metal (nickel) allergy"):
        assert label.lower() in page.lower()
    response = front_desk_client.post(url, {
        **screening_post(metal_allergy=True),
        "s-botox_on": "2026-01-10", "s-botox_areas": ["glabella"],
        "s-filler_on": "2026-01-12", "s-filler_areas": ["nasolabial", "perioral"],
        "s-laser_peel_on": "2025-12-01", "s-laser_peel_areas": ["cheek"],
    })
    assert response.status_code == 302
    latest = Screening.objects.latest_for(patient)
    assert (latest.botox_on, latest.botox_areas) == (dt.date(2026, 1, 10), ["glabella"])
    assert (latest.filler_on, latest.filler_areas) == (dt.date(2026, 1, 12), ["nasolabial", "perioral"])
    assert latest.laser_peel_areas == ["cheek"] and latest.surgery_on is None and latest.metal_allergy
    assert "dermal filler on 12 Jan 2026 (nasolabial folds, around the mouth / lips)" in latest.positive_answers()


def test_a_procedure_area_without_its_date_is_refused(front_desk_client):
    patient = intake_patient()
    response = front_desk_client.post(
        reverse("patients:screening_new", args=[patient.pk]), {**screening_post(), "s-surgery_areas": ["chin"]}
    )
    assert response.status_code == 200 and "Give the date of the treatment" in response.content.decode()
    assert patient.screenings.count() == 1


def test_editing_details_with_bad_email_changes_nothing(front_desk_client):
    patient = PatientFactory(email="keep@example.com")
    response = front_desk_client.post(
        reverse("patients:edit", args=[patient.pk]),
        {"p-first_name": "New", "p-last_name": patient.last_name, "p-date_of_birth": "1980-01-01",
         "p-email": "broken", "p-preferred_contact": "email"},
    )
    assert response.status_code == 200
    assert "valid e-mail" in response.content.decode()
    patient.refresh_from_db()
    assert patient.email == "keep@example.com" and patient.first_name != "New"


def test_withdrawing_reminder_consent_is_dated(front_desk_client):
    patient = PatientFactory(reminder_consent=True)
    front_desk_client.post(
        reverse("patients:edit", args=[patient.pk]),
        {"p-first_name": patient.first_name, "p-last_name": patient.last_name, "p-date_of_birth": "1980-01-01",
         "p-email": patient.email, "p-preferred_contact": "email"},
    )
    patient.refresh_from_db()
    assert patient.reminder_consent is False
    assert patient.reminder_consent_changed_at is not None


def test_photo_consent_can_be_withdrawn(front_desk_client):
    patient = intake_patient(photos=True)
    front_desk_client.post(reverse("patients:consent", args=[patient.pk]), {"kind": "photos", "given": "0"})
    latest = patient.consents.filter(kind="photos").order_by("-recorded_at", "-id").first()
    assert latest.given is False
    assert patient.consents.filter(kind="photos").count() == 2


def test_patient_page_summarises_the_record_and_is_audited(front_desk_client, front_desk):
    patient = intake_patient(concerns={"wrinkles": 8}, pregnant_or_trying=True)
    response = front_desk_client.get(reverse("patients:detail", args=[patient.pk]))
    body = response.content.decode()
    assert "Wrinkles" in body and "8/10" in body
    assert "Pregnant or trying to conceive" in body
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="view", user=front_desk).count() == 1


def test_notes_are_escaped(front_desk_client):
    patient = intake_patient(notes="<script>alert(1)</script>")
    body = front_desk_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_search_page_finds_patient(front_desk_client):
    PatientFactory(first_name="Grace", last_name="Hopper")
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")
    body = front_desk_client.get(reverse("patients:list"), {"q": "lovelace"}).content.decode()
    assert reverse("patients:detail", args=[ada.pk]) in body
    assert "Hopper" not in body


@pytest.mark.parametrize("extra", [1, 30])
def test_patient_page_query_count_does_not_grow_with_history(front_desk_client, django_assert_num_queries, extra):
    patient = intake_patient()
    answered_at = patient.screenings.get().answered_at
    for _ in range(extra):
        patient.screenings.create(answered_at=answered_at)
        Consent.objects.create(patient=patient, kind="photos", given=True, form_version="x", recorded_at=patient.created_at)
    front_desk_client.get(reverse("patients:detail", args=[patient.pk]))  # warm the session
    # session, user, roles and permissions, patient, screenings, concerns, consents, audit
    # insert = 8, plus the appointments section (3: visits, series,
    # maintenance) and the plan status (1). A new query here needs a reason: the count must not
    # depend on the patient's history.
    with django_assert_num_queries(12 + 1):  # + the closure-decisions banner's count (scheduling)
        assert front_desk_client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200


@pytest.mark.parametrize("count", [3, 60])
def test_patient_list_query_count_is_fixed(front_desk_client, django_assert_num_queries, count):
    PatientFactory.create_batch(count)
    front_desk_client.get(reverse("patients:list"))
    # session, user, roles and permissions, count, page, audit (one insert for the page and
    # every patient shown)
    with django_assert_num_queries(6 + 1):  # + the closure-decisions banner's count (scheduling)
        assert front_desk_client.get(reverse("patients:list")).status_code == 200


def test_a_search_is_audited_with_its_term_and_each_patient_shown(front_desk_client, front_desk):
    PatientFactory(first_name="Grace", last_name="Hopper")
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")
    front_desk_client.get(reverse("patients:list"), {"q": "lovelace"})
    events = AuditEvent.objects.filter(user=front_desk, action="view").order_by("seq")
    assert [(e.object_type, e.patient_id) for e in events] == [("list", None), ("patients.patient", ada.pk)]
    assert all(e.summary == "patient list, search 'lovelace', page 1" for e in events)


def test_a_search_that_finds_nobody_is_still_audited(front_desk_client):
    front_desk_client.get(reverse("patients:list"), {"q": "nobody-here"})
    assert AuditEvent.objects.get(action="view").summary == "patient list, search 'nobody-here', page 1"


def test_an_edit_is_audited_with_the_changed_fields_before_and_after(front_desk_client):
    patient = PatientFactory(first_name="Ada", email="old@example.com", date_of_birth=dt.date(1980, 1, 1),
                             reminder_consent=False)
    front_desk_client.post(
        reverse("patients:edit", args=[patient.pk]),
        {"p-first_name": "Adah", "p-last_name": patient.last_name, "p-date_of_birth": "1980-01-01",
         "p-email": "new@example.com", "p-phone": patient.phone, "p-preferred_contact": "email"},
    )
    event = AuditEvent.objects.get(action="change")
    assert event.changes == {"first_name": ["Ada", "Adah"], "email": ["old@example.com", "new@example.com"]}
    assert event.summary == "demographics: first_name, email"


def test_intake_shows_every_problem_at_once_in_a_summary_linking_to_each_field(front_desk_client):
    response = front_desk_client.post(reverse("patients:intake"), intake_post(**{
        "p-date_of_birth": "2099-01-01", "p-email": "ada@@example", "k-treatment_consent": None,
    }))

    assert response.status_code == 400
    page = response.content.decode()
    summary = page[page.index("data-error-summary"):page.index("</ul>", page.index("data-error-summary"))]
    assert "valid e-mail" in summary and "cannot be in the future" in summary
    assert "without the patient&#x27;s signed consent" in summary
    assert 'href="#id_p-email"' in summary and 'href="#id_k-treatment_consent"' in summary
    assert summary.count("<li>") == 3
    assert Patient.objects.count() == 0


def test_intake_with_only_domain_problems_reports_them_all_together(front_desk_client):
    response = front_desk_client.post(reverse("patients:intake"), intake_post(**{
        "p-date_of_birth": "2099-01-01", "k-treatment_consent": None,
    }))
    page = response.content.decode()
    assert "cannot be in the future" in page and "signed consent" in page
