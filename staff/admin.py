"""The admin for staff accounts and roles, built so that nobody widens their own access.

Only a superuser grants superuser, staff status or single permissions; nobody edits their own
roles; role (group) permissions are read-only here (each app's ``permissions.py`` owns them); a
password is never typed for somebody else (the reset e-mail goes to their own address); and every
change lands in the audit trail with before and after.
"""

import csv
import json
import secrets

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect

from staff.accounts import OWN_ROLE_FIELDS, SUPERUSER_ONLY_FIELDS, account_changed, password_reset_send
from staff.models import AuditEvent


def _spreadsheet_safe(value):
    # A summary holds typed text (search terms); a leading = + - @ would run as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


admin.site.unregister(User)
admin.site.unregister(Group)


class StaffCreationForm(forms.ModelForm):
    """A new account gets a random password nobody knows; the reset e-mail lets its owner set one."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(secrets.token_urlsafe(32))
        if commit:
            user.save()
        return user


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    add_form = StaffCreationForm
    add_fieldsets = ((None, {"fields": ("username", "first_name", "last_name", "email")}),)
    actions = ["send_password_reset"]

    def get_readonly_fields(self, request, obj=None):
        readonly = {"last_login", "date_joined"}
        if not request.user.is_superuser:
            readonly.update(SUPERUSER_ONLY_FIELDS)
            if obj is not None:
                # A changed address plus a reset e-mail would hand over the account.
                readonly.add("email")
        if obj is not None and obj.pk == request.user.pk:
            readonly.update(OWN_ROLE_FIELDS)
        return sorted(readonly)

    def has_change_permission(self, request, obj=None):
        # A clinic admin does not touch a superuser's account.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Staff are deactivated, never deleted: the audit trail names them.
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        fields = [name for name in form.changed_data if name != "password"]
        account_changed(by=request.user, account=form.instance, before=form.initial, after=form.cleaned_data,
                        fields=fields, created=not change)
        if not change and password_reset_send(by=request.user, account=form.instance, request=request):
            messages.info(request, f"A password e-mail went to {form.instance.email}.")

    def user_change_password(self, request, id, form_url=""):
        if str(request.user.pk) != str(id):
            raise PermissionDenied("Other people's passwords are reset by e-mail (the action on the user list).")
        return redirect("password_change")

    @admin.action(description="Send a password reset e-mail", permissions=["change"])
    def send_password_reset(self, request, queryset):
        sent = [user.username for user in queryset if password_reset_send(by=request.user, account=user, request=request)]
        messages.info(request, f"Reset e-mails sent: {', '.join(sent) or 'none (no address or inactive)'}.")


class ReadOnlyAdminMixin:
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Group)
class RoleAdmin(ReadOnlyAdminMixin, GroupAdmin):
    """Roles are shown, never edited here: staff.roles keeps them in line with permissions.py."""


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log is evidence: nobody edits or deletes it, not even the clinic admin. Filter by
    patient with ``?patient_id=<id>``, by staff member and period in the sidebar, then export."""

    list_display = ("at", "user", "action", "object_type", "object_id", "patient_id", "summary", "changes")
    list_filter = ("action", "object_type", ("at", admin.DateFieldListFilter), ("user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=patient_id", "user__username", "object_id", "summary")
    date_hierarchy = "at"
    list_select_related = ("user",)
    actions = ["export_csv"]

    @admin.action(description="Export the selected events as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        writer = csv.writer(response)
        columns = ["seq", "at", "user", "action", "object_type", "object_id", "patient_id", "summary", "changes", "hash"]
        writer.writerow(columns)
        for event in queryset.select_related("user").order_by("seq"):
            row = [event.seq, event.at.isoformat(), event.user.username if event.user else "", event.action,
                   event.object_type, event.object_id, event.patient_id or "", event.summary,
                   json.dumps(event.changes, ensure_ascii=False), event.hash]
            writer.writerow([_spreadsheet_safe(value) for value in row])
        return response
