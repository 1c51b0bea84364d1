"""The clinic admin edits the catalogue and the plan settings in the Django admin; nobody else does."""

import pytest
from django.urls import reverse

from treatments.models import PlanSettings, Point

pytestmark = pytest.mark.django_db


def test_clinic_admin_marks_a_point_as_avoided_in_pregnancy(admin_client_):
    point = Point.objects.get(code="ST36")
    url = reverse("admin:treatments_point_change", args=[point.pk])
    form = admin_client_.get(url)
    assert form.status_code == 200
    data = {
        "code": "ST36", "pinyin": "Zusanli", "kind": "body", "region": "leg", "face_areas": "[]", "side": "B",
        "face_x": "", "face_y": "", "role": point.role, "avoid_in_pregnancy": "on", "caution": "avoid in pregnancy",
        "display_order": point.display_order,
        "targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0", "targets-MIN_NUM_FORMS": "0", "targets-MAX_NUM_FORMS": "1000",
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    point.refresh_from_db()
    assert point.avoid_in_pregnancy


@pytest.mark.parametrize(
    "name", ["treatments_point_changelist", "treatments_needlingpattern_changelist", "treatments_adjunct_changelist",
             "treatments_concerntarget_changelist"],
)
def test_catalogue_lists_open_for_the_clinic_admin(admin_client_, name):
    assert admin_client_.get(reverse(f"admin:{name}")).status_code == 200


def test_plan_settings_are_one_row_that_cannot_be_added_or_deleted(admin_client_):
    assert admin_client_.get(reverse("admin:treatments_plansettings_add")).status_code == 403
    assert admin_client_.get(reverse("admin:treatments_plansettings_delete", args=[1])).status_code == 403
    url = reverse("admin:treatments_plansettings_change", args=[1])
    fields = {"needles_min": 40, "needles_max": 70, "reduced_needles_max": 46, "retention_min": 20,
              "botox_wait_days": 14, "filler_wait_days": 14, "laser_peel_wait_days": 30, "surgery_wait_days": 30}
    response = admin_client_.post(url, {**fields, "retention_max": 10})
    assert response.status_code == 200 and "longest must be at least the shortest" in response.content.decode()
    assert admin_client_.post(url, {**fields, "retention_max": 35}).status_code == 302
    assert PlanSettings.load().retention_max == 35


def test_acupuncturists_do_not_edit_the_catalogue(acupuncturist_client):
    response = acupuncturist_client.get(reverse("admin:treatments_point_changelist"))
    assert response.status_code == 302  # not staff: the admin sends them to its login
