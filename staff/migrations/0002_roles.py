from django.db import migrations

# The permissions of each group are kept in line with the apps' permissions.py after every
# migrate (staff.roles.sync_roles); this migration creates the groups themselves.
ROLES = ("Front desk", "Acupuncturist", "Clinic admin")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, delete_groups)]
