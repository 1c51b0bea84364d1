"""Patient pickers search on the server: the search endpoint, and forms that never list every
patient (with a plain search to choose from when JavaScript is off)."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import PatientFactory


@pytest.fixture
def ada(db):
    return PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=dt.date(1985, 12, 10),
                          email="ada@example.com")


def test_the_search_endpoint_answers_in_a_fixed_number_of_queries(front_desk_client, ada, django_assert_num_queries):
    PatientFactory.create_batch(30, last_name="Lovelock")
    front_desk_client.get(reverse("patients:search"), {"q": "warm"})  # the session is loaded once
    # Session, user, the user's roles and permissions, the matches: however many patients.
    with django_assert_num_queries(4):
        response = front_desk_client.get(reverse("patients:search"), {"q": "love"})
    results = response.json()["results"]
    assert len(results) == 20
    assert results[0] == {"id": ada.pk, "label": "Lovelace, Ada · 10 Dec 1985 · ada@example.com"}


def test_the_search_endpoint_is_for_staff_only(client, ada):
    response = client.get(reverse("patients:search"), {"q": "love"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_empty_search_lists_no_one(front_desk_client, ada):
    assert front_desk_client.get(reverse("patients:search"), {"q": " "}).json() == {"results": []}


@pytest.mark.parametrize("form_url", ["scheduling:series_new", "scheduling:visit_new"])
def test_booking_forms_do_not_list_every_patient(front_desk_client, ada, form_url):
    PatientFactory.create_batch(40, last_name="Hopper")
    html = front_desk_client.get(reverse(form_url)).content.decode()
    assert "Hopper" not in html and "Lovelace" not in html
    assert 'role="combobox"' in html and 'for="id_patient"' in html


def test_a_booking_form_opened_for_a_patient_shows_that_patient(front_desk_client, ada):
    html = front_desk_client.get(reverse("scheduling:series_new"), {"patient": ada.pk}).content.decode()
    assert f'name="patient" value="{ada.pk}"' in html
    assert "Lovelace, Ada · 10 Dec 1985" in html


def test_without_javascript_a_typed_name_offers_the_matches_to_choose_from(front_desk_client, ada):
    PatientFactory(first_name="Augusta", last_name="Lovelace", date_of_birth=dt.date(1990, 1, 1))
    response = front_desk_client.post(reverse("scheduling:series_new"), {"patient_search": "lovelace", "action": "propose"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose the patient from the matches." in html
    assert f'type="radio" name="patient" value="{ada.pk}"' in html and "Lovelace, Augusta" in html
