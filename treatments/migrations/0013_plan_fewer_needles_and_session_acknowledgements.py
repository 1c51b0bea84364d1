"""A plan may stay below the clinic's minimum needle count when the practitioner chooses so
(``Plan.fewer_needles``): the minimum is a target, never a reason to pad a plan; the maximum stays
a database rule. A session record keeps the risks new since the plan that the practitioner
acknowledged at the visit (``SessionRecord.acknowledged``).

On SQLite these changes rebuild the plan and session tables, which the safety triggers name:
they are taken off first and installed again at the end (``treatments.triggers``), as 0006/0010 do.
"""

from django.conf import settings
from django.db import migrations, models

from treatments import triggers


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor)


def install(apps, schema_editor):
    triggers.install(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0007_screening_drop_combined_procedure_answers'),
        ('treatments', '0012_electrical_adjuncts_by_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(uninstall, install),
        migrations.RemoveConstraint(
            model_name='plan',
            name='plan_total_needles_within_limits',
        ),
        migrations.AddField(
            model_name='plan',
            name='fewer_needles',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='sessionrecord',
            name='acknowledged',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddConstraint(
            model_name='plan',
            constraint=models.CheckConstraint(condition=models.Q(('total_needles__lte', models.F('needles_max')), models.Q(('total_needles__gte', models.F('needles_min')), models.Q(('fewer_needles', True), ('total_needles__gte', 1)), _connector='OR')), name='plan_total_needles_within_limits'),
        ),
        migrations.RunPython(install, uninstall),
    ]
