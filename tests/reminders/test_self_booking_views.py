"""The link pages where a patient chooses a time (``scheduling/self_booking_views.py``): GET shows
free times and changes nothing; POST books once; an expired, altered or reused link, a time taken
meanwhile, a time inside the notice window or a blocking screening changes nothing (no 500)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from scheduling.models import LinkUse, PatientRequest, Reminder, Visit
from scheduling.reminders.tokens import link_token
from scheduling.visit_status import visit_cancel
from tests.factories import PatientFactory, ScreeningFactory
from tests.reminders.factories import book_visit, maintenance_due, series_two_left
from tests.reminders.test_notices import eager  # noqa: F401  (fixture)
from tests.scheduling.factories import at, book_series, practitioner

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def visit(clinic, lin):
    return book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-05", "10:00"))


@pytest.fixture
def new_time_page(visit):
    return reverse("links:page", kwargs={"token": link_token(reminder=Reminder.objects.get(visit=visit), action="new_time")})


def where(visit) -> dt.datetime:
    return Visit.objects.get(pk=visit.pk).starts_at


def nothing_done(visit) -> bool:
    return where(visit) == at("2026-03-05", "10:00") and not LinkUse.objects.exists() and not PatientRequest.objects.exists()


def test_opening_shows_free_times_and_changes_nothing(client, visit, new_time_page):
    response = client.get(new_time_page)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose another time" in html and "Thursday 5 March 2026 at 10:00" in html
    assert f'value="{at("2026-03-06", "14:00").isoformat()}"' in html
    assert f'value="{at("2026-03-02", "14:00").isoformat()}"' not in html  # inside the 24-hour notice
    assert "csrfmiddlewaretoken" in html and nothing_done(visit)


def test_choosing_a_time_moves_the_visit_and_emails_the_updated_calendar(
    visit, new_time_page, eager, mailoutbox, django_capture_on_commit_callbacks  # noqa: F811
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(new_time_page, {"starts_at": at("2026-03-06", "14:00").isoformat()})
    assert response.status_code == 200 and "Your visit is moved" in response.content.decode()
    assert "Friday 6 March 2026 at 14:00" in response.content.decode()
    assert where(visit) == at("2026-03-06", "14:00")
    (message,) = mailoutbox
    assert message.to == [visit.patient.email]
    (event,) = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")
    assert event.decoded("dtstart") == at("2026-03-06", "14:00")


def test_the_front_desk_and_the_timeline_show_the_move(client, front_desk_client, visit, new_time_page):
    Client().post(new_time_page, {"starts_at": at("2026-03-06", "14:00").isoformat()})
    listed = front_desk_client.get(reverse("scheduling:requests")).content.decode()
    assert "Moved the visit" in listed and visit.patient.full_name in listed
    timeline = front_desk_client.get(reverse("scheduling:patient", args=[visit.patient_id])).content.decode()
    assert "Moved online to Fri 06 Mar 2026 14:00" in timeline


def test_a_reused_link_changes_nothing(client, visit, new_time_page):
    client.post(new_time_page, {"starts_at": at("2026-03-06", "14:00").isoformat()})
    again = client.post(new_time_page, {"starts_at": at("2026-03-09", "14:00").isoformat()})
    assert again.status_code == 410
    assert where(visit) == at("2026-03-06", "14:00") and LinkUse.objects.count() == 1


def test_an_expired_link_changes_nothing(client, frozen, visit, new_time_page):
    frozen.shift(dt.timedelta(days=31))
    response = client.post(new_time_page, {"starts_at": at("2026-04-06", "14:00").isoformat()})
    assert response.status_code == 410 and b"expired" in response.content
    assert nothing_done(visit)


def test_an_altered_link_changes_nothing(client, visit, new_time_page):
    altered = new_time_page[:-4] + ("AAA/" if not new_time_page.endswith("AAA/") else "BBB/")
    for method in (client.get, client.post):
        assert method(altered, {"starts_at": at("2026-03-06", "14:00").isoformat()}).status_code == 400
    assert nothing_done(visit)


def test_a_time_just_taken_gives_a_friendly_page_with_fresh_times(client, clinic, lin, visit, new_time_page):
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-03-06", "14:00"))  # the front desk, meanwhile
    response = client.post(new_time_page, {"starts_at": at("2026-03-06", "14:00").isoformat()})
    html = response.content.decode()
    assert response.status_code == 409 and "just taken" in html
    assert f'value="{at("2026-03-06", "14:00").isoformat()}"' not in html
    assert f'value="{at("2026-03-06", "15:00").isoformat()}"' in html
    assert nothing_done(visit)


def test_a_time_inside_the_notice_window_is_refused_with_a_message(client, visit, new_time_page):
    response = client.post(new_time_page, {"starts_at": at("2026-03-02", "16:00").isoformat()})
    assert response.status_code == 400 and b"24 hours" in response.content and b"data-error-summary" in response.content
    assert nothing_done(visit)


@pytest.mark.parametrize("value", ["", "tomorrow", "2026-03-06T14:00:00"])
def test_a_missing_or_bad_time_is_refused_with_a_message(client, visit, new_time_page, value):
    response = client.post(new_time_page, {"starts_at": value})
    assert response.status_code == 400 and b"data-error-summary" in response.content
    assert nothing_done(visit)


def test_a_blocking_screening_shows_a_friendly_page_and_the_request_goes_to_the_front_desk(client, visit, new_time_page):
    ScreeningFactory(patient=visit.patient, facial_wound_or_rash=True)
    opened = client.get(new_time_page)
    assert opened.status_code == 200 and b"talk to us" in opened.content and b'name="starts_at"' not in opened.content
    assert nothing_done(visit)
    # A time posted anyway (an old new_time_page) is refused, and the clinic is asked to call.
    refused = client.post(new_time_page, {"starts_at": at("2026-03-06", "14:00").isoformat()})
    assert refused.status_code == 409 and b"Nothing was booked" in refused.content
    assert where(visit) == at("2026-03-05", "10:00")
    assert PatientRequest.objects.get().kind == "new_time"


def test_asking_the_clinic_instead_of_choosing_opens_a_request(client, visit, new_time_page):
    response = client.post(new_time_page, {"ask": "1", "note": "Only Saturdays"})
    assert response.status_code == 200
    request = PatientRequest.objects.get()
    assert (request.kind, request.note) == ("new_time", "Only Saturdays") and where(visit) == at("2026-03-05", "10:00")


def test_the_page_runs_a_fixed_number_of_queries(client, clinic, lin, visit, new_time_page, django_assert_num_queries):
    # The link (reminder, its use), the latest screening, the settings, and the free times (the
    # practitioner's visits), once the process holds the timetable (scheduling.timetable).
    client.get(new_time_page)
    with django_assert_num_queries(5):
        assert client.get(new_time_page).status_code == 200
    for day in range(3, 20):
        book_visit(clinic=clinic, practitioner=lin, starts=(f"2026-03-{day:02d}", "16:00"))
    with django_assert_num_queries(5):
        assert client.get(new_time_page).status_code == 200


# --- The remaining sessions --------------------------------------------------------------------------
@pytest.fixture
def series_reminder(clinic, lin, patient):
    return series_two_left(clinic=clinic, practitioner=lin, patient=patient)


@pytest.fixture
def series_page(series_reminder):
    return reverse("links:page", kwargs={"token": link_token(reminder=series_reminder, action="series")})


def signed_proposal(html: str) -> str:
    return re.search(r'name="proposal" value="([^"]+)"', html).group(1)


def rest_booked(series_reminder) -> int:
    return Visit.objects.filter(series=series_reminder.series, sequence__gt=6).count()


def test_the_remaining_sessions_page_shows_them_and_books_them_on_the_button(client, series_reminder, series_page):
    opened = client.get(series_page)
    html = opened.content.decode()
    assert opened.status_code == 200 and "Tuesday 31 March 2026 at 10:00" in html and "Tuesday 7 April 2026 at 10:00" in html
    assert rest_booked(series_reminder) == 0
    booked = Client().post(series_page, {"proposal": signed_proposal(html)})
    assert booked.status_code == 200 and b"Your sessions are booked" in booked.content
    assert rest_booked(series_reminder) == 2
    again = client.post(series_page, {"proposal": signed_proposal(html)})
    assert again.status_code == 410 and rest_booked(series_reminder) == 2


def test_an_altered_or_foreign_proposal_books_nothing(client, clinic, lin, series_reminder, series_page):
    signed = signed_proposal(client.get(series_page).content.decode())
    assert client.post(series_page, {"proposal": signed[:-3] + "AAA"}).status_code == 400
    # A proposal signed for another patient's link is refused on this one.
    other = book_series(patient=PatientFactory(), practitioner=lin, clinic=clinic, first_day="2026-03-04")
    visit_cancel(visit=other.visits.get(sequence=6), reason="Away", by=None)
    other_reminder = Reminder.objects.get(kind=Reminder.Kind.SERIES_UNBOOKED, series=other)
    other_page = reverse("links:page", kwargs={"token": link_token(reminder=other_reminder, action="series")})
    foreign = signed_proposal(client.get(other_page).content.decode())
    response = client.post(series_page, {"proposal": foreign})
    assert response.status_code == 400 and b"data-error-summary" in response.content
    assert rest_booked(series_reminder) == 0 and not LinkUse.objects.exists()


def test_a_session_taken_meanwhile_shows_fresh_times_and_books_nothing(client, clinic, lin, series_reminder, series_page):
    signed = signed_proposal(client.get(series_page).content.decode())
    book_visit(clinic=clinic, practitioner=lin, starts=("2026-04-07", "10:00"))
    response = client.post(series_page, {"proposal": signed})
    assert response.status_code == 409 and b"just taken" in response.content
    assert rest_booked(series_reminder) == 0 and not LinkUse.objects.exists()


def test_the_maintenance_and_series_pages_run_a_fixed_number_of_queries(
    client, clinic, lin, frozen, series_page, django_assert_num_queries
):
    sara = practitioner(display_name="Sara Okafor")
    maintenance = maintenance_due(clinic=clinic, practitioner=sara, frozen=frozen)
    # Once the process holds the timetable (scheduling.timetable).
    pages = {
        reverse("links:page", kwargs={"token": link_token(reminder=maintenance, action="maintenance")}): 9,
        series_page: 11,
    }
    for url, queries in pages.items():
        client.get(url)
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
    for day in range(10, 28):
        book_visit(clinic=clinic, practitioner=lin, starts=(f"2026-03-{day:02d}", "16:00"))
        book_visit(clinic=clinic, practitioner=sara, starts=(f"2026-04-{day - 5:02d}", "16:00"))
    for url, queries in pages.items():
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
