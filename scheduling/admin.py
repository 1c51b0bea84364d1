from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from scheduling.closures import affected_visits_record
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
from staff.admin import ReadOnlyAdminMixin


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(admin.ModelAdmin):
    fields = ("name", "address", "phone", "time_zone", "maintenance_weeks", "visit_reminder_hours",
              "maintenance_reminder_days", "late_cancel_hours", "slot_minutes",
              "health_check_days_before", "patient_min_notice_hours")
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


def _tell_affected(modeladmin, request, pending) -> None:
    """Saving a closure or time off over booked visits is never silent: say how many wait."""
    if pending:
        modeladmin.message_user(request, format_html(
            '{} booked visit(s) lie inside it and need a decision (move, cancel or keep): <a href="{}">decide now</a>.',
            len(pending), reverse("scheduling:decisions"),
        ), level="warning")


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("reason", "first_day", "last_day")
    date_hierarchy = "first_day"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _tell_affected(self, request, affected_visits_record(closure=obj))


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffFormSet(BaseInlineFormSet):
    def clean(self):
        """The same time off sent again (a double click, a retry) is refused with a message: the
        database's ``time_off_once`` would refuse it too, but the inline does not check it."""
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or not form.has_changed() or data.get("DELETE") or not (data.get("starts_at") and data.get("ends_at")):
                continue
            if TimeOff.objects.filter(practitioner=self.instance, starts_at=data["starts_at"], ends_at=data["ends_at"]
                                      ).exclude(pk=form.instance.pk).exists():
                form.add_error(None, "This time off is saved already (the same times).")


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    formset = TimeOffFormSet
    extra = 0


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "active")
    inlines = [WorkingHoursInline, TimeOffInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is TimeOff:
            pending = [row for time_off in formset.new_objects + [obj for obj, _ in formset.changed_objects]
                       for row in affected_visits_record(time_off=time_off)]
            _tell_affected(self, request, pending)


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "duration_minutes", "active")


@admin.register(SweepHeartbeat)
class SweepHeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """When the reminder sweep last ran, as recorded by the sweep itself: read-only."""

    list_display = ("swept_at",)
