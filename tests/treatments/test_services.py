"""Plan save: the rules are loaded once per save, so its cost does not grow with the plan."""

import pytest

from tests.factories import intake_patient
from tests.treatments.factories import plan_items
from treatments.models import Plan
from treatments.services import plan_save

pytestmark = pytest.mark.django_db

# Patient lock, screening, settings, concerns and catalogue, the plan row and its checks, the
# catalogue rows and concerns of the items, one insert for all items and one audit row. Before
# the rules were loaded once per save this was 60 queries for 14 items and 81 for 21.
PLAN_SAVE_QUERIES = 20


@pytest.mark.parametrize("count", [14, 21])
def test_plan_save_costs_the_same_queries_whatever_the_number_of_items(count, acupuncturist, django_assert_num_queries):
    patient = intake_patient(concerns={"fine-lines": 7})
    items = plan_items(count)
    with django_assert_num_queries(PLAN_SAVE_QUERIES):
        plan = plan_save(by=acupuncturist, patient=patient, items=items, retention=25)
    assert plan.items.count() == count
    assert Plan.objects.get().total_needles == sum(item.needles for item in items)
