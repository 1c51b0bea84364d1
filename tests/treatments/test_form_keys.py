"""The session record page's one-time key (``staff.submissions``): two simultaneous submits of
one page (a double click) record the session once, and both show that record — the second never
ends on "this visit's session has been recorded already"."""


import pytest
from django.urls import reverse

from tests.concurrency import post_twice_at_once
from tests.scheduling.factories import at
from tests.treatments.test_session_views import form_data
from treatments.models import SessionRecord


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_record_save_one_and_both_show_it(needs_postgres, acupuncturist_client, series,
                                                                         patient, traveller):
    traveller.move_to(at("2026-03-02", "10:10"))
    visit = series.visits.get(sequence=1)
    url = reverse("treatments:session_new", args=[visit.pk])
    response = acupuncturist_client.get(url, {"screening": patient.screenings.get().pk})
    data = {**form_data(response), "rating_fine-lines": 5, "rating_puffiness": 3,
            "once-form_key": str(response.context["once_form"]["form_key"].value())}
    cookies = acupuncturist_client.cookies
    responses = post_twice_at_once(cookies, url, data)  # the same browser session clicking twice

    record = SessionRecord.objects.get()
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0].url == responses[1].url == reverse("treatments:session_detail", args=[record.pk])
