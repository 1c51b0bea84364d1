"""Reinstalls the safety triggers (treatments.triggers): "TENS" joins the words that make an adjunct
electrical by its name (the rules and the triggers now share ``hard_rules.ELECTRICAL_NAME_WORDS``)."""

from django.db import migrations

from treatments import triggers


def reinstall(apps, schema_editor):
    triggers.uninstall(schema_editor)
    triggers.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0013_plan_fewer_needles_and_session_acknowledgements")]
    operations = [migrations.RunPython(reinstall, reinstall)]
