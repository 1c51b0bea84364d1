"""Fills 0007's fields for the reference catalogue and carries the clinic's settings over.

* Face areas per point and line pattern, from the reference anatomy (a point on a border lies in
  both areas, so treating either area excludes it): e.g. the nasolabial-fold pattern, LI20 and
  ST3 are in the nasolabial folds; BL2 and the frown-line pattern between the brows.
* "Near the eye": the points on or next to the orbital rim where a bleed shows as a black eye —
  ST1 (infraorbital ridge), ST2 (infraorbital foramen), GB1 (outer canthus), BL2 (inner end of
  the brow), EX-HN4 (mid-brow, above the pupil).
* WHO 2008 codes: Yintang is GV29 (formerly the extra point EX-HN3); BL2 is Cuanzhu.
* Points the clinic added keep their area, widened to the finer areas it used to cover.
* Settings: the old combined waits become the per-procedure ones, and every value is brought
  inside the safe bounds (treatments.hard_rules) so 0009's check constraints hold.
"""

from django.db import migrations

POINT_AREAS = {
    "GV24": ["forehead"],
    "ST8": ["forehead", "temple"],
    "GB14": ["forehead"],
    "EX-HN3": ["glabella"],
    "BL2": ["glabella", "periorbital"],
    "EX-HN4": ["periorbital"],
    "TE23": ["periorbital"],
    "GB1": ["periorbital"],
    "EX-HN5": ["temple"],
    "ST1": ["periorbital"],
    "ST2": ["periorbital", "cheek"],
    "SI18": ["cheek"],
    "ST3": ["cheek", "nasolabial"],
    "LI20": ["nasolabial", "nose"],
    "ST7": ["jawline"],
    "GV26": ["perioral"],
    "ST4": ["perioral"],
    "CV24": ["chin", "perioral"],
    "ST5": ["jawline"],
    "ST6": ["jawline"],
    "CV23": ["neck"],
}
PATTERN_AREAS = {
    "forehead-lines": ["forehead"],
    "glabellar-lines": ["glabella"],
    "crows-feet": ["periorbital"],
    "nasolabial-folds": ["nasolabial"],
    "marionette-lines": ["perioral", "chin"],
    "neck-lines": ["neck"],
}
NEAR_EYE = {"ST1", "ST2", "GB1", "BL2", "EX-HN4"}
# Old coarse area → the finer areas it covered.
WIDER = {
    "forehead": ["forehead", "glabella"],
    "periorbital": ["periorbital", "glabella"],
    "cheek": ["cheek", "nasolabial", "nose"],
    "perioral": ["perioral", "nasolabial"],
}
# Setting → (floor, ceiling) as in treatments.hard_rules at the time of writing.
BOUNDS = {
    "needles_min": (10, 80), "needles_max": (10, 80), "reduced_needles_max": (10, 80),
    "retention_min": (10, 45), "retention_max": (10, 45),
    "botox_wait_days": (14, None), "filler_wait_days": (14, None),
    "laser_peel_wait_days": (30, None), "surgery_wait_days": (30, None),
}


def catalogue(apps, schema_editor):
    Point = apps.get_model("treatments", "Point")
    NeedlingPattern = apps.get_model("treatments", "NeedlingPattern")
    for point in Point.objects.all():
        point.face_areas = POINT_AREAS.get(point.code) or (WIDER.get(point.face_area, [point.face_area]) if point.face_area else [])
        point.near_eye = point.code in NEAR_EYE
        if point.code == "EX-HN3":
            point.code, point.former_code, point.region = "GV29", "EX-HN3", "between the brows (glabella)"
        if point.code == "BL2":
            point.pinyin = "Cuanzhu"
        point.save()
    for pattern in NeedlingPattern.objects.all():
        pattern.face_areas = PATTERN_AREAS.get(pattern.code) or WIDER.get(pattern.face_area, [pattern.face_area])
        pattern.save()


def settings(apps, schema_editor):
    PlanSettings = apps.get_model("treatments", "PlanSettings")
    for row in PlanSettings.objects.all():
        row.botox_wait_days = row.filler_wait_days = row.filler_botox_wait_days
        row.laser_peel_wait_days = row.surgery_wait_days = row.procedure_wait_days
        for name, (floor, ceiling) in BOUNDS.items():
            value = max(getattr(row, name), floor)
            setattr(row, name, min(value, ceiling) if ceiling is not None else value)
        # A range that no longer makes sense inside the bounds goes back to the defaults.
        if not row.needles_min <= row.reduced_needles_max < row.needles_max:
            row.needles_min, row.reduced_needles_max, row.needles_max = 40, 46, 70
        if row.retention_min > row.retention_max:
            row.retention_min, row.retention_max = 20, 30
        row.save()


def catalogue_back(apps, schema_editor):
    Point = apps.get_model("treatments", "Point")
    NeedlingPattern = apps.get_model("treatments", "NeedlingPattern")
    for point in Point.objects.all():
        if point.code == "GV29":
            point.code, point.former_code, point.region = "EX-HN3", "", "forehead (glabella)"
        if point.code == "BL2":
            point.pinyin = "Zanzhu"
        point.face_area = point.face_areas[0] if point.face_areas else ""
        point.save()
    for pattern in NeedlingPattern.objects.all():
        pattern.face_area = pattern.face_areas[0]
        pattern.save()


def settings_back(apps, schema_editor):
    PlanSettings = apps.get_model("treatments", "PlanSettings")
    for row in PlanSettings.objects.all():
        row.filler_botox_wait_days = max(row.botox_wait_days, row.filler_wait_days)
        row.procedure_wait_days = max(row.laser_peel_wait_days, row.surgery_wait_days)
        row.save()


class Migration(migrations.Migration):
    dependencies = [("treatments", "0007_point_areas_and_safety_fields")]
    operations = [migrations.RunPython(catalogue, catalogue_back), migrations.RunPython(settings, settings_back)]
