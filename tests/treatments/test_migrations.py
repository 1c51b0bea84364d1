"""A clinic's existing data goes through the safety migrations the strict way: combined screening
answers become every procedure they could mean, coarse areas widen to the finer ones they covered,
the catalogue gets its finer areas and WHO 2008 codes, and unsafe settings come inside the bounds."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("patients", "0004_concern_initial_severity_required"), ("treatments", "0005_session_safety_triggers")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_answers_catalogue_and_settings_migrate_the_strict_way(db_owner):
    old = migrate(BEFORE)
    patient = old.get_model("patients", "Patient").objects.create(
        first_name="Old", last_name="Record", date_of_birth=dt.date(1980, 1, 1), email="old@example.com"
    )
    day = dt.date(2026, 1, 5)
    old.get_model("patients", "Screening").objects.create(
        patient=patient, answered_at=timezone.now(), filler_botox_on=day, filler_botox_areas=["cheek"],
        cosmetic_procedure_on=day, cosmetic_procedure_areas=["forehead", "neck"],
    )
    old.get_model("treatments", "PlanSettings").objects.filter(pk=1).update(
        needles_max=300, reduced_needles_max=300, retention_max=240, filler_botox_wait_days=0, procedure_wait_days=0
    )

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    screening = new.get_model("patients", "Screening").objects.get(patient_id=patient.pk)
    assert screening.botox_on == screening.filler_on == day
    assert screening.botox_areas == screening.filler_areas == ["cheek", "nasolabial", "nose"]
    assert screening.laser_peel_on == screening.surgery_on == day
    assert screening.laser_peel_areas == screening.surgery_areas == ["forehead", "glabella", "neck"]
    settings = new.get_model("treatments", "PlanSettings").objects.get()
    assert (settings.needles_min, settings.reduced_needles_max, settings.needles_max) == (40, 46, 70)
    assert settings.retention_max == 45
    assert (settings.botox_wait_days, settings.filler_wait_days) == (14, 14)
    assert (settings.laser_peel_wait_days, settings.surgery_wait_days) == (30, 30)
    points = {p.code: p for p in new.get_model("treatments", "Point").objects.all()}
    assert "EX-HN3" not in points and points["GV29"].former_code == "EX-HN3"
    assert points["BL2"].pinyin == "Cuanzhu" and points["BL2"].face_areas == ["glabella", "periorbital"]
    assert points["LI20"].face_areas == ["nasolabial", "nose"] and points["ST1"].near_eye
