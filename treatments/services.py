"""Writes of the treatments app: every plan and template is saved through a function here."""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import Concern, Patient, Screening
from staff.audit import audit_record
from staff.submissions import form_key_claim, form_key_guard, form_key_result
from treatments.catalogue import catalogue_rows, load_catalogue, saved_items
from treatments.models import Plan, PlanItem, PlanTemplate, PlanTemplateItem
from treatments.rules import (
    NEAR_EYE_RISK,
    Chosen,
    Facts,
    Option,
    Rules,
    accepting_near_eye,
    limits_for,
    plan_problems,
    screening_facts,
)
from treatments.suggestion import Proposal, concern_served, from_template, suggest_plan


@dataclass
class PlanContext:
    """Everything the rules need about one patient, read once (a fixed number of queries)."""

    patient: Patient
    screening: Screening | None
    severities: dict[str, int]
    concern_names: dict[str, str]
    rules: Rules
    facts: Facts
    options: list[Option]

    @property
    def concerns(self) -> list[tuple[str, int]]:
        """(name, severity) in catalogue order, for display."""
        return [(name, self.severities[code]) for code, name in self.concern_names.items() if code in self.severities]

    def suggest(self) -> Proposal:
        return suggest_plan(
            severities=self.severities, concern_names=self.concern_names, facts=self.facts, rules=self.rules,
            options=self.options,
        )

    def concern_served(self, option: Option) -> tuple[str | None, str]:
        """(concern code, reason) for an item the practitioner added by hand."""
        return concern_served(option, severities=self.severities, concern_names=self.concern_names)

    def from_template(self, template: PlanTemplate) -> Proposal:
        by_key = {option.key: option for option in self.options}
        items = [(by_key[f"{item.kind}:{item.target_code}"], item.needles) for item in template.items.all()]
        return from_template(
            template_items=items, retention=template.retention_minutes, severities=self.severities,
            concern_names=self.concern_names, facts=self.facts, rules=self.rules, options=self.options,
        )


def plan_context(patient: Patient) -> PlanContext:
    """The patient's latest screening, concerns and the catalogue (8 queries)."""
    screening = Screening.objects.latest_for(patient)
    catalogue = load_catalogue()
    return PlanContext(
        patient=patient,
        screening=screening,
        severities=dict(patient.concerns.values_list("concern__code", "severity")),
        concern_names=catalogue.concern_names,
        rules=catalogue.rules,
        facts=screening_facts(screening, today=timezone.localdate(), rules=catalogue.rules),
        options=catalogue.options,
    )


def _plan_items(plan: Plan, items: list[Chosen]) -> None:
    """The plan's items, checked together by the model (a fixed number of queries)."""
    targets = catalogue_rows(items)
    concerns = {c.code: c for c in Concern.objects.filter(code__in={i.concern for i in items if i.concern})}
    PlanItem.objects.insert_checked([
        PlanItem(
            plan=plan, kind=item.option.kind, needles=item.needles, concern=concerns.get(item.concern),
            reason=item.reason[:200], position=position, **{item.option.kind: targets[item.option.key]},
        )
        for position, item in enumerate(items)
    ])


def _accepted(ctx: PlanContext, *, near_eye: bool) -> list[str]:
    return list(ctx.facts.acknowledgements) + ([NEAR_EYE_RISK] if near_eye and ctx.facts.bleeding_risk else [])


def plan_check(ctx: PlanContext, *, items: list[Chosen], retention: int | None, acknowledged: bool = False,
               near_eye: bool = False, fewer_needles: bool = False) -> list[str]:
    """Every rule the plan breaks, without saving: what ``plan_save`` refuses, and what the plan
    page shows together with the form's own errors on the first submit (``retention`` None when
    the form could not read it)."""
    return plan_problems(
        items=items, retention=retention, facts=accepting_near_eye(ctx.facts, _accepted(ctx, near_eye=near_eye)),
        rules=ctx.rules, acknowledged=acknowledged, fewer_needles=fewer_needles,
    )


def plan_save(
    *,
    by,
    patient: Patient,
    items: list[Chosen],
    retention: int,
    acknowledged: bool = False,
    near_eye: bool = False,
    fewer_needles: bool = False,
    notes: str = "",
    started_from: PlanTemplate | None = None,
    form_key: uuid.UUID | None = None,
) -> Plan:
    """Saves a new current plan for the patient (earlier plans stay as history).

    ``acknowledged``: the practitioner went through the screening's risks with the patient;
    ``near_eye``: they accept the bleeding risk of points near the eye; ``fewer_needles``: they
    choose a plan below the clinic's usual minimum. Raises ValidationError with every broken
    rule, and writes nothing, if the plan is unsafe for the patient's latest screening. The
    models check the same rules again as the rows go in. With ``form_key`` (the plan page's
    one-time key), a second submit of the page raises ``staff.submissions.AlreadySaved`` with
    this plan instead of saving it twice.
    """
    with form_key_guard(key=form_key, by=by), transaction.atomic():
        claim = form_key_claim(key=form_key, by=by)
        plan = _plan_create(by=by, patient=patient, items=items, retention=retention, acknowledged=acknowledged,
                            near_eye=near_eye, fewer_needles=fewer_needles, notes=notes, started_from=started_from)
        form_key_result(claim, plan)
    return plan


def _plan_create(*, by, patient: Patient, items: list[Chosen], retention: int, acknowledged: bool, near_eye: bool,
                 fewer_needles: bool, notes: str, started_from: PlanTemplate | None) -> Plan:
    # Lock the patient row so two practitioners saving at once each check the latest screening.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    ctx = plan_context(patient)
    problems = plan_check(ctx, items=items, retention=retention, acknowledged=acknowledged, near_eye=near_eye,
                          fewer_needles=fewer_needles)
    if problems:
        raise ValidationError(problems)
    accepted = _accepted(ctx, near_eye=near_eye)

    limits = limits_for(ctx.facts, ctx.rules)
    plan = Plan.objects.create(
        patient=patient,
        screening=ctx.screening,
        created_by=by,
        retention_minutes=retention,
        total_needles=sum(item.needles for item in items),
        needles_min=limits.needles_min,
        needles_max=limits.needles_max,
        retention_min=limits.retention_min,
        retention_max=limits.retention_max,
        fewer_needles=sum(item.needles for item in items) < limits.needles_min,
        acknowledged=accepted,
        cautions=list(ctx.facts.cautions),
        notes=notes,
        started_from=started_from,
    )
    _plan_items(plan, items)
    audit_record(user=by, action="create", obj=plan, patient_id=patient.pk, summary=f"plan, {plan.total_needles} needles")
    return plan


@transaction.atomic
def template_create(*, by, name: str, items: list[Chosen], retention: int, notes: str = "") -> PlanTemplate:
    """Saves items as a named template other plans can start from. Templates belong to no
    patient, so the safety rules apply when a plan starts from one, not here."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the template a name."})
    if PlanTemplate.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A template with this name exists already."})
    template = PlanTemplate.objects.create(name=name, created_by=by, retention_minutes=retention, notes=notes)
    targets = catalogue_rows(items)
    PlanTemplateItem.objects.bulk_create(
        PlanTemplateItem(
            template=template, kind=item.option.kind, needles=item.needles, **{item.option.kind: targets[item.option.key]}
        )
        for item in items
    )
    return template


def template_save(*, by, name: str, plan: Plan, form_key: uuid.UUID | None = None) -> PlanTemplate:
    """Saves a saved plan's items as a template. With ``form_key`` (the page's one-time key) a
    second submit raises ``staff.submissions.AlreadySaved``, not "a template with this name exists"."""
    items = saved_items(list(plan.items.select_related("point", "pattern", "adjunct")), concerns={})
    with form_key_guard(key=form_key, by=by), transaction.atomic():
        claim = form_key_claim(key=form_key, by=by)
        template = template_create(by=by, name=name, items=items, retention=plan.retention_minutes, notes=plan.notes)
        form_key_result(claim, template)
    return template
