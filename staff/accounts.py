"""Changes to staff accounts, each audited: role and permission edits, password resets."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group, Permission, User
from django.http import HttpRequest

from staff.audit import audit_account

# Fields only a superuser changes, on anybody.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions")
# Fields nobody changes on their own account.
OWN_ROLE_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


def _plain(value: Any) -> Any:
    """Roles and permissions by name in the trail (ids mean nothing to a reader)."""
    if isinstance(value, Iterable) and not isinstance(value, str):
        return sorted(_plain(item) for item in value)
    if isinstance(value, Group):
        return value.name
    if isinstance(value, Permission):
        return f"{value.content_type.app_label}.{value.codename}"
    return value


def account_changed(*, by: User, account: User, before: Mapping[str, Any], after: Mapping[str, Any],
                    fields: Iterable[str], created: bool) -> None:
    """Record what changed on a staff account, with before and after, as one audit event."""
    changes = {name: [_plain(before.get(name)), _plain(after.get(name))] for name in fields}
    if created:
        changes = {name: [None, value[1]] for name, value in changes.items()}
    if changes or created:
        audit_account(user=by, action="create" if created else "change", account=account,
                      summary="account created" if created else "account changed", changes=changes)


def password_reset_send(*, by: User, account: User, request: HttpRequest) -> bool:
    """Send the reset e-mail to the account's own address (nobody types another's password).
    False when the account has no address to send to."""
    if not account.email or not account.is_active:
        return False
    form = PasswordResetForm({"email": account.email})
    form.is_valid()
    # get_users() picks the account by address; with several accounts on one address each gets a
    # link of its own, which is what the reset page does too.
    form.save(request=request, use_https=request.is_secure())
    audit_account(user=by, action="change", account=account, summary="password reset e-mail sent")
    return True


def password_changed(*, account: User, how: str) -> None:
    """The account's own password changed (signed in, or through a reset link)."""
    audit_account(user=account, action="change", account=account, summary=f"password changed ({how})",
                  changes={"password": ["(hidden)", "(new)"]})
