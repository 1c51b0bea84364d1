"""The clinic admin edits the catalogue and the plan settings in the Django admin; nobody else does.
Hard rules stay read-only, cautions can only be added, settings stay inside the safe bounds, every
safety change is audited, and a concern needs something mapped to treat it."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from patients.models import Concern
from staff.models import AuditEvent
from treatments.models import Adjunct, ConcernTarget, PlanSettings, Point

pytestmark = pytest.mark.django_db


def test_clinic_admin_marks_a_point_as_avoided_in_pregnancy(admin_client_):
    point = Point.objects.get(code="ST36")
    url = reverse("admin:treatments_point_change", args=[point.pk])
    form = admin_client_.get(url)
    assert form.status_code == 200
    data = {
        "code": "ST36", "pinyin": "Zusanli", "kind": "body", "region": "leg", "side": "B",
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


INLINE_EMPTY = {
    "targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0", "targets-MIN_NUM_FORMS": "0", "targets-MAX_NUM_FORMS": "1000",
}
SETTINGS = {
    "needles_min": 40, "needles_max": 70, "reduced_needles_max": 46, "retention_min": 20, "retention_max": 30,
    "botox_wait_days": 14, "filler_wait_days": 14, "laser_peel_wait_days": 30, "surgery_wait_days": 30,
}


def point_form(point: Point, **changes) -> dict:
    data = {
        "code": point.code, "former_code": point.former_code, "pinyin": point.pinyin, "kind": point.kind,
        "region": point.region, "face_areas": point.face_areas, "side": point.side,
        "face_x": point.face_x or "", "face_y": point.face_y or "", "role": point.role, "caution": point.caution,
        "display_order": point.display_order, **INLINE_EMPTY,
    }
    data.update({name: "on" for name in ("near_eye", "avoid_in_pregnancy", "lower_abdominal") if getattr(point, name)})
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_unticking_li4s_pregnancy_flag_is_not_possible_and_the_hard_rule_is_shown(admin_client_):
    li4 = Point.objects.get(code="LI4")
    url = reverse("admin:treatments_point_change", args=[li4.pk])
    page = admin_client_.get(url).content.decode()
    assert "Never in a pregnant patient" in page and "LI4 is one of the points never needled in pregnancy" in page
    response = admin_client_.post(url, point_form(li4, avoid_in_pregnancy=False, code="LI4X", region="arm"))
    assert response.status_code == 302
    li4.refresh_from_db()
    assert (li4.code, li4.region, li4.avoid_in_pregnancy) == ("LI4", "hand", True)


def test_a_caution_can_be_added_but_never_removed(admin_client_):
    st2 = Point.objects.get(code="ST2")
    url = reverse("admin:treatments_point_change", args=[st2.pk])
    assert admin_client_.post(url, point_form(st2, avoid_in_pregnancy="on")).status_code == 302
    assert admin_client_.post(url, point_form(st2, avoid_in_pregnancy=False, near_eye=False)).status_code == 302
    st2.refresh_from_db()
    assert st2.avoid_in_pregnancy and st2.near_eye


def test_a_new_abdominal_point_without_flags_shows_the_hard_rule_and_is_audited(admin_client_, clinic_admin):
    data = {"code": "CV3", "pinyin": "Zhongji", "kind": "body", "region": "lower abdomen", "side": "M",
            "display_order": 500, **INLINE_EMPTY}
    assert admin_client_.post(reverse("admin:treatments_point_add"), data).status_code == 302
    cv3 = Point.objects.get(code="CV3")
    page = admin_client_.get(reverse("admin:treatments_point_change", args=[cv3.pk])).content.decode()
    assert "its region “lower abdomen” is abdominal" in page
    event = AuditEvent.objects.get(object_type="treatments.point", object_id=str(cv3.pk))
    assert event.action == "create" and event.user == clinic_admin
    assert event.changes["region"] == [None, "lower abdomen"] and event.changes["avoid_in_pregnancy"] == [None, False]


def test_safety_changes_to_the_catalogue_are_audited_with_before_and_after(admin_client_):
    gb14 = Point.objects.get(code="GB14")
    url = reverse("admin:treatments_point_change", args=[gb14.pk])
    admin_client_.post(url, point_form(gb14, caution="shallow", face_areas=["forehead", "glabella"]))
    event = AuditEvent.objects.get(object_type="treatments.point", action="change")
    assert event.changes == {"caution": ["", "shallow"], "face_areas": [["forehead"], ["forehead", "glabella"]]}
    admin_client_.post(url, point_form(Point.objects.get(code="GB14"), role="brow"))  # not a safety field
    assert AuditEvent.objects.filter(object_type="treatments.point").count() == 1


def test_microcurrent_is_added_as_electrical_and_stays_electrical(admin_client_):
    data = {"code": "microcurrent", "name": "Facial microcurrent", "description": "", "electrical": "on",
            "display_order": 100, **INLINE_EMPTY}
    assert admin_client_.post(reverse("admin:treatments_adjunct_add"), data).status_code == 302
    adjunct = Adjunct.objects.get(code="microcurrent")
    assert adjunct.electrical
    url = reverse("admin:treatments_adjunct_change", args=[adjunct.pk])
    admin_client_.post(url, {**data, "electrical": ""})
    adjunct.refresh_from_db()
    assert adjunct.electrical
    assert AuditEvent.objects.get(object_type="treatments.adjunct").changes["electrical"] == [None, True]


@pytest.mark.parametrize("name", ["Facial microcurrent", "Electro-acupuncture", "Galvanic facial"])
def test_an_adjunct_that_sounds_electrical_must_be_marked_electrical(admin_client_, name):
    data = {"code": "new-adjunct", "name": name, "description": "", "display_order": 100, **INLINE_EMPTY}
    response = admin_client_.post(reverse("admin:treatments_adjunct_add"), data)
    assert response.status_code == 200 and "sounds electrical" in response.content.decode()
    assert not Adjunct.objects.filter(code="new-adjunct").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("botox_wait_days", 0, "At least 14 days after Botox"),
        ("filler_wait_days", 13, "At least 14 days after dermal filler"),
        ("laser_peel_wait_days", 0, "At least 30 days after laser or a peel"),
        ("surgery_wait_days", 29, "At least 30 days after cosmetic surgery"),
        ("needles_max", 300, "Between 10 and 80 needles"),
        ("needles_min", 5, "Between 10 and 80 needles"),
        ("retention_max", 240, "Between 10 and 45 minutes"),
        ("reduced_needles_max", 70, "below the most (70)"),
    ],
)
def test_out_of_bounds_settings_are_refused_with_a_message_and_by_the_database(admin_client_, field, value, message):
    url = reverse("admin:treatments_plansettings_change", args=[1])
    response = admin_client_.post(url, {**SETTINGS, field: value})
    assert response.status_code == 200 and message in response.content.decode()
    assert getattr(PlanSettings.load(), field) == SETTINGS[field]
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanSettings.objects.filter(pk=1).update(**{field: value})


def test_a_settings_change_is_audited(admin_client_):
    url = reverse("admin:treatments_plansettings_change", args=[1])
    assert admin_client_.post(url, {**SETTINGS, "laser_peel_wait_days": 42}).status_code == 302
    assert AuditEvent.objects.get(object_type="treatments.plansettings").changes == {"laser_peel_wait_days": [30, 42]}


CONCERN_INLINE = "concern-targets-"


def test_an_active_concern_without_mapped_targets_is_refused(admin_client_):
    data = {"name": "Acne scars", "code": "acne-scars", "description": "", "display_order": 200, "active": "on",
            f"{CONCERN_INLINE}TOTAL_FORMS": "1", f"{CONCERN_INLINE}INITIAL_FORMS": "0",
            f"{CONCERN_INLINE}MIN_NUM_FORMS": "0", f"{CONCERN_INLINE}MAX_NUM_FORMS": "1000",
            f"{CONCERN_INLINE}0-weight": "2"}  # the empty row, as the browser sends it
    response = admin_client_.post(reverse("admin:patients_concern_add"), data)
    assert response.status_code == 200 and "needs at least one point" in response.content.decode()
    assert not Concern.objects.filter(code="acne-scars").exists()
    point = Point.objects.get(code="LI11")
    mapped = {**data, f"{CONCERN_INLINE}0-point": point.pk, f"{CONCERN_INLINE}0-weight": 3}
    assert admin_client_.post(reverse("admin:patients_concern_add"), mapped).status_code == 302
    assert ConcernTarget.objects.filter(concern__code="acne-scars", point=point).exists()


def test_a_concern_that_lost_its_targets_is_flagged_in_the_list(admin_client_):
    ConcernTarget.objects.filter(concern__code="dullness").delete()
    page = admin_client_.get(reverse("admin:patients_concern_changelist")).content.decode()
    assert page.count("no points mapped") == 1
