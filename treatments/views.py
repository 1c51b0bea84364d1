from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from patients.forms import ScreeningForm
from patients.intake import latest_screening, screening_record
from patients.models import Patient
from scheduling.models import Series, Visit
from staff.access import require
from staff.audit import audit_record, audit_records
from staff.errors import add_domain_errors
from treatments import planning
from treatments.catalogue import concern_names
from treatments.chart import concern_colours, face_chart
from treatments.forms import PhotoForm, PlanForm, SessionForm, StartFromForm, TemplateForm
from treatments.models import Plan, PlanSettings, PlanTemplate, PlanTemplateItem, SessionPhoto, SessionRecord
from treatments.outcomes import series_outcome
from treatments.photos import first_and_latest, may_show_photos, photo_open, photo_upload
from treatments.services import plan_context, plan_save, template_save
from treatments.sessions import RECORDABLE, plan_concerns, session_items, session_record_save, session_start, visits_today

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
        },
        status=status,
    )


@require("treatments.view_sessionrecord", "treatments.add_sessionrecord")
@require_http_methods(["GET", "POST"])
def session_new(request, visit_pk: int):
    """Record the session of a visit: first the screening check, then the prefilled record."""
    visit = get_object_or_404(Visit.objects.select_related(*_VISIT_RELATED), pk=visit_pk)
    start = session_start(visit)
    if start.refused:
        record = SessionRecord.objects.filter(visit=visit).first()
        if record is not None:
            return redirect("treatments:session_detail", pk=record.pk)
        return render(request, "treatments/session_refused.html", {"visit": visit, "start": start}, status=409)
    if start.blocked or not _confirmed(request, start):
        if request.method == "POST":
            messages.error(request, "The screening changed before the record was saved: check it again.")
        audit_record(user=request.user, action="view", obj=visit.patient, patient_id=visit.patient_id, summary="screening check at visit")
        return _render_check(request, start, status=409 if request.method == "POST" else 200)

    form = SessionForm(
        request.POST or None, options=start.ctx.options, proposal=start.proposal, concerns=start.concerns, limits=start.limits
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = session_record_save(
                by=request.user,
                visit=visit,
                screening=start.ctx.screening,
                items=form.chosen(concern_for=lambda option: (None, "")),
                retention=form.cleaned_data["retention"],
                ratings=form.ratings(),
                reactions=form.reactions(),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            progress = f" Session {visit.sequence} of {visit.series.sessions_planned} is done." if visit.series else ""
            messages.success(request, f"The session is recorded and the visit completed.{progress}")
            return redirect("treatments:session_detail", pk=record.pk)
    if request.method == "GET":
        audit_record(user=request.user, action="view", obj=visit.patient, patient_id=visit.patient_id, summary="session record form")
    return render(
        request,
        "treatments/session_form.html",
        {
            "visit": visit,
            "patient": visit.patient,
            "start": start,
            "proposal": start.proposal,
            "form": form,
            "chart": face_chart(items=start.prefill, concern_names=start.ctx.concern_names),
        },
        status=400 if request.method == "POST" else 200,
    )


@require("treatments.add_sessionrecord", "patients.add_screening")
@require_POST
def session_screening(request, visit_pk: int):
    """The screening check: confirm nothing changed, or record a new screening (which may stop
    the session: session_new then shows why)."""
    visit = get_object_or_404(Visit.objects.select_related(*_VISIT_RELATED), pk=visit_pk)
    url = reverse("treatments:session_new", args=[visit.pk])
    if "confirm" in request.POST:
        latest = latest_screening(visit.patient)
        if latest is None or request.POST.get("screening") != str(latest.pk):
            messages.error(request, "A newer screening has been recorded meanwhile: check it again.")
            return redirect(url)
        audit_record(user=request.user, action="view", obj=latest, patient_id=visit.patient_id, summary="confirmed unchanged at the visit")
        return redirect(f"{url}?screening={latest.pk}")
    form = ScreeningForm(request.POST, prefix="s")
    if form.is_valid():
        try:
            screening = screening_record(by=request.user, patient=visit.patient, answers=form.answers())
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            messages.success(request, "The new screening is saved.")
            return redirect(f"{url}?screening={screening.pk}")
    return _render_check(request, session_start(visit), screening_form=form, status=400)


def _render_record(request, record: SessionRecord, photo_form=None, status=200):
    chosen = session_items(record, concerns=plan_concerns(record.plan))
    may_photos = request.user.has_perm("treatments.view_sessionphoto") and may_show_photos(record.patient)
    audit_record(user=request.user, action="view", obj=record, patient_id=record.patient_id, summary="session record")
    return render(
        request,
        "treatments/session_detail.html",
        {
            "record": record,
            "visit": record.visit,
            "patient": record.patient,
            "items": chosen,
            "ratings": list(record.ratings.select_related("concern")),
            "reactions": list(record.reactions.all()),
            "photos": list(record.photos.all()) if may_photos else [],
            "photo_consent": may_photos,
            "photo_form": photo_form or PhotoForm(),
            "chart": face_chart(items=chosen, concern_names=concern_names()),
        },
        status=status,
    )


_RECORD_RELATED = ("visit", "patient", "series", "plan", "screening", "recorded_by")


@require("treatments.view_sessionrecord")
def session_detail(request, pk: int):
    record = get_object_or_404(SessionRecord.objects.select_related(*_RECORD_RELATED), pk=pk)
    return _render_record(request, record)


@require("treatments.view_sessionrecord", "treatments.add_sessionphoto")
@require_POST
def photo_new(request, pk: int):
    record = get_object_or_404(SessionRecord.objects.select_related(*_RECORD_RELATED), pk=pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            photo_upload(by=request.user, record=record, view=form.cleaned_data["view"], upload=form.cleaned_data["image"])
        except ValidationError as exc:
            form.add_error("image", exc)
        else:
            messages.success(request, "The photo is stored.")
            return redirect("treatments:session_detail", pk=record.pk)
    return _render_record(request, record, photo_form=form, status=400)


@require("treatments.view_sessionphoto")
def photo_file(request, pk: int):
    """Streams a photo to permitted staff; the files have no URL of their own."""
    photo = get_object_or_404(SessionPhoto.objects.select_related("patient"), pk=pk)
    if not may_show_photos(photo.patient):
        raise Http404("The patient's photo consent is not in force.")
    audit_record(user=request.user, action="view", obj=photo, patient_id=photo.patient_id, summary=f"{photo.view} photo")
    response = FileResponse(photo_open(photo), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require("treatments.view_sessionphoto")
def photo_compare(request, patient_pk: int):
    """The first and the latest photo of each view, side by side."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    consent = may_show_photos(patient)
    audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk, summary="photo comparison")
    return render(
        request,
        "treatments/photo_compare.html",
        {"patient": patient, "consent": consent, "rows": first_and_latest(patient) if consent else []},
    )


SESSIONS_SHOWN = 50


@require("treatments.view_sessionrecord")
def patient_sessions(request, patient_pk: int):
    """A patient's session records, series (with their outcomes) and visits waiting for a record."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    records = list(
        SessionRecord.objects.filter(patient=patient)
        .select_related("visit", "series", "recorded_by")
        .annotate(reaction_count=Count("reactions"))
        .order_by("-visit__starts_at", "-id")[:SESSIONS_SHOWN]
    )
    series = list(
        Series.objects.filter(patient=patient).select_related("practitioner").annotate(
            done=Count("visits", filter=Q(visits__status=Visit.Status.COMPLETED))
        )
    )
    waiting = list(
        Visit.objects.filter(patient=patient, status__in=RECORDABLE, starts_at__lte=timezone.now())
        .exclude(Exists(SessionRecord.objects.filter(visit=OuterRef("pk"))))
        .select_related("practitioner", "series")
        .order_by("-starts_at")[:10]
    )
    audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk, summary="session records")
    return render(
        request,
        "treatments/patient_sessions.html",
        {"patient": patient, "records": records, "series_list": series, "waiting": waiting},
    )


@require("treatments.view_sessionrecord")
def series_outcomes(request, pk: int):
    """Ratings per concern across the series (chart and table) and the printable summary."""
    series = get_object_or_404(Series.objects.select_related("patient", "practitioner", "appointment_type"), pk=pk)
    outcome = series_outcome(series)
    audit_record(user=request.user, action="view", obj=series, patient_id=series.patient_id, summary="series outcomes")
    return render(request, "treatments/series_outcomes.html", {"series": series, "patient": series.patient, "outcome": outcome})
