"""Photos are versioned instead of replaced: several rows per session and view, numbered."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0016_session_addendum'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='sessionphoto',
            name='photo_one_per_view',
        ),
        migrations.AddField(
            model_name='sessionphoto',
            name='version',
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddConstraint(
            model_name='sessionphoto',
            constraint=models.UniqueConstraint(fields=('record', 'view', 'version'), name='photo_one_per_view_version'),
        ),
        migrations.AddConstraint(
            model_name='sessionphoto',
            constraint=models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='photo_version_positive'),
        ),
    ]
