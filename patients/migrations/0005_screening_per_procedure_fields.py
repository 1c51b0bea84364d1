"""Screening asks each cosmetic procedure on its own (Botox, dermal filler, laser/peel, cosmetic
surgery; each with its date and areas) and metal allergy as a yes/no answer. The old combined
answers are carried over by 0006 and removed by 0007."""

from django.db import migrations, models

import patients.models


def _areas(verbose_name: str) -> models.JSONField:
    return models.JSONField(verbose_name, default=list, blank=True, validators=[patients.models.validate_face_areas])


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_concern_initial_severity_required")]

    operations = [
        migrations.AddField("screening", "botox_on", models.DateField("date of the last Botox", null=True, blank=True)),
        migrations.AddField("screening", "botox_areas", _areas("Botox areas")),
        migrations.AddField("screening", "filler_on", models.DateField("date of the last dermal filler", null=True, blank=True)),
        migrations.AddField("screening", "filler_areas", _areas("filler areas")),
        migrations.AddField(
            "screening", "laser_peel_on", models.DateField("date of the last laser or peel", null=True, blank=True)
        ),
        migrations.AddField("screening", "laser_peel_areas", _areas("laser/peel areas")),
        migrations.AddField(
            "screening", "surgery_on", models.DateField("date of the last cosmetic surgery", null=True, blank=True)
        ),
        migrations.AddField("screening", "surgery_areas", _areas("surgery areas")),
        migrations.AddField(
            "screening", "metal_allergy", models.BooleanField("metal (nickel) allergy", default=False)
        ),
    ]
