import pytest

from patients import demo as patients_demo
from staff import demo as staff_demo
from tests.treatments.factories import suggest
from treatments import demo
from treatments.chart import SUPPORT_COLOUR, face_chart
from treatments.models import Plan, PlanTemplate
from treatments.rules import Chosen

pytestmark = pytest.mark.django_db


def test_demo_data_saves_templates_and_current_plans_through_the_rules():
    ctx: dict = {"logins": []}
    staff_demo.load(ctx)
    patients_demo.load(ctx)
    demo.load(ctx)
    assert PlanTemplate.objects.count() == 2
    assert Plan.objects.count() == len(ctx["plans"]) >= 8
    blocked = ctx["patients"][11]  # the demo patient with an active skin infection
    assert not Plan.objects.filter(patient=blocked).exists()
    pregnant = ctx["patients"][3]
    assert not Plan.objects.get(patient=pregnant).items.filter(point__avoid_in_pregnancy=True).exists()


def test_chart_mirrors_bilateral_points_and_lines_and_lists_body_points():
    proposal = suggest({"fine-lines": 9, "puffiness": 4})
    chart = face_chart(items=proposal.items, concern_names={"fine-lines": "Fine lines", "puffiness": "Puffiness"})
    gb14 = [m for m in chart.marks if m.label == "GB14"]
    assert [(m.x, m.y) for m in gb14] == [(80.8, 57.0), (119.2, 57.0)]
    assert len([m for m in chart.marks if m.label == "GV24"]) == 1  # midline: one mark
    crows = [line for line in chart.lines if line.title.startswith("Crow's feet")]
    assert len(crows) == 2 and crows[0].x1 + crows[1].x1 == 200
    assert "ST36" in chart.off_chart
    assert ("#1b9e77", "Fine lines") in chart.legend


def test_chart_colours_items_without_a_concern_as_general_support():
    items = [Chosen(item.option, item.needles) for item in suggest({"fine-lines": 5}).items[:2]]
    chart = face_chart(items=items, concern_names={"fine-lines": "Fine lines"})
    assert {m.colour for m in chart.marks} == {SUPPORT_COLOUR}
    assert chart.legend == [(SUPPORT_COLOUR, "General support")]


def test_demo_clinic_has_recorded_sessions_with_ratings_for_the_visits_already_held():
    from scheduling import demo as scheduling_demo
    from scheduling.models import Visit
    from treatments.models import ConcernRating, SessionRecord
    from treatments.outcomes import series_outcome

    ctx: dict = {"logins": []}
    for module in (staff_demo, patients_demo, scheduling_demo, demo):
        module.load(ctx)
    held = Visit.objects.filter(status=Visit.Status.COMPLETED, series__isnull=False)
    assert held.exists()
    assert SessionRecord.objects.count() == held.count()
    assert ConcernRating.objects.exists()
    record = SessionRecord.objects.order_by("-id").first()
    outcome = series_outcome(record.series)
    assert outcome.sessions_done >= 1 and all(len(c.points) >= 2 for c in outcome.concerns)
