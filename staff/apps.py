from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff and roles"

    def ready(self) -> None:
        # Django's convention: signal receivers are connected once the app registry is ready.
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from staff import authentication, two_factor
        from staff.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, sender=self)
        user_logged_in.connect(authentication.on_login, dispatch_uid="staff.audit.login")
        user_logged_in.connect(two_factor.on_login, dispatch_uid="staff.two_factor.login")
        user_logged_out.connect(authentication.on_logout, dispatch_uid="staff.audit.logout")
        user_login_failed.connect(authentication.on_login_failed, dispatch_uid="staff.audit.login_failed")
        user_locked_out.connect(authentication.on_locked_out, dispatch_uid="staff.audit.lockout")
