"""Django's ``ModelBackend`` with one query for a user's permissions and roles per request."""

from django.contrib.auth.backends import ModelBackend

from staff.roles import load_access


class RoleBackend(ModelBackend):
    """``ModelBackend`` reads a user's own permissions and their groups' in two queries, and the
    header's role names (``staff.roles.user_roles``) took a third: ``load_access`` reads all of
    them in one and fills the same per-request caches, so every check after it is free."""

    def get_all_permissions(self, user_obj, obj=None):
        if (user_obj.is_active and not user_obj.is_anonymous and obj is None and not user_obj.is_superuser
                and not hasattr(user_obj, "_perm_cache")):
            load_access(user_obj)
        return super().get_all_permissions(user_obj, obj)
