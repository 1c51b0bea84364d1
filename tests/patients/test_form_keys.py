"""The intake page's one-time key (``staff.submissions``): submitted twice — a double click, a
retry after a timeout, two requests at the same moment — it registers one patient and the second
submit shows that patient ("already saved"), never a "probable duplicate" of them."""


import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from patients.models import Patient
from tests import factories
from tests.concurrency import post_twice_at_once
from tests.patients.test_views import intake_post


def _messages(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _keyed_post(client) -> dict:
    key = client.get(reverse("patients:intake")).context["once_form"]["form_key"].value()
    return {**intake_post(), "once-form_key": str(key)}


@pytest.mark.django_db
def test_the_intake_page_carries_a_fresh_one_time_key(front_desk_client):
    first = front_desk_client.get(reverse("patients:intake"))
    second = front_desk_client.get(reverse("patients:intake"))
    key = first.context["once_form"]["form_key"].value()
    assert f'name="once-form_key" value="{key}"' in first.content.decode()
    assert key != second.context["once_form"]["form_key"].value()


@pytest.mark.django_db
def test_submitting_the_intake_twice_registers_one_patient_and_shows_it(front_desk_client):
    data = _keyed_post(front_desk_client)
    first = front_desk_client.post(reverse("patients:intake"), data)
    second = front_desk_client.post(reverse("patients:intake"), data)
    patient = Patient.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("patients:detail", args=[patient.pk])
    assert "Already saved" in _messages(second) and "probable" not in _messages(second).lower()


@pytest.mark.django_db
def test_a_refused_first_submit_does_not_use_up_the_key(front_desk_client):
    data = _keyed_post(front_desk_client)
    refused = front_desk_client.post(reverse("patients:intake"), {**data, "p-date_of_birth": "2999-01-01"})
    assert refused.status_code == 400 and not Patient.objects.exists()
    assert front_desk_client.post(reverse("patients:intake"), data).status_code == 302
    assert Patient.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_intake_register_one_patient(needs_postgres):
    user = factories.front_desk_user(username="desk")
    browser = Client()
    browser.force_login(user)
    data = _keyed_post(browser)
    cookies = browser.cookies
    responses = post_twice_at_once(cookies, reverse("patients:intake"), data)  # the same browser session clicking twice

    patient = Patient.objects.get()
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0].url == responses[1].url == reverse("patients:detail", args=[patient.pk])
    said = [_messages(r) for r in responses]
    assert sum("Already saved" in s for s in said) == 1


@pytest.mark.django_db
def test_submitting_a_new_screening_twice_saves_one(front_desk_client):
    from tests.factories import intake_patient, screening_post

    patient = intake_patient()
    url = reverse("patients:screening_new", args=[patient.pk])
    key = front_desk_client.get(url).context["once_form"]["form_key"].value()
    data = {**screening_post(), "once-form_key": str(key)}
    first = front_desk_client.post(url, data)
    second = front_desk_client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert patient.screenings.count() == 2  # the intake's and this one
    assert "Already saved" in _messages(second)
