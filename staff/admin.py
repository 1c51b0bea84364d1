from django.contrib import admin

from staff.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "action", "object_type", "object_id", "patient_id", "summary", "changes")
    list_filter = ("action", "object_type")
    search_fields = ("user__username", "patient_id", "object_id")
    date_hierarchy = "at"

    # The audit log is evidence: nobody edits or deletes it, not even the clinic admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
