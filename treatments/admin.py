"""The clinic admin edits the point catalogue, its concern weights and the plan settings here.
Plans themselves are clinical records written by acupuncturists through the app, not the admin.

Safety in the admin: the hard rules of a point are shown read-only with why (``catalogue_safety``);
a caution once set stays (an admin can add cautions, never remove one); settings outside the safe
bounds are refused with a message per field (``PlanSettings.clean``); an active concern needs at
least one mapped target; and every change to a safety-relevant field is audited with its before
and after values. The database holds the same rules (constraints and triggers)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from patients.admin import ConcernAdmin
from patients.models import Concern, FaceArea
from treatments.catalogue_safety import catalogue_change_record, hard_rule_reasons, locked_fields
from treatments.hard_rules import electrical_by_name
from treatments.models import Adjunct, ConcernTarget, NeedlingPattern, PlanSettings, Point


class SafetyAuditedAdmin(admin.ModelAdmin):
    """Writes every change to a safety-relevant field to the audit log, with before and after."""

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.get(pk=obj.pk) if change else None
        super().save_model(request, obj, form, change)
        catalogue_change_record(by=request.user, before=before, after=obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue_change_record(by=request.user, before=obj, after=None)

    def delete_queryset(self, request, queryset):
        rows = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in rows:
            catalogue_change_record(by=request.user, before=obj, after=None)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *locked_fields(obj))


class FaceAreasForm(forms.ModelForm):
    face_areas = forms.TypedMultipleChoiceField(
        choices=FaceArea.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The areas the screening asks about (Botox, filler, laser, surgery); a treated area excludes it.",
    )


class ConcernTargetInline(admin.TabularInline):
    model = ConcernTarget
    extra = 1
    fields = ("concern", "weight")


@admin.register(Point)
class PointAdmin(SafetyAuditedAdmin):
    form = FaceAreasForm
    list_display = (
        "code", "former_code", "pinyin", "kind", "region", "face_areas", "side", "near_eye", "avoid_in_pregnancy",
        "lower_abdominal", "caution",
    )
    list_filter = ("kind", "near_eye", "avoid_in_pregnancy")
    search_fields = ("code", "former_code", "pinyin", "region")
    inlines = [ConcernTargetInline]

    @admin.display(description="Hard rules (cannot be changed)")
    def hard_rules(self, obj: Point) -> str:
        reasons = hard_rule_reasons(obj)
        if not reasons:
            return "None: the cautions below are the clinic's own (they can be added, never removed)."
        return f"Never in a pregnant patient's plan: {'; '.join(reasons)}."

    def get_readonly_fields(self, request, obj=None):
        return ("hard_rules", *super().get_readonly_fields(request, obj))


@admin.register(NeedlingPattern)
class NeedlingPatternAdmin(SafetyAuditedAdmin):
    form = FaceAreasForm
    list_display = ("name", "code", "face_areas", "bilateral", "needles_min", "needles_max")
    prepopulated_fields = {"code": ("name",)}
    inlines = [ConcernTargetInline]


class AdjunctForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        electrical = cleaned.get("electrical", self.instance.electrical)  # read-only once set
        if not electrical and electrical_by_name(cleaned.get("name", ""), cleaned.get("description", "")):
            self.add_error("electrical", "This adjunct sounds electrical (current through the skin): tick “electrical” "
                                         "so it is never used with a pacemaker or implanted device.")
        return cleaned


@admin.register(Adjunct)
class AdjunctAdmin(SafetyAuditedAdmin):
    form = AdjunctForm
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
class PlanSettingsAdmin(SafetyAuditedAdmin):
    """One row: no adding a second, no deleting it."""

    def has_add_permission(self, request):
        return not PlanSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


# --- Concerns: the patients app lists them; here they get their targets ---------------------------
class MappedTargetsFormSet(forms.BaseInlineFormSet):
    @classmethod
    def get_default_prefix(cls):
        return "concern-targets"  # the foreign key has no reverse name to derive one from

    def clean(self):
        super().clean()
        if not self.instance.active:
            return
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not kept:
            raise ValidationError(
                "An active concern needs at least one point, line pattern or adjunct that treats it: "
                "map one below, or untick “active”."
            )


class ConcernTargetByConcernInline(admin.TabularInline):
    model = ConcernTarget
    formset = MappedTargetsFormSet
    extra = 1
    fields = ("point", "pattern", "adjunct", "weight")
    verbose_name_plural = "points, line patterns and adjuncts that treat it"


admin.site.unregister(Concern)


@admin.register(Concern)
class MappedConcernAdmin(ConcernAdmin):
    """A concern with nothing mapped would drive no plan: the admin refuses it while active and
    flags any that lost their targets since (a deleted point takes its mappings with it)."""

    inlines = [ConcernTargetByConcernInline]
    list_display = (*ConcernAdmin.list_display, "mapped")

    def get_queryset(self, request):
        targets = (
            ConcernTarget.objects.filter(concern=OuterRef("pk")).values("concern").annotate(n=Count("id")).values("n")
        )
        return super().get_queryset(request).annotate(
            mapped_count=Coalesce(Subquery(targets, output_field=IntegerField()), 0)
        )

    @admin.display(description="points mapped", ordering="mapped_count")
    def mapped(self, obj) -> str:
        return str(obj.mapped_count) if obj.mapped_count else "no points mapped"
