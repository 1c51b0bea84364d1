"""Treatments pages. Each one: fetch through ``treatments.access`` (404, read audit), validate with a
form, call one domain function (services, sessions, photos), then redirect or render what a
selector read; the clinical rules stay in ``treatments.rules`` and ``treatments.suggestion``."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from patients.forms import ScreeningForm
from patients.intake import screening_record
from patients.models import Patient, Screening
from scheduling.models import Visit
from staff.access import require
from staff.audit import audit_records
from staff.errors import add_domain_errors
from staff.submissions import AlreadySaved, FormKeyForm
from treatments import selectors
from treatments.access import audit_read, fetch
from treatments.chart import concern_colours, face_chart
from treatments.forms import PlanForm, SessionForm, StartFromForm, TemplateForm
from treatments.models import Plan, PlanTemplate, SessionRecord
from treatments.services import plan_check, plan_context, plan_save, template_save
from treatments.sessions import (
    session_check,
    session_check_passed,
    session_record_save,
    session_start,
)
from treatments.today import visits_today


@require("treatments.view_plan")
def patient_plan(request, patient_pk: int):
    """The patient's current plan (the latest saved), with the history of earlier ones."""
    patient = fetch(request, Patient, pk=patient_pk)
    plan = selectors.current_plan(patient)
    if plan is None:
        audit_read(request, patient, summary="plan (none yet)")
        return render(request, "treatments/plan_none.html", {"patient": patient})
    return _render_plan(request, patient, plan)


@require("treatments.view_plan")
def plan_detail(request, pk: int):
    plan = fetch(request, Plan.objects.select_related("patient", "created_by", "screening", "started_from"), pk=pk)
    return _render_plan(request, plan.patient, plan)


def _render_plan(request, patient: Patient, plan: Plan):
    page = selectors.plan_page(plan)
    audit_read(request, plan, summary="plan")
    colours = concern_colours(page.concern_names)
    return render(
        request,
        "treatments/plan_detail.html",
        {
            "patient": patient,
            "plan": plan,
            "rows": [(item, c, colours.get(c.concern, "#555555")) for item, c in zip(page.items, page.chosen, strict=True)],
            "concern_names": page.concern_names,
            "chart": face_chart(items=page.chosen, concern_names=page.concern_names),
            "history": page.history,
            "is_current": page.is_current,
            "rescreened": page.rescreened,
            "conflicts": page.conflicts,
            "template_form": TemplateForm(),
            "once_form": FormKeyForm(),
        },
    )


@require("treatments.view_plan", "treatments.add_plan")
@require_http_methods(["GET", "POST"])
def plan_new(request, patient_pk: int):
    """Review the suggested plan (or a template), adjust it, and save it as the current plan."""
    patient = fetch(request, Patient, pk=patient_pk)
    ctx = plan_context(patient)
    templates = PlanTemplate.objects.all()
    start_form = StartFromForm(request.GET or None, templates=templates)
    template = start_form.cleaned_data["template"] if start_form.is_valid() else None
    if template is not None:
        template = selectors.template_with_items(template)
        proposal = ctx.from_template(template)
    else:
        proposal = ctx.suggest()

    if proposal.blocked:
        audit_read(request, patient, summary="plan blocked")
        return render(request, "treatments/plan_blocked.html", {"patient": patient, "proposal": proposal, "ctx": ctx})

    # Bound on every POST, even an empty one (its errors are then shown, never a crash).
    posted = request.POST if request.method == "POST" else None
    form = PlanForm(posted, options=ctx.options, proposal=proposal)
    once_form = FormKeyForm(posted)
    if request.method == "POST" and not form.is_valid():
        # The plan's rules too, on the first submit: every problem at once.
        data = form.cleaned_data
        if problems := plan_check(
            ctx, items=form.chosen(concern_for=ctx.concern_served), retention=data.get("retention"),
            acknowledged=data.get("acknowledge", False), near_eye=data.get("near_eye", False),
            fewer_needles=data.get("fewer_needles", False),
        ):
            form.add_error(None, problems)
    elif request.method == "POST":
        try:
            plan_save(
                by=request.user,
                patient=patient,
                items=form.chosen(concern_for=ctx.concern_served),
                retention=form.cleaned_data["retention"],
                acknowledged=form.cleaned_data.get("acknowledge", False),
                near_eye=form.cleaned_data.get("near_eye", False),
                fewer_needles=form.cleaned_data["fewer_needles"],
                notes=form.cleaned_data["notes"],
                started_from=template,
                form_key=once_form.key,
            )
        except AlreadySaved:
            messages.info(request, "Already saved: the first submit of this page saved this plan; it was not saved twice.")
            return redirect("treatments:patient_plan", patient_pk=patient.pk)
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "The plan is saved as the patient's current plan.")
            return redirect("treatments:patient_plan", patient_pk=patient.pk)
    if request.method == "GET":
        audit_read(request, patient, summary="plan suggestion")
    return render(
        request,
        "treatments/plan_form.html",
        {
            "patient": patient,
            "ctx": ctx,
            "proposal": proposal,
            "form": form,
            "once_form": once_form,
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
    plan = fetch(request, Plan, pk=pk)
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            template = template_save(by=request.user, name=form.cleaned_data["name"], plan=plan,
                                     form_key=FormKeyForm(request.POST).key)
        except AlreadySaved:
            messages.info(request, "Already saved: the first submit saved this template; it was not saved twice.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Saved as the template “{template.name}”.")
    else:
        messages.error(request, "Give the template a name (up to 80 characters).")
    return redirect("treatments:plan_detail", pk=plan.pk)


@require("treatments.view_plantemplate")
def template_list(request):
    return render(request, "treatments/template_list.html", {"templates": selectors.templates_with_items()})


# --- Session records -------------------------------------------------------------------------------
_VISIT_RELATED = ("patient", "series", "practitioner", "appointment_type", "room")


@require("treatments.view_sessionrecord")
def today(request):
    """The signed-in acupuncturist's visits of the day, each one click from its record."""
    day = timezone.localdate()
    rows = visits_today(user=request.user, day=day)
    # The list shows each patient's screening answers: that is a read of their record.
    audit_records(
        user=request.user, action="view", summary="today's list (screening alerts)",
        items=[(row.screening, row.visit.patient_id) for row in rows if row.screening],
    )
    return render(request, "treatments/today.html", {"day": day, "now": timezone.now(), "rows": rows})


def _confirmed(request, start) -> bool:
    """Has the acupuncturist confirmed the patient's latest screening for this visit? The id of
    the screening they confirmed travels with the page, so a screening recorded meanwhile (by the
    front desk, say) sends them back to the check."""
    posted = request.POST.get("screening") if request.method == "POST" else request.GET.get("screening")
    return start.ctx.screening is not None and posted == str(start.ctx.screening.pk)


def _render_check(request, start, screening_form=None, status=200):
    previous = start.ctx.screening
    initial = {name: getattr(previous, name) for name in ScreeningForm.Meta.fields} if previous else None
    return render(
        request,
        "treatments/session_check.html",
        {
            "visit": start.visit,
            "patient": start.visit.patient,
            "start": start,
            "screening": previous,
            "screening_form": screening_form or ScreeningForm(initial=initial, prefix="s"),
            "once_form": FormKeyForm(),
        },
        status=status,
    )


@require("treatments.view_sessionrecord", "treatments.add_sessionrecord")
@require_http_methods(["GET", "POST"])
def session_new(request, visit_pk: int):
    """Record the session of a visit: first the screening check, then the prefilled record."""
    visit = fetch(request, Visit.objects.select_related(*_VISIT_RELATED), pk=visit_pk)
    start = session_start(visit)
    if start.refused:
        record = SessionRecord.objects.filter(visit=visit).first()
        if record is not None:
            return redirect("treatments:session_detail", pk=record.pk)
        return render(request, "treatments/session_refused.html", {"visit": visit, "start": start}, status=409)
    if start.blocked or not _confirmed(request, start):
        if request.method == "POST":
            messages.error(request, "The screening changed before the record was saved: check it again.")
        audit_read(request, visit.patient, summary="screening check at visit")
        return _render_check(request, start, status=409 if request.method == "POST" else 200)

    posted = request.POST if request.method == "POST" else None  # bound even when empty
    form = SessionForm(
        posted, options=start.ctx.options, proposal=start.proposal, concerns=start.concerns, limits=start.limits,
        risks=start.risks,
    )
    once_form = FormKeyForm(posted)
    if request.method == "POST" and not form.is_valid():
        # Today's rules too, on the first submit: every problem at once.
        if problems := session_check(
            start, items=form.chosen(concern_for=lambda option: (None, "")), retention=form.cleaned_data.get("retention"),
            reactions=form.reactions(),
        ):
            form.add_error(None, problems)
    elif request.method == "POST":
        try:
            record = session_record_save(
                by=request.user,
                visit=visit,
                screening=start.ctx.screening,
                items=form.chosen(concern_for=lambda option: (None, "")),
                retention=form.cleaned_data["retention"],
                ratings=form.ratings(),
                reactions=form.reactions(),
                acknowledged=form.acknowledged(),
                notes=form.cleaned_data["notes"],
                form_key=once_form.key,
            )
        except AlreadySaved as done:
            messages.info(request, "Already saved: the first submit of this page recorded this session; "
                                   "it was not recorded twice.")
            return redirect("treatments:session_detail", pk=done.result_id)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            progress = f" Session {visit.sequence} of {visit.series.sessions_planned} is done." if visit.series else ""
            messages.success(request, f"The session is recorded and the visit completed.{progress}")
            return redirect("treatments:session_detail", pk=record.pk)
    if request.method == "GET":
        audit_read(request, visit.patient, summary="session record form")
    return render(
        request,
        "treatments/session_form.html",
        {
            "visit": visit,
            "patient": visit.patient,
            "start": start,
            "proposal": start.proposal,
            "form": form,
            "once_form": once_form,
            "chart": face_chart(items=start.prefill, concern_names=start.ctx.concern_names),
        },
        status=400 if request.method == "POST" else 200,
    )


@require("treatments.add_sessionrecord", "patients.add_screening")
@require_POST
def session_screening(request, visit_pk: int):
    """The screening check: confirm nothing changed, or record a new screening (which may stop
    the session: session_new then shows why)."""
    visit = fetch(request, Visit.objects.select_related(*_VISIT_RELATED), pk=visit_pk)
    url = reverse("treatments:session_new", args=[visit.pk])
    once_form = FormKeyForm(request.POST)
    if "confirm" in request.POST:
        latest = Screening.objects.latest_for(visit.patient)
        if latest is None or request.POST.get("screening") != str(latest.pk):
            messages.error(request, "A newer screening has been recorded meanwhile: check it again.")
            return redirect(url)
        audit_read(request, latest, summary="confirmed unchanged at the visit")
        session_check_passed(visit=visit, by=request.user)
        return redirect(f"{url}?screening={latest.pk}")
    # The latest screening, so a refused form offers a "now No" tick box only for answers that were Yes.
    form = ScreeningForm(request.POST, prefix="s", previous=Screening.objects.latest_for(visit.patient))
    if form.is_valid():
        try:
            screening = screening_record(by=request.user, patient=visit.patient, answers=form.answers(),
                                         form_key=once_form.key)
        except AlreadySaved as done:
            return redirect(f"{url}?screening={done.result_id}")
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "The new screening is saved.")
            session_check_passed(visit=visit, by=request.user)
            return redirect(f"{url}?screening={screening.pk}")
    return _render_check(request, session_start(visit), screening_form=form, status=400)
