"""The rules of treatments/catalogue_safety.py, directly: hard-rule reasons, locked fields and the
before/after of audited changes."""

import pytest

from staff.models import AuditEvent
from tests.factories import clinic_admin_user
from treatments.catalogue_safety import (
    catalogue_change_record,
    hard_rule_reasons,
    locked_fields,
    safety_changes,
)
from treatments.models import Adjunct, PlanSettings, Point

pytestmark = pytest.mark.django_db


def test_hard_rule_reasons_name_the_code_and_the_region():
    assert hard_rule_reasons(Point(code="li4", region="hand")) == ["li4 is one of the points never needled in pregnancy"]
    assert hard_rule_reasons(Point(code="ST25", region="Abdomen"))[0].startswith("its region “Abdomen” is abdominal")
    assert len(hard_rule_reasons(Point(code="CV4", region="lower abdomen"))) == 2
    assert hard_rule_reasons(Point(code="ST36", region="leg")) == []


def test_locked_fields_are_the_set_cautions_and_a_hard_points_code_and_region():
    assert locked_fields(Point.objects.get(code="LI4")) == ("avoid_in_pregnancy", "code", "region")
    assert locked_fields(Point.objects.get(code="ST1")) == ("near_eye",)
    assert locked_fields(Point.objects.get(code="ST36")) == ()
    assert locked_fields(Adjunct.objects.get(code="cupping")) == ("avoid_with_bleeding_risk",)
    assert locked_fields(Point(code="LI4", region="hand")) == ()  # a new row: nothing set yet


def test_a_change_is_audited_with_only_the_safety_fields_that_changed():
    admin = clinic_admin_user()
    before = PlanSettings.load()
    after = PlanSettings.load()
    after.botox_wait_days, after.needles_max = 21, 60
    assert safety_changes(before, after) == {"needles_max": [70, 60], "botox_wait_days": [14, 21]}
    catalogue_change_record(by=admin, before=before, after=after)
    catalogue_change_record(by=admin, before=before, after=PlanSettings.load())  # nothing changed: no event
    event = AuditEvent.objects.get()
    assert (event.action, event.user, event.object_type) == ("change", admin, "treatments.plansettings")


def test_a_deleted_row_is_audited_with_its_last_values():
    adjunct = Adjunct.objects.create(code="microcurrent", name="Facial microcurrent", electrical=True)
    catalogue_change_record(by=clinic_admin_user(), before=adjunct, after=None)
    event = AuditEvent.objects.get()
    assert event.action == "delete" and event.changes["electrical"] == [True, None]
