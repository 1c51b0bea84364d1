"""The audit log keeps each field's before and after for reviewable changes, and records deletions."""


from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('staff', '0002_roles'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='changes',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('view', 'viewed'), ('create', 'created'), ('change', 'changed'), ('delete', 'deleted')], max_length=10),
        ),
    ]
