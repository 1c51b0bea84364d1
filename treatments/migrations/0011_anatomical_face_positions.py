"""Moves face points to where anatomy puts them on the drawn outline (treatments.chart.OUTLINE):
ST1 on the infraorbital ridge below the pupil (it was drawn inside the eye), ST2 below it, ST3
below the pupil at the level of the nostril, LI20 beside the nostril, ST4 lateral to the mouth
corner (it was drawn on the lips), GB1 level with the outer canthus, and ST5, ST6 and ST8 inside
the face outline. tests/treatments/test_chart.py checks every point against the outline."""

from django.db import migrations

# code → (new x, new y), (reference x, y before)
POSITIONS = {
    "ST1": ((36, 46), (36, 42)),
    "ST2": ((36, 50), (36, 47)),
    "ST3": ((36, 58), (37, 56)),
    "LI20": ((42, 55), (43, 58)),
    "ST4": ((35, 71), (41, 71)),
    "GB1": ((25, 40), (25, 38)),
    "ST5": ((30, 78), (27, 82)),
    "ST6": ((19, 70), (17, 72)),
    "ST8": ((23, 8), (22, 6)),
}


def move(index: int):
    def run(apps, schema_editor):
        Point = apps.get_model("treatments", "Point")
        for code, positions in POSITIONS.items():
            x, y = positions[index]
            Point.objects.filter(code=code).update(face_x=x, face_y=y)

    return run


class Migration(migrations.Migration):
    dependencies = [("treatments", "0010_safety_triggers_by_code_and_region")]
    operations = [migrations.RunPython(move(0), move(1))]
