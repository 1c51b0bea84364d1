"""The three staff roles and the permissions each holds.

Each app lists what every role may do in its own ``permissions.py`` (``ROLE_PERMISSIONS``), so
the rules sit beside the models they protect. After every ``migrate`` the groups are brought in
line with those lists: a permission removed from a list is removed from the group.
"""

import functools
from importlib import import_module

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connections, router, transaction
from django.db.models import CharField, Value

FRONT_DESK = "Front desk"
ACUPUNCTURIST = "Acupuncturist"
CLINIC_ADMIN = "Clinic admin"
ROLES = (FRONT_DESK, ACUPUNCTURIST, CLINIC_ADMIN)


def role_permissions() -> dict[str, set[str]]:
    """``{role: {"app_label.codename", ...}}`` collected from every installed app."""
    result: dict[str, set[str]] = {role: set() for role in ROLES}
    for config in global_apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.permissions":
                raise
            continue
        for role, perms in module.ROLE_PERMISSIONS.items():
            result[role].update(perms)
    return result


@transaction.atomic
def sync_roles() -> None:
    wanted = role_permissions()
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for label in sorted(wanted[role]):
            app_label, codename = label.split(".", 1)
            try:
                perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            except Permission.DoesNotExist:
                raise LookupError(f"Role {role!r} lists unknown permission {label!r}") from None
        group.permissions.set(perms)


def sync_roles_after_migrate(sender, using="default", **kwargs) -> None:
    # Permissions are created app by app after migrate; make sure every app's exist before the
    # groups refer to them, whatever order the apps are in.
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    sync_roles()


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_role_cache"):
        load_access(user)
    return user._role_cache


def load_access(user) -> None:
    """Reads the user's roles (group names) and permissions (their own and their roles') in one
    query, and keeps them on the user object for the rest of the request in the attributes
    Django's ``ModelBackend`` caches permissions in: the access check, the menu's ``perms`` and
    the role names in the header share it (``staff.backends.RoleBackend``). A superuser's
    permissions stay Django's (all of them); only the roles are read for them here."""
    with connections[router.db_for_read(Permission)].cursor() as cursor:
        cursor.execute(_access_sql(cursor.db.alias), [user.pk, user.pk])
        rows = cursor.fetchall()
    roles: set[str] = set()
    perms: dict[bool, set[str]] = {False: set(), True: set()}  # from a role?
    for app_label, codename, role in rows:
        if role is not None:
            roles.add(role)
        if codename is not None:
            perms[role is not None].add(f"{app_label}.{codename}")
    user._role_cache = roles
    if not user.is_superuser:
        user._user_perm_cache, user._group_perm_cache = perms[False], perms[True]
        user._perm_cache = perms[False] | perms[True]


@functools.cache
def _access_sql(alias: str) -> str:
    """``load_access``'s query, compiled once per process: compiling the union took longer than
    running it, on every request. The user's id is its only parameter, twice."""
    own = Permission.objects.using(alias).filter(user=0).order_by().values_list(
        "content_type__app_label", "codename", Value(None, output_field=CharField()))
    via_roles = Group.objects.using(alias).filter(user=0).order_by().values_list(
        "permissions__content_type__app_label", "permissions__codename", "name")
    sql, params = own.union(via_roles, all=True).query.sql_with_params()
    if params != (0, 0):
        raise RuntimeError(f"the access query takes the user's id twice, not {params!r}")
    return sql
