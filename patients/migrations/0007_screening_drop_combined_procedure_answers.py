"""Removes the combined Botox/filler and surgery/laser/peel answers (carried over by 0006) and
holds the new ones like the old: treated areas need a date."""

from django.db import migrations, models
from django.db.models import Q

PROCEDURES = ("botox", "filler", "laser_peel", "surgery")


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_screening_procedures_from_combined_answers")]

    operations = [
        migrations.RemoveConstraint("screening", "screening_filler_areas_need_date"),
        migrations.RemoveConstraint("screening", "screening_procedure_areas_need_date"),
        migrations.RemoveField("screening", "filler_botox_on"),
        migrations.RemoveField("screening", "filler_botox_areas"),
        migrations.RemoveField("screening", "cosmetic_procedure_on"),
        migrations.RemoveField("screening", "cosmetic_procedure_areas"),
        *(
            migrations.AddConstraint(
                "screening",
                models.CheckConstraint(
                    condition=Q(**{f"{name}_on__isnull": False}) | Q(**{f"{name}_areas": []}),
                    name=f"screening_{name}_areas_need_date",
                ),
            )
            for name in PROCEDURES
        ),
    ]
