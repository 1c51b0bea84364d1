"""``manage.py migrate`` as the database owner when ``DATABASE_OWNER_URL`` is set, then the
application's role granted what it needs on the tables (``staff.db_roles``). Django's own test
database set-up calls this command too."""

from django.core.management.commands import migrate

from staff import db_roles


class Command(migrate.Command):
    def handle(self, *args, **options):
        with db_roles.as_owner(options["database"]):
            super().handle(*args, **options)
            db_roles.grant_app_role(options["database"])
