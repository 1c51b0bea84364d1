"""The clinic admin edits the point catalogue, its concern weights and the plan settings here.
Plans themselves are clinical records written by acupuncturists through the app, not the admin."""

from django.contrib import admin

from treatments.models import Adjunct, ConcernTarget, NeedlingPattern, PlanSettings, Point


class ConcernTargetInline(admin.TabularInline):
    model = ConcernTarget
    extra = 1
    fields = ("concern", "weight")


@admin.register(Point)
class PointAdmin(admin.ModelAdmin):
    list_display = ("code", "former_code", "pinyin", "kind", "region", "face_areas", "side", "near_eye", "avoid_in_pregnancy", "lower_abdominal", "caution")
    list_filter = ("kind", "near_eye", "avoid_in_pregnancy")
    search_fields = ("code", "pinyin", "region")
    inlines = [ConcernTargetInline]


@admin.register(NeedlingPattern)
class NeedlingPatternAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "face_areas", "bilateral", "needles_min", "needles_max")
    prepopulated_fields = {"code": ("name",)}
    inlines = [ConcernTargetInline]


@admin.register(Adjunct)
class AdjunctAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "avoid_with_bleeding_risk", "electrical")
    prepopulated_fields = {"code": ("name",)}
    inlines = [ConcernTargetInline]


@admin.register(ConcernTarget)
class ConcernTargetAdmin(admin.ModelAdmin):
    list_display = ("concern", "point", "pattern", "adjunct", "weight")
    list_filter = ("concern",)
    list_editable = ("weight",)
    list_select_related = ("concern", "point", "pattern", "adjunct")


@admin.register(PlanSettings)
class PlanSettingsAdmin(admin.ModelAdmin):
    """One row: no adding a second, no deleting it."""

    def has_add_permission(self, request):
        return not PlanSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False
