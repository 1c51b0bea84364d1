"""A visit lasts at most 8 hours: availability relies on it to read a bounded index range (a
visit overlapping a time starts at most 8 hours before it)."""

import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_reminders")]

    operations = [
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=models.Q(ends_at__lte=models.F("starts_at") + datetime.timedelta(hours=8)),
                name="visit_at_most_8_hours",
            ),
        ),
    ]
