import datetime as dt

import pytest

from patients.search import PICKER_RESULTS, patient_matches, patient_search, picker_label, probable_duplicates
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return PatientFactory(
        first_name="Ada", last_name="Lovelace", date_of_birth=dt.date(1985, 12, 10), email="ada@example.com",
        phone="+447700900123",
    )


@pytest.fixture
def others():
    return [PatientFactory(first_name="Grace", last_name="Hopper", date_of_birth=dt.date(1970, 1, 2))]


@pytest.mark.parametrize("query", ["lovelace", "Ada Love", "ada@example", "07700 900123", "900-123", "1985-12-10", "10/12/1985"])
def test_search_finds_patient_by_name_email_phone_or_birth_date(ada, others, query):
    assert list(patient_search(query)) == [ada]


def test_search_with_no_match_is_empty(ada):
    assert list(patient_search("Babbage")) == []


def test_same_name_and_birth_date_is_a_probable_duplicate(ada, others):
    assert probable_duplicates(first_name="ADA", last_name="lovelace", date_of_birth=dt.date(1985, 12, 10), email="") == [ada]


def test_same_email_is_a_probable_duplicate(ada):
    assert probable_duplicates(first_name="Augusta", last_name="King", date_of_birth=None, email="ADA@example.com") == [ada]


def test_same_name_other_birth_date_is_not_a_duplicate(ada):
    assert probable_duplicates(first_name="Ada", last_name="Lovelace", date_of_birth=dt.date(1990, 1, 1), email="") == []


def test_a_picker_gets_at_most_twenty_matches_labelled_to_tell_namesakes_apart(ada):
    PatientFactory.create_batch(25, last_name="Lovelock")
    matches = patient_matches("love")
    assert len(matches) == PICKER_RESULTS == 20
    assert matches[0] == ada  # ordered by surname
    assert picker_label(ada) == "Lovelace, Ada · 10 Dec 1985 · ada@example.com"


@pytest.mark.parametrize("query", ["+44 7700 900777", "07700 900777", "07700-900-777", "+44 (0)7700 900777", "900777"])
def test_a_phone_number_is_found_however_it_is_typed(query):
    patient = PatientFactory(phone="+447700900777")
    assert list(patient_search(query)) == [patient]


def test_surname_comma_first_name_finds_the_patient_not_namesakes_the_other_way_round(ada):
    PatientFactory(first_name="Lovelace", last_name="Ada")
    assert list(patient_search("Lovelace, Ada")) == [ada]
    assert list(patient_search("love , a")) == [ada]
    assert list(patient_search(" , ")) == []
