"""Carries the old combined answers over to the per-procedure ones, reading them the strict way:
"Botox or filler" becomes both Botox and filler, "surgery, laser or peel" becomes both laser/peel
and surgery (each keeps the date). The old coarse areas covered what is now split off, so each
is widened to the finer areas it contained (e.g. "forehead" covered the glabella, "cheek" the
nasolabial folds and the side of the nose); an area is never narrowed."""

from django.db import migrations

# Old area → the finer areas it covered (the old catalogue filed these points under it).
WIDER = {
    "forehead": ["forehead", "glabella"],
    "periorbital": ["periorbital", "glabella"],
    "cheek": ["cheek", "nasolabial", "nose"],
    "perioral": ["perioral", "nasolabial"],
}


def widened(areas: list[str]) -> list[str]:
    result: list[str] = []
    for area in areas:
        for fine in WIDER.get(area, [area]):
            if fine not in result:
                result.append(fine)
    return result


def forwards(apps, schema_editor):
    Screening = apps.get_model("patients", "Screening")
    rows = Screening.objects.exclude(filler_botox_on=None, cosmetic_procedure_on=None)
    for screening in rows.iterator():
        if screening.filler_botox_on:
            areas = widened(screening.filler_botox_areas)
            screening.botox_on = screening.filler_on = screening.filler_botox_on
            screening.botox_areas, screening.filler_areas = areas, list(areas)
        if screening.cosmetic_procedure_on:
            areas = widened(screening.cosmetic_procedure_areas)
            screening.laser_peel_on = screening.surgery_on = screening.cosmetic_procedure_on
            screening.laser_peel_areas, screening.surgery_areas = areas, list(areas)
        screening.save(update_fields=[
            "botox_on", "botox_areas", "filler_on", "filler_areas",
            "laser_peel_on", "laser_peel_areas", "surgery_on", "surgery_areas",
        ])


def backwards(apps, schema_editor):
    Screening = apps.get_model("patients", "Screening")
    for screening in Screening.objects.iterator():
        dates = [d for d in (screening.botox_on, screening.filler_on) if d]
        screening.filler_botox_on = max(dates) if dates else None
        screening.filler_botox_areas = sorted(set(screening.botox_areas) | set(screening.filler_areas))
        dates = [d for d in (screening.laser_peel_on, screening.surgery_on) if d]
        screening.cosmetic_procedure_on = max(dates) if dates else None
        screening.cosmetic_procedure_areas = sorted(set(screening.laser_peel_areas) | set(screening.surgery_areas))
        screening.save(update_fields=[
            "filler_botox_on", "filler_botox_areas", "cosmetic_procedure_on", "cosmetic_procedure_areas",
        ])


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_screening_per_procedure_fields")]
    operations = [migrations.RunPython(forwards, backwards)]
