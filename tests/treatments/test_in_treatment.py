""""In treatment": the visit's stage from the passed session check to the saved record, seen by
the front desk (the day on the home page, the calendar) and the acupuncturist (*Today*)."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from scheduling.models import Visit
from scheduling.visit_status import visit_mark_arrived, visit_treatment_start
from tests.factories import screening_post
from tests.scheduling.factories import at
from tests.treatments.factories import record_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(series, traveller):
    traveller.move_to(at("2026-03-02", "10:10"))
    return series.visits.get(sequence=1)


def _confirm_screening(client, visit, patient):
    return client.post(reverse("treatments:session_screening", args=[visit.pk]),
                       {"confirm": "1", "screening": patient.screenings.get().pk})


def test_passing_the_session_check_puts_an_arrived_visit_in_treatment(acupuncturist_client, acupuncturist, visit, patient):
    visit_mark_arrived(visit=visit, by=None)
    _confirm_screening(acupuncturist_client, visit, patient)
    visit.refresh_from_db()
    assert visit.in_treatment and visit.state_label == "In treatment"
    assert visit.treatment_started_at == at("2026-03-02", "10:10")


def test_the_check_on_a_booked_visit_marks_it_arrived_and_in_treatment(acupuncturist_client, visit, patient):
    _confirm_screening(acupuncturist_client, visit, patient)
    visit.refresh_from_db()
    assert (visit.status, visit.in_treatment) == (Visit.Status.ARRIVED, True)


def test_a_new_screening_that_blocks_treatment_does_not_start_it(acupuncturist_client, visit, patient):
    visit_mark_arrived(visit=visit, by=None)
    acupuncturist_client.post(reverse("treatments:session_screening", args=[visit.pk]),
                              screening_post(active_skin_infection=True))
    visit.refresh_from_db()
    assert visit.status == Visit.Status.ARRIVED and visit.treatment_started_at is None


def test_a_new_screening_that_allows_treatment_starts_it(acupuncturist_client, visit, patient):
    acupuncturist_client.post(reverse("treatments:session_screening", args=[visit.pk]),
                              screening_post(pregnant_or_trying=True))
    visit.refresh_from_db()
    assert visit.in_treatment


def test_a_visit_of_another_day_recorded_late_never_shows_in_treatment(series, traveller):
    visit = series.visits.get(sequence=1)
    traveller.move_to(at("2026-03-03", "09:00"))
    assert visit_treatment_start(visit=visit, by=None) is False
    visit.refresh_from_db()
    assert visit.status == Visit.Status.BOOKED and visit.treatment_started_at is None


def test_the_record_completes_the_visit_in_treatment(visit, acupuncturist):
    visit_treatment_start(visit=visit, by=None)
    record_session(visit, by=acupuncturist)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED and not visit.in_treatment and visit.treatment_started_at


def test_the_database_refuses_in_treatment_on_a_visit_not_arrived(visit):
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(treatment_started_at=at("2026-03-02", "10:10"))


def test_the_front_desk_sees_in_treatment_on_the_day_and_the_calendar(front_desk_client, visit):
    visit_treatment_start(visit=visit, by=None)
    html = front_desk_client.get(reverse("home")).content.decode()
    table = html[html.index('id="desk-day-visits"'):]
    assert "In treatment" in table[:table.index("</table>")]
    html = front_desk_client.get(
        f"{reverse('scheduling:calendar')}?practitioner={visit.practitioner_id}&view=day&date=2026-03-02").content.decode()
    block = html.split('class="cal-visit')[1]
    assert "in-treatment" in block.split(">")[0] and "In treatment" in block


def test_today_shows_each_visits_state(acupuncturist_client, visit):
    page = acupuncturist_client.get(reverse("treatments:today")).content.decode()
    assert "In treatment" not in page and "Booked" in page
    visit_treatment_start(visit=visit, by=None)
    page = acupuncturist_client.get(reverse("treatments:today")).content.decode()
    assert "In treatment" in page


def test_today_links_no_visit_to_a_session_page_that_would_refuse_it(acupuncturist_client, series, traveller):
    traveller.move_to(at("2026-03-02", "09:30"))
    visit = series.visits.get(sequence=1)
    page = acupuncturist_client.get(reverse("treatments:today")).content.decode()
    assert reverse("treatments:session_new", args=[visit.pk]) not in page and "Record from 10:00" in page
    assert acupuncturist_client.get(reverse("treatments:session_new", args=[visit.pk])).status_code == 409
