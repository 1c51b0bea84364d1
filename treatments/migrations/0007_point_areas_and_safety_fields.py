"""New catalogue and settings fields for clinical safety (issue 10): face points and line patterns
belong to one or more of the finer face areas, points carry their former code and whether
needling them risks a bleed at the eye, adjuncts whether they are electrical, and the plan
settings have one wait per cosmetic procedure. 0008 fills them; 0009 drops the old fields."""

from django.db import migrations, models

import patients.models


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_screening_drop_combined_procedure_answers"), ("treatments", "0006_drop_safety_triggers_for_rebuilds")]

    operations = [
        migrations.AlterField(
            "point", "code",
            models.CharField("WHO code", max_length=12, unique=True, help_text="WHO 2008 standard code (e.g. GV29)."),
        ),
        migrations.AddField(
            "point", "former_code",
            models.CharField(
                max_length=12, blank=True,
                help_text="An older code practitioners may know it by (e.g. EX-HN3 for Yintang).",
            ),
        ),
        migrations.AddField(
            "point", "face_areas",
            models.JSONField(
                default=list, blank=True, validators=[patients.models.validate_face_areas],
                help_text="For face points: the areas the screening asks about (Botox, filler, laser, surgery); a point may lie in several.",
            ),
        ),
        migrations.AddField(
            "point", "near_eye",
            models.BooleanField(
                default=False,
                help_text="Needling it risks a bruise or bleed at the eye (e.g. ST1): a risk to acknowledge with bleeding risk.",
            ),
        ),
        migrations.AddField(
            "needlingpattern", "face_areas",
            models.JSONField(
                default=list, validators=[patients.models.validate_face_areas],
                help_text="The face areas it needles (one or more).",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            "adjunct", "electrical",
            models.BooleanField(
                default=False,
                help_text="Uses electric current (e.g. microcurrent): never with a pacemaker or implanted device.",
            ),
        ),
        migrations.AddField(
            "plansettings", "botox_wait_days",
            models.PositiveSmallIntegerField("days after Botox before needling the treated area", default=14),
        ),
        migrations.AddField(
            "plansettings", "filler_wait_days",
            models.PositiveSmallIntegerField("days after dermal filler before needling the treated area", default=14),
        ),
        migrations.AddField(
            "plansettings", "laser_peel_wait_days",
            models.PositiveSmallIntegerField("days after laser or a peel before needling the treated area", default=30),
        ),
        migrations.AddField(
            "plansettings", "surgery_wait_days",
            models.PositiveSmallIntegerField("days after cosmetic surgery before needling the treated area", default=30),
        ),
    ]
