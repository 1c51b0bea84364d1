"""Thin views: access check → form → domain function (scheduling.booking) → redirect or render.

A booking that collides with another one is answered with HTTP 409 and the reason on the page.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from patients.models import Patient
from scheduling import booking, reminders
from scheduling.booking import BookingError, ProposedSession, SeriesProposal, SlotTaken
from scheduling.clock import clinic_zone, to_local, today
from scheduling.forms import (
    CalendarForm,
    CancelForm,
    MaintenanceIntervalForm,
    MoveForm,
    SeriesForm,
    SessionChoice,
    VisitForm,
)
from scheduling.models import AppointmentType, PatientRequest, Practitioner, Reminder, Room, Visit
from scheduling.calendar import calendar_grid
from scheduling.selectors import (
    maintenance_due,
    open_patient_requests,
    patient_timeline,
    reminders_needing_attention,
)
from staff.access import require
from staff.errors import add_domain_errors
from staff.audit import audit_record


def _status(exc: ValidationError) -> int:
    return 409 if isinstance(exc, SlotTaken) else 400


# --- Series ------------------------------------------------------------------------------------
def _proposal_from_post(form: SeriesForm, post) -> SeriesProposal:
    """The proposal exactly as the page showed it (so staff book what they saw)."""
    args = form.proposal_args()
    types = {args["appointment_type"].pk: args["appointment_type"]}
    if args["first_appointment_type"]:
        types[args["first_appointment_type"].pk] = args["first_appointment_type"]
    proposal = SeriesProposal(
        patient=args["patient"],
        practitioner=args["practitioner"],
        appointment_type=args["appointment_type"],
        sessions_planned=args["sessions"],
        cadence_days=args["cadence_days"],
        first_day=args["first_day"],
        preferred_time=args["preferred_time"],
        first_appointment_type=args["first_appointment_type"],
        fold=args["fold"],
    )
    for sequence in range(1, args["sessions"] + 1):
        starts_at, room_id, type_id, shifted = SessionChoice.decode(post.get(f"session-{sequence}", ""))
        if type_id not in types:
            raise ValidationError("The proposal was changed in transit; please propose again.")
        proposal.sessions.append(
            ProposedSession(
                sequence=sequence, appointment_type=types[type_id], target_day=to_local(starts_at).date(),
                starts_at=starts_at, room_id=room_id, shifted=shifted,
            )
        )
    return proposal


def _render_series(request, form, proposal=None, status=200):
    sessions = []
    if proposal:
        for s in proposal.sessions:
            encoded = SessionChoice.encode(s.starts_at, s.room_id, s.appointment_type.pk, s.shifted) if s.starts_at else ""
            sessions.append((s, encoded))
    rooms = {room.pk: room for room in Room.objects.all()} if proposal else {}
    return render(
        request,
        "scheduling/series_form.html",
        {"form": form, "proposal": proposal, "sessions": sessions, "rooms": rooms, "zone": clinic_zone().key},
        status=status,
    )


@require("scheduling.add_series")
@require_http_methods(["GET", "POST"])
def series_new(request):
    if request.method == "GET":
        initial = {"first_day": today() + dt.timedelta(days=1), "preferred_time": dt.time(10)}
        initial.update({key: request.GET[key] for key in ("patient", "practitioner") if request.GET.get(key)})
        initial["appointment_type"] = AppointmentType.objects.filter(
            active=True, kind=AppointmentType.Kind.TREATMENT
        ).values_list("pk", flat=True).first()
        return _render_series(request, SeriesForm(initial=initial))

    form = SeriesForm(request.POST)
    if not form.is_valid():
        return _render_series(request, form, status=400)
    if request.POST.get("action") == "edit":
        return _render_series(request, form)
    if request.POST.get("action") == "confirm":
        try:
            series = booking.series_book(proposal=_proposal_from_post(form, request.POST), by=request.user)
        except SlotTaken as exc:
            messages.error(request, f"{exc.messages[0]} Nothing was booked; here is a fresh proposal.")
        except ValidationError as exc:
            add_domain_errors(exc, form)
            return _render_series(request, form, status=400)
        else:
            messages.success(request, f"Booked {series.sessions_planned} sessions for {series.patient}.")
            return redirect("scheduling:patient", pk=series.patient_id)
        status = 409
    else:
        status = 200
    try:
        proposal = booking.series_propose(**form.proposal_args())
    except ValidationError as exc:
        add_domain_errors(exc, form)
        return _render_series(request, form, status=400)
    return _render_series(request, form, proposal, status=status)


# --- Single visits -----------------------------------------------------------------------------
@require("scheduling.add_visit")
@require_http_methods(["GET", "POST"])
def visit_new(request):
    if request.method == "GET":
        initial = {key: request.GET[key] for key in ("patient", "practitioner", "room", "appointment_type") if request.GET.get(key)}
        if request.GET.get("start"):
            try:
                start = to_local(dt.datetime.fromisoformat(request.GET["start"]))
                initial.update(day=start.date(), time=start.time().replace(second=0, microsecond=0),
                               fold=str(start.fold))
            except (ValueError, TypeError):
                pass
        return render(request, "scheduling/visit_form.html", {"form": VisitForm(initial=initial)})
    form = VisitForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            visit = booking.visit_book(
                patient=data["patient"], practitioner=data["practitioner"], appointment_type=data["appointment_type"],
                starts_at=data["starts_at"], room_id=data["room"].pk if data["room"] else None, by=request.user,
            )
        except ValidationError as exc:
            add_domain_errors(exc, form)
            return render(request, "scheduling/visit_form.html", {"form": form}, status=_status(exc))
        messages.success(request, f"Booked {visit.appointment_type.name} for {visit.patient}.")
        return redirect("scheduling:visit", pk=visit.pk)
    return render(request, "scheduling/visit_form.html", {"form": form}, status=400)


def _get_visit(pk: int) -> Visit:
    return get_object_or_404(
        Visit.objects.select_related("patient", "practitioner", "room", "appointment_type", "series"), pk=pk
    )


def _render_visit(request, visit, *, move_form=None, cancel_form=None, status=200):
    in_series = visit.series_id is not None
    initial = {"day": to_local(visit.starts_at).date(), "time": to_local(visit.starts_at).time()}
    progress = None
    if visit.series:
        progress = visit.series.visits.filter(status=Visit.Status.COMPLETED).count()
    return render(
        request,
        "scheduling/visit_detail.html",
        {
            "visit": visit,
            "progress": progress,
            "move_form": move_form or MoveForm(initial=initial, in_series=in_series),
            "cancel_form": cancel_form or CancelForm(in_series=in_series),
            "starts_today": to_local(visit.starts_at).date() == today(),
            "started": visit.starts_at <= timezone.now(),
        },
        status=status,
    )


@require("scheduling.view_visit")
def visit_detail(request, pk: int):
    visit = _get_visit(pk)
    audit_record(user=request.user, action="view", obj=visit, patient_id=visit.patient_id)
    return _render_visit(request, visit)


@require("scheduling.change_visit")
@require_POST
def visit_move(request, pk: int):
    visit = _get_visit(pk)
    form = MoveForm(request.POST, in_series=visit.series_id is not None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("scope") == MoveForm.FOLLOWING:
                moved = booking.visit_move_following(visit=visit, starts_at=data["starts_at"], by=request.user)
                messages.success(request, f"Moved {len(moved)} visits.")
            else:
                booking.visit_move(
                    visit=visit, starts_at=data["starts_at"], room_id=data["room"].pk if data["room"] else None,
                    by=request.user,
                )
                messages.success(request, "Visit moved.")
        except ValidationError as exc:
            add_domain_errors(exc, form)
            return _render_visit(request, visit, move_form=form, status=_status(exc))
        return redirect("scheduling:visit", pk=pk)
    return _render_visit(request, visit, move_form=form, status=400)


@require("scheduling.change_visit")
@require_POST
def visit_cancel(request, pk: int):
    visit = _get_visit(pk)
    form = CancelForm(request.POST, in_series=visit.series_id is not None)
    if form.is_valid():
        try:
            make_up = booking.visit_cancel(
                visit=visit, reason=form.cleaned_data["reason"], make_up=form.cleaned_data.get("make_up", False),
                by=request.user,
            )
        except ValidationError as exc:
            add_domain_errors(exc, form)
            return _render_visit(request, visit, cancel_form=form, status=_status(exc))
        if make_up:
            messages.success(request, f"Visit cancelled; make-up session booked for {to_local(make_up.starts_at):%a %d %b %Y %H:%M}.")
        else:
            messages.success(request, "Visit cancelled.")
        return redirect("scheduling:visit", pk=pk)
    return _render_visit(request, visit, cancel_form=form, status=400)


def _status_change(request, pk: int, action, done: str) -> HttpResponse:
    visit = _get_visit(pk)
    try:
        action(visit=visit, by=request.user)
    except BookingError as exc:
        messages.error(request, exc.messages[0])
        return _render_visit(request, visit, status=400)
    messages.success(request, done)
    return redirect("scheduling:visit", pk=pk)


@require("scheduling.change_visit")
@require_POST
def visit_arrived(request, pk: int):
    return _status_change(request, pk, booking.visit_mark_arrived, "Marked as arrived.")


@require("scheduling.change_visit")
@require_POST
def visit_no_show(request, pk: int):
    return _status_change(request, pk, booking.visit_mark_no_show, "Marked as a no-show.")


# --- Calendars ---------------------------------------------------------------------------------
@require("scheduling.view_visit")
def calendar(request):
    params = request.GET.copy()
    # The calendar picker sends one "who" value such as "room=2" (practitioners and rooms share
    # one select); it stands for the practitioner/room parameter it names.
    key, _, value = params.pop("who", [""])[0].partition("=")
    if key in ("practitioner", "room") and value:
        params[key] = value
    form = CalendarForm(params or None)
    data = form.cleaned_data if form.is_valid() else {}
    practitioners = list(Practitioner.objects.filter(active=True))
    rooms = list(Room.objects.filter(active=True))
    room = data.get("room")
    # Without a choice, practitioners see their own calendar and everyone else the first one.
    own = next((p for p in practitioners if p.user_id == request.user.pk), None)
    practitioner = None if room else (data.get("practitioner") or own or (practitioners[0] if practitioners else None))
    view = data.get("view") or CalendarForm.DAY
    day = data.get("date") or today()
    if view == CalendarForm.WEEK:
        first = day - dt.timedelta(days=day.weekday())
        days = [first + dt.timedelta(days=i) for i in range(7)]
        step = dt.timedelta(days=7)
    else:
        days, step = [day], dt.timedelta(days=1)
    grid = calendar_grid(days=days, practitioner=practitioner, room=room) if (practitioner or room) else None
    subject = {"room": room.pk} if room else ({"practitioner": practitioner.pk} if practitioner else {})
    return render(
        request,
        "scheduling/calendar.html",
        {
            "grid": grid, "practitioners": practitioners, "rooms": rooms, "practitioner": practitioner, "room": room,
            "view": view, "day": day, "subject": subject, "today": today(),
            "previous": day - step, "next": day + step, "zone": clinic_zone().key,
        },
    )


# --- Patient timeline and maintenance ------------------------------------------------------------
@require("scheduling.view_visit", "patients.view_patient")
def patient_visits(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    audit_record(user=request.user, action="view", obj=patient, patient_id=patient.pk, summary="Visit timeline")
    context = patient_timeline(patient)
    initial = {"interval_weeks": context["maintenance"].interval_weeks} if context["maintenance"] else None
    return render(
        request,
        "scheduling/patient_timeline.html",
        {"patient": patient, "interval_form": MaintenanceIntervalForm(initial=initial), "now": timezone.now(), **context},
    )


@require("scheduling.change_maintenanceschedule")
@require_POST
def maintenance_interval(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = MaintenanceIntervalForm(request.POST)
    if form.is_valid():
        try:
            schedule = booking.maintenance_set_interval(
                patient=patient, weeks=form.cleaned_data["interval_weeks"], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Next maintenance due {schedule.due_on:%d %b %Y}.")
    else:
        messages.error(request, "Choose between 1 and 26 weeks, or leave empty for the clinic default.")
    return redirect("scheduling:patient", pk=pk)


@require("scheduling.view_maintenanceschedule")
def maintenance_list(request):
    day = today()
    page = Paginator(maintenance_due(today=day), 50).get_page(request.GET.get("page"))
    maintenance_type = AppointmentType.objects.filter(active=True, kind=AppointmentType.Kind.MAINTENANCE).first()
    return render(
        request,
        "scheduling/maintenance_list.html",
        {"page": page, "today": day, "maintenance_type": maintenance_type},
    )


# --- Reminders and patient requests ----------------------------------------------------------------
@require("scheduling.view_reminder")
def reminder_list(request):
    failed_only = request.GET.get("show") == "failed"
    page = Paginator(reminders_needing_attention(failed_only=failed_only), 50).get_page(request.GET.get("page"))
    return render(request, "scheduling/reminder_list.html", {"page": page, "failed_only": failed_only})


@require("scheduling.change_reminder")
@require_POST
def reminder_send_again(request, pk: int):
    reminder = get_object_or_404(Reminder, pk=pk)
    if reminders.reminder_send_again(reminder=reminder, by=request.user):
        messages.success(request, f"The reminder to {reminder.patient} will go out within a minute.")
    else:
        messages.error(request, "Only a failed reminder can be sent again; this one is not failed (any more).")
    return redirect("scheduling:reminders")


@require("scheduling.view_patientrequest")
def request_list(request):
    page = Paginator(open_patient_requests(), 50).get_page(request.GET.get("page"))
    return render(request, "scheduling/request_list.html", {"page": page})


@require("scheduling.change_patientrequest")
@require_POST
def request_handled(request, pk: int):
    patient_request = get_object_or_404(PatientRequest, pk=pk)
    if reminders.patient_request_handle(request=patient_request, by=request.user):
        messages.success(request, f"Marked the request of {patient_request.patient} as handled.")
    else:
        messages.info(request, "Someone had already handled that request.")
    return redirect("scheduling:requests")
