from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff and roles"

    def ready(self) -> None:
        from staff.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, sender=self)
