"""Patients' point plans (the latest is the current one) and practitioners' templates."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from patients.models import Concern, Patient, Screening
from treatments.models.catalogue import Adjunct, NeedlingPattern, Point
from treatments.models.history import CheckedParent, ItemKind, TargetItem, one_target_matching_kind
from treatments.row_checks import plan_row_problems
from treatments.rules import Limits


class Plan(CheckedParent):
    """A patient's point plan as saved by an acupuncturist. The latest one is the current plan."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    # The screening the plan was checked against (the patient's latest when it was saved).
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    retention_minutes = models.PositiveSmallIntegerField()
    total_needles = models.PositiveSmallIntegerField()
    # The limits the rules gave for this screening under the clinic settings of the day: the
    # database holds totals and retention inside them, Plan.save() holds them to the rules.
    needles_min = models.PositiveSmallIntegerField()
    needles_max = models.PositiveSmallIntegerField()
    retention_min = models.PositiveSmallIntegerField()
    retention_max = models.PositiveSmallIntegerField()
    # The practitioner chose fewer needles than the minimum (e.g. the screening rules out the
    # areas the concerns call for): the minimum is a target, never a reason to pad the plan.
    fewer_needles = models.BooleanField(default=False)
    # The risks the practitioner acknowledged before saving (e.g. bleeding risk), as shown to them.
    acknowledged = models.JSONField(default=list, blank=True)
    # Cautions that come with the plan (lying down, no electro-acupuncture, ...).
    cautions = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    started_from = models.ForeignKey("PlanTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        indexes = [models.Index(fields=["patient", "-created_at", "-id"], name="plan_patient_latest_idx")]
        permissions = [("view_plan_status", "Can see whether a patient has a plan (no details)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(needles_min__gte=1) & Q(needles_min__lte=models.F("needles_max")),
                name="plan_needle_limits_sane",
            ),
            # The minimum is a target the practitioner may choose to stay below; the maximum is safety.
            models.CheckConstraint(
                condition=Q(total_needles__lte=models.F("needles_max"))
                & (Q(total_needles__gte=models.F("needles_min")) | (Q(fewer_needles=True) & Q(total_needles__gte=1))),
                name="plan_total_needles_within_limits",
            ),
            models.CheckConstraint(
                condition=Q(retention_min__gte=1) & Q(retention_minutes__gte=models.F("retention_min"))
                & Q(retention_minutes__lte=models.F("retention_max")),
                name="plan_retention_within_limits",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan of {self.patient} on {self.created_at:%Y-%m-%d}"

    kept_message = "A saved plan is history and is never changed: save a new plan instead."
    items_whose = "plan's"
    checked_on_field = "created_at"

    def _row_problems(self) -> list[str]:
        if problems := self._screening_problems(what="plan"):
            return problems
        rules, facts = self.rule_facts
        stored = Limits(self.needles_min, self.needles_max, self.retention_min, self.retention_max)
        return plan_row_problems(stored=stored, acknowledged=self.acknowledged, facts=facts, rules=rules)


class PlanItem(TargetItem):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="items")
    # The concern the item serves (none for a supporting point added for the patient's safety).
    concern = models.ForeignKey(Concern, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)

    class Meta(TargetItem.Meta):
        constraints = [
            models.CheckConstraint(condition=one_target_matching_kind(), name="planitem_one_target_matching_kind"),
            models.UniqueConstraint(fields=["plan", "point"], name="planitem_point_once"),
            models.UniqueConstraint(fields=["plan", "pattern"], name="planitem_pattern_once"),
            models.UniqueConstraint(fields=["plan", "adjunct"], name="planitem_adjunct_once"),
        ]

    @property
    def target_code(self) -> str:
        return self.target.code

    kept_message = "A saved plan is history and is never changed: save a new plan instead."
    parent_field = "plan"


class PlanTemplate(models.Model):
    """A practitioner's saved starting point. Not patient-specific: when a plan starts from a
    template, whatever the patient's screening excludes is left out (and the practitioner told)."""

    name = models.CharField(max_length=80, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    retention_minutes = models.PositiveSmallIntegerField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="plantemplate_name_required")]

    def __str__(self) -> str:
        return self.name


class PlanTemplateItem(models.Model):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    point = models.ForeignKey(Point, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pattern = models.ForeignKey(NeedlingPattern, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    adjunct = models.ForeignKey(Adjunct, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    needles = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=one_target_matching_kind(), name="plantemplateitem_one_target_matching_kind"),
            models.UniqueConstraint(fields=["template", "point"], name="plantemplateitem_point_once"),
            models.UniqueConstraint(fields=["template", "pattern"], name="plantemplateitem_pattern_once"),
            models.UniqueConstraint(fields=["template", "adjunct"], name="plantemplateitem_adjunct_once"),
        ]

    def __str__(self) -> str:
        return f"{self.template} – {self.target_code}"

    @property
    def target(self) -> Point | NeedlingPattern | Adjunct:
        return self.point or self.pattern or self.adjunct

    @property
    def target_code(self) -> str:
        return self.target.code
