from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    # Separate from 0003 so that PostgreSQL alters the table in a transaction of its own, after
    # the copy has committed.
    dependencies = [("patients", "0003_concern_initial_severity")]

    operations = [
        migrations.AlterField(
            model_name="patientconcern",
            name="initial_severity",
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="patientconcern",
            constraint=models.CheckConstraint(
                condition=Q(initial_severity__gte=0) & Q(initial_severity__lte=10),
                name="concern_initial_severity_0_10",
            ),
        ),
    ]
