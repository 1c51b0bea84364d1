from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from patients.models import Patient
from staff.access import require
from staff.audit import audit_record
from treatments import planning
from treatments.catalogue import concern_names
from treatments.chart import concern_colours, face_chart
from treatments.forms import PlanForm, StartFromForm, TemplateForm
from treatments.models import Plan, PlanSettings, PlanTemplate, PlanTemplateItem
from treatments.services import plan_context, plan_save, template_save

HISTORY_SHOWN = 20
_TARGETS = ("point", "pattern", "adjunct")


@require("treatments.view_plan")
def patient_plan(request, patient_pk: int):
    """The patient's current plan (the latest saved), with the history of earlier ones."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    plan = (
        Plan.objects.filter(patient=patient)
        .select_related("created_by", "screening", "started_from")
        .first()
    )
    if plan is None:
        audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk, summary="plan (none yet)")
        return render(request, "treatments/plan_none.html", {"patient": patient})
    return _render_plan(request, patient, plan)


@require("treatments.view_plan")
def plan_detail(request, pk: int):
    plan = get_object_or_404(Plan.objects.select_related("patient", "created_by", "screening", "started_from"), pk=pk)
    return _render_plan(request, plan.patient, plan)


def _render_plan(request, patient: Patient, plan: Plan):
    items = list(plan.items.select_related(*_TARGETS, "concern"))
    chosen = [
        planning.Chosen(planning.option_for_item(item), item.needles, item.concern.code if item.concern else None, item.reason)
        for item in items
    ]
    names = concern_names()
    history = list(Plan.objects.filter(patient=patient).select_related("created_by")[:HISTORY_SHOWN])
    latest_screening = patient.screenings.order_by("-answered_at", "-id").first()
    # A plan is checked against the screening of its day; if the patient has been screened
    # since, the practitioner must see at once whether the plan is still safe.
    conflicts: list[str] = []
    if latest_screening and latest_screening.pk != plan.screening_id:
        rules = planning.rules_from_settings(PlanSettings.load())
        facts = planning.screening_facts(latest_screening, today=timezone.localdate(), rules=rules)
        conflicts = planning.conflicts(items=chosen, facts=facts)
    audit_record(user=request.user, action="view", obj=plan, patient_id=patient.pk, summary="plan")
    colours = concern_colours(names)
    return render(
        request,
        "treatments/plan_detail.html",
        {
            "patient": patient,
            "plan": plan,
            "rows": [(item, c, colours.get(c.concern, "#555555")) for item, c in zip(items, chosen)],
            "concern_names": names,
            "chart": face_chart(items=chosen, concern_names=names),
            "history": history,
            "is_current": bool(history) and history[0].pk == plan.pk,
            "rescreened": latest_screening is not None and latest_screening.pk != plan.screening_id,
            "conflicts": conflicts,
            "template_form": TemplateForm(),
        },
    )


@require("treatments.view_plan", "treatments.add_plan")
@require_http_methods(["GET", "POST"])
def plan_new(request, patient_pk: int):
    """Review the suggested plan (or a template), adjust it, and save it as the current plan."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    ctx = plan_context(patient)
    templates = PlanTemplate.objects.all()
    start_form = StartFromForm(request.GET or None, templates=templates)
    template = start_form.cleaned_data["template"] if start_form.is_valid() else None
    if template is not None:
        template = PlanTemplate.objects.prefetch_related(
            Prefetch("items", queryset=PlanTemplateItem.objects.select_related(*_TARGETS))
        ).get(pk=template.pk)
        proposal = ctx.from_template(template)
    else:
        proposal = ctx.suggest()

    if proposal.blocked:
        audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk, summary="plan blocked")
        return render(request, "treatments/plan_blocked.html", {"patient": patient, "proposal": proposal, "ctx": ctx})

    form = PlanForm(request.POST or None, options=ctx.options, proposal=proposal)
    if request.method == "POST" and form.is_valid():
        try:
            plan_save(
                by=request.user,
                patient=patient,
                items=form.chosen(
                    concern_for=lambda option: planning.concern_served(
                        option, severities=ctx.severities, concern_names=ctx.concern_names
                    )
                ),
                retention=form.cleaned_data["retention"],
                acknowledged=form.cleaned_data.get("acknowledge", False),
                notes=form.cleaned_data["notes"],
                started_from=template,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "The plan is saved as the patient's current plan.")
            return redirect("treatments:patient_plan", patient_pk=patient.pk)
    if request.method == "GET":
        audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk, summary="plan suggestion")
    return render(
        request,
        "treatments/plan_form.html",
        {
            "patient": patient,
            "ctx": ctx,
            "proposal": proposal,
            "form": form,
            "start_form": start_form,
            "templates": list(templates),
            "template": template,
            "chart": face_chart(items=proposal.items, concern_names=ctx.concern_names),
        },
        status=400 if request.method == "POST" else 200,
    )


@require("treatments.view_plan", "treatments.add_plantemplate")
@require_POST
def template_new(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            template = template_save(by=request.user, name=form.cleaned_data["name"], plan=plan)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Saved as the template “{template.name}”.")
    else:
        messages.error(request, "Give the template a name (up to 80 characters).")
    return redirect("treatments:plan_detail", pk=plan.pk)


@require("treatments.view_plantemplate")
def template_list(request):
    templates = PlanTemplate.objects.select_related("created_by").prefetch_related(
        Prefetch("items", queryset=PlanTemplateItem.objects.select_related(*_TARGETS))
    )
    return render(request, "treatments/template_list.html", {"templates": templates})

