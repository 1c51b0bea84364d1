"""A plan may stay below the clinic's minimum needle count when the practitioner chooses so
(``Plan.fewer_needles``): the minimum is a target, never a reason to pad a plan (issue 10). The
maximum stays a database rule.

SQLite changes a check constraint by rebuilding the table, which would drop the triggers on
``treatments_plan`` and fail on the triggers of other tables that name it; they are set aside
and put back exactly as they were (whatever migration wrote them).
"""

from django.conf import settings
from django.db import migrations, models

_set_aside: list[str] = []


def _set_aside_plan_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (tbl_name = 'treatments_plan' OR sql LIKE '%treatments_plan %')"
        )
        rows = cursor.fetchall()
    _set_aside[:] = [sql for _, sql in rows]
    for name, _ in rows:
        schema_editor.execute(f'DROP TRIGGER "{name}"')


def _put_back_plan_triggers(apps, schema_editor):
    for sql in _set_aside:
        schema_editor.execute(sql)
    _set_aside.clear()


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0004_concern_initial_severity_required'),
        ('treatments', '0005_session_safety_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_set_aside_plan_triggers, _put_back_plan_triggers),
        migrations.RemoveConstraint(
            model_name='plan',
            name='plan_total_needles_within_limits',
        ),
        migrations.AddField(
            model_name='plan',
            name='fewer_needles',
            field=models.BooleanField(default=False),
        ),
        migrations.AddConstraint(
            model_name='plan',
            constraint=models.CheckConstraint(condition=models.Q(('total_needles__lte', models.F('needles_max')), models.Q(('total_needles__gte', models.F('needles_min')), models.Q(('fewer_needles', True), ('total_needles__gte', 1)), _connector='OR')), name='plan_total_needles_within_limits'),
        ),
        migrations.RunPython(_put_back_plan_triggers, _set_aside_plan_triggers),
    ]
