"""Drops the single face area and the combined waits (carried over by 0008) and holds the plan
settings inside the safe bounds of treatments.hard_rules with check constraints: needles 10–80,
retention 10–45 minutes, waits of at least 14 days after Botox or filler and 30 after laser, peel
or surgery, each range in order, and the reduced cap strictly below the maximum."""

from django.db import migrations, models
from django.db.models import F, Q

# Setting → (floor, ceiling or None), the values of treatments.hard_rules when this was written.
BOUNDS = {
    "needles_min": (10, 80), "needles_max": (10, 80), "reduced_needles_max": (10, 80),
    "retention_min": (10, 45), "retention_max": (10, 45),
    "botox_wait_days": (14, None), "filler_wait_days": (14, None),
    "laser_peel_wait_days": (30, None), "surgery_wait_days": (30, None),
}


def _within(name: str, floor: int, ceiling: int | None) -> Q:
    condition = Q(**{f"{name}__gte": floor})
    return condition & Q(**{f"{name}__lte": ceiling}) if ceiling is not None else condition


class Migration(migrations.Migration):
    dependencies = [("treatments", "0008_catalogue_fine_face_areas")]

    operations = [
        migrations.RemoveConstraint("plansettings", "plansettings_needle_range"),
        migrations.RemoveConstraint("plansettings", "plansettings_reduced_within_range"),
        migrations.RemoveConstraint("plansettings", "plansettings_retention_range"),
        migrations.RemoveConstraint("point", "point_face_needs_area_and_position"),
        migrations.RemoveConstraint("point", "point_area_only_on_face"),
        migrations.RemoveField("point", "face_area"),
        migrations.RemoveField("needlingpattern", "face_area"),
        migrations.RemoveField("plansettings", "filler_botox_wait_days"),
        migrations.RemoveField("plansettings", "procedure_wait_days"),
        migrations.AddConstraint(
            "point",
            models.CheckConstraint(
                condition=~Q(kind="face") | (~Q(face_areas=[]) & Q(face_x__isnull=False)),
                name="point_face_needs_areas_and_position",
            ),
        ),
        migrations.AddConstraint(
            "point", models.CheckConstraint(condition=Q(kind="face") | Q(face_areas=[]), name="point_areas_only_on_face")
        ),
        migrations.AddConstraint(
            "needlingpattern", models.CheckConstraint(condition=~Q(face_areas=[]), name="pattern_has_face_areas")
        ),
        *(
            migrations.AddConstraint(
                "plansettings",
                models.CheckConstraint(condition=_within(name, floor, ceiling), name=f"plansettings_{name}_bounds"),
            )
            for name, (floor, ceiling) in BOUNDS.items()
        ),
        migrations.AddConstraint(
            "plansettings",
            models.CheckConstraint(condition=Q(needles_min__lte=F("needles_max")), name="plansettings_needle_range"),
        ),
        migrations.AddConstraint(
            "plansettings",
            models.CheckConstraint(
                condition=Q(reduced_needles_max__gte=F("needles_min")) & Q(reduced_needles_max__lt=F("needles_max")),
                name="plansettings_reduced_below_max",
            ),
        ),
        migrations.AddConstraint(
            "plansettings",
            models.CheckConstraint(condition=Q(retention_min__lte=F("retention_max")), name="plansettings_retention_range"),
        ),
    ]
