from django.contrib import admin

from scheduling.models import (
    AppointmentType,
    ClinicSettings,
    Closure,
    OpeningHours,
    Practitioner,
    Room,
    SweepHeartbeat,
    TimeOff,
    WorkingHours,
)


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(admin.ModelAdmin):
    fields = ("name", "address", "phone", "time_zone", "maintenance_weeks", "visit_reminder_hours",
              "maintenance_reminder_days", "slot_minutes")
    # The zone comes from the environment (CLINIC_TIME_ZONE); shown here so admins can see it.
    readonly_fields = ("time_zone",)

    @admin.display(description="time zone (set by CLINIC_TIME_ZONE)")
    def time_zone(self, obj):
        return obj.time_zone

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ClinicSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "display_order", "active")
    list_editable = ("display_order", "active")


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ("weekday", "opens", "closes")


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("reason", "first_day", "last_day")
    date_hierarchy = "first_day"


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "active")
    inlines = [WorkingHoursInline, TimeOffInline]


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "duration_minutes", "active")


@admin.register(SweepHeartbeat)
class SweepHeartbeatAdmin(admin.ModelAdmin):
    """When the reminder sweep last ran, as recorded by the sweep itself: read-only."""

    list_display = ("swept_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
