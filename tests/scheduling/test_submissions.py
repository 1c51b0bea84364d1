"""Idempotent booking (``scheduling.submissions``): a create form submitted twice — a double
click, a retry after a timeout, two requests at the same moment — books once and the second
submit shows what was booked, never "nothing was booked"."""


import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from scheduling.models import Series, Visit
from staff.models import FormSubmission
from tests import factories
from tests.concurrency import post_twice_at_once
from tests.scheduling.factories import NOW, Clinic, practitioner
from tests.scheduling.test_views import confirm_data, series_post


def _messages(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.mark.usefixtures("frozen")
def test_submitting_the_series_confirmation_twice_books_once_and_shows_the_series(front_desk_client, clinic, lin,
                                                                                   patient):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    data = confirm_data(proposed)

    first = front_desk_client.post(reverse("scheduling:series_new"), data)
    second = front_desk_client.post(reverse("scheduling:series_new"), data)

    assert Series.objects.count() == 1 and Visit.objects.count() == 10
    assert first.status_code == second.status_code == 302 and second.url == first.url
    assert "Already booked" in _messages(second) and "Nothing was booked" not in _messages(second)
    assert FormSubmission.objects.get().result_id == Series.objects.get().pk


@pytest.mark.usefixtures("frozen")
def test_submitting_the_visit_form_twice_books_one_visit_and_shows_it(front_desk_client, clinic, lin, patient):
    page = front_desk_client.get(reverse("scheduling:visit_new"))
    data = {
        "patient": patient.pk, "practitioner": lin.pk, "appointment_type": clinic.treatment.pk,
        "day": "2026-03-03", "time": "14:15", "fold": "", "room": "", "form_key": page.context["form"]["form_key"].value(),
    }

    first = front_desk_client.post(reverse("scheduling:visit_new"), data)
    second = front_desk_client.post(reverse("scheduling:visit_new"), data)

    visit = Visit.objects.get()
    assert first.url == second.url == reverse("scheduling:visit", args=[visit.pk])
    assert "Already booked" in _messages(second)


@pytest.mark.usefixtures("frozen")
def test_a_fresh_proposal_page_has_a_new_key_so_a_second_series_can_be_booked(front_desk_client, clinic, lin, patient):
    proposed = front_desk_client.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic))
    front_desk_client.post(reverse("scheduling:series_new"), confirm_data(proposed))
    again = front_desk_client.post(reverse("scheduling:series_new"),
                                   series_post(patient, lin, clinic, first_day="2026-09-01"))
    assert front_desk_client.post(reverse("scheduling:series_new"), confirm_data(again)).status_code == 302
    assert Series.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_series_confirmation_book_one_series(needs_postgres):
    with time_machine.travel(NOW, tick=False):
        clinic = Clinic()
        lin = practitioner(display_name="Lin Zhao")
        patient = factories.PatientFactory()
        user = factories.front_desk_user(username="desk")
        browser = Client()
        browser.force_login(user)
        data = confirm_data(browser.post(reverse("scheduling:series_new"), series_post(patient, lin, clinic)))
        cookies = browser.cookies

        responses = post_twice_at_once(cookies, reverse("scheduling:series_new"), data)  # the same browser session clicking twice

        assert Series.objects.count() == 1 and Visit.objects.count() == 10
        assert [r.status_code for r in responses] == [302, 302]
        assert responses[0].url == responses[1].url == reverse("scheduling:patient", args=[patient.pk])
        said = [_messages(r) for r in responses]
        assert sum("Already booked" in s for s in said) == 1 and not any("Nothing was booked" in s for s in said)
