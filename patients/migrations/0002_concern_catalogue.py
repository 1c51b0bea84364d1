from django.db import migrations

CONCERNS = [
    ("fine-lines", "Fine lines", "Fine lines on the forehead and around the eyes", 10),
    ("wrinkles", "Wrinkles", "Deeper lines: forehead, frown lines, crow's feet, nasolabial folds", 20),
    ("puffiness", "Puffiness", "Puffy eyes and face, fluid retention", 30),
    ("dark-circles", "Dark circles", "Dark circles under the eyes", 40),
    ("discoloration", "Discoloration / uneven tone", "Pigmentation, redness, uneven tone", 50),
    ("dullness", "Dullness", "Dull, poorly circulated skin", 60),
    ("sagging", "Loss of elasticity / sagging", "Loss of firmness, jowls, drooping", 70),
]


def load(apps, schema_editor):
    Concern = apps.get_model("patients", "Concern")
    for code, name, description, order in CONCERNS:
        Concern.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "display_order": order}
        )


def unload(apps, schema_editor):
    apps.get_model("patients", "Concern").objects.filter(code__in=[c[0] for c in CONCERNS]).delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
