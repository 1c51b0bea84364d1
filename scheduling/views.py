"""Views of one shape: fetch through ``scheduling.access`` (permission, 404, read audit) → validate
with a form → call one domain function (``scheduling.proposal``, ``booking``, ``visit_status``,
``maintenance``) → redirect or render. Querysets come from ``scheduling.selectors``; a domain
refusal goes onto the form with ``staff.errors.add_domain_errors``.

A booking that collides with another one is answered with HTTP 409 and the reason on the page.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import booking, maintenance, proposal, selectors, visit_status, waitlist
from scheduling.access import patient_for, patient_request_for, reminder_for, visit_for
from scheduling.clock import clinic_zone, to_local, today
from scheduling.errors import BookingError, SlotTaken
from scheduling.forms import (
    CancelForm,
    MaintenanceIntervalForm,
    MoveForm,
    SeriesConfirmForm,
    SeriesForm,
    StatusForm,
    VisitForm,
)
from scheduling.models import FreedSlot, Series, Visit
from scheduling.models.clinic import MAINTENANCE_WEEKS_MAX, MAINTENANCE_WEEKS_MIN
from scheduling.reminders import outbox, patient_requests
from scheduling.reminders.heartbeat import cached_last_sweep
from scheduling.selectors import (
    maintenance_due,
    open_patient_requests,
    patient_timeline,
    reminders_needing_attention,
)
from scheduling.submissions import AlreadySaved
from staff.access import require, staff_only
from staff.audit import audit_listing
from staff.errors import add_domain_errors


def _status(exc: ValidationError) -> int:
    return 409 if isinstance(exc, SlotTaken) else 400


# --- Series ------------------------------------------------------------------------------------
def _render_series(request, form, shown=None, status=200):
    context = {"form": form, "proposal": shown, "zone": clinic_zone().key}
    if shown:
        context.update(rooms=selectors.rooms_by_id(), confirm_form=SeriesConfirmForm.for_proposal(shown, user=request.user))
    return render(request, "scheduling/series_form.html", context, status=status)


def _series_initial(request) -> dict:
    initial = {
        "first_day": today() + dt.timedelta(days=1),
        "preferred_time": dt.time(10),
        "appointment_type": selectors.default_series_type_id(),
    }
    initial.update({key: request.GET[key] for key in ("patient", "practitioner") if request.GET.get(key)})
    return initial


def _series_propose(request, form, status=200):
    try:
        shown = proposal.series_propose(**form.proposal_args())
    except ValidationError as exc:
        add_domain_errors(exc, form)
        return _render_series(request, form, status=400)
    return _render_series(request, form, shown, status=status)


def _series_confirm(request):
    """Books the signed proposal the page showed; the POST carries nothing else."""
    confirm = SeriesConfirmForm(request.POST, user=request.user)
    if not confirm.is_valid():
        for errors in confirm.errors.values():
            for message in errors:
                messages.error(request, message)
        return _render_series(request, SeriesForm(initial=_series_initial(request)), status=400)
    shown = confirm.cleaned_data["proposal"]
    try:
        series = booking.series_book(proposal=shown, by=request.user, form_key=confirm.form_key)
    except AlreadySaved as done:
        # A double click or a retry after a timeout: the first submit booked it; show that.
        series = Series.objects.select_related("patient").get(pk=done.result_id)
        messages.info(request, f"Already booked: these {series.sessions_planned} sessions for {series.patient} "
                               "were booked by the first submit of this page; nothing was booked twice.")
        return redirect("scheduling:patient", pk=series.patient_id)
    except SlotTaken as exc:
        messages.error(request, f"{exc.messages[0]} Nothing was booked; here is a fresh proposal.")
        return _series_propose(request, SeriesForm.for_request(shown.request()), status=409)
    except ValidationError as exc:
        form = SeriesForm.for_request(shown.request())
        add_domain_errors(exc, form)
        return _render_series(request, form, status=400)
    messages.success(request, f"Booked {series.sessions_planned} sessions for {series.patient}.")
    return redirect("scheduling:patient", pk=series.patient_id)


@require("scheduling.add_series")
@require_http_methods(["GET", "POST"])
def series_new(request):
    if request.method == "GET":
        return _render_series(request, SeriesForm(initial=_series_initial(request)))
    action = request.POST.get("action")
    if action == "confirm":
        return _series_confirm(request)
    form = SeriesForm(request.POST)
    if not form.is_valid():
        return _render_series(request, form, status=400)
    if action == "edit":
        return _render_series(request, form)
    return _series_propose(request, form)


# --- Single visits -----------------------------------------------------------------------------
def _visit_initial(request) -> dict:
    """The form filled in from a calendar cell's link (``start``, ``practitioner``, ...)."""
    initial = {key: request.GET[key] for key in ("patient", "practitioner", "room", "appointment_type") if request.GET.get(key)}
    if request.GET.get("start"):
        try:
            start = to_local(dt.datetime.fromisoformat(request.GET["start"]))
        except (ValueError, TypeError):
            return initial
        initial.update(day=start.date(), time=start.time().replace(second=0, microsecond=0), fold=str(start.fold))
    return initial


@require("scheduling.add_visit")
@require_http_methods(["GET", "POST"])
def visit_new(request):
    if request.method == "GET":
        return render(request, "scheduling/visit_form.html", {"form": VisitForm(initial=_visit_initial(request))})
    form = VisitForm(request.POST)
    if not form.is_valid():
        return render(request, "scheduling/visit_form.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        visit = booking.visit_book(
            patient=data["patient"], practitioner=data["practitioner"], appointment_type=data["appointment_type"],
            starts_at=data["starts_at"], room_id=data["room"].pk if data["room"] else None, by=request.user,
            form_key=data["form_key"],
        )
    except AlreadySaved as done:
        messages.info(request, "Already booked: the first submit of this page booked this visit; nothing was booked twice.")
        return redirect("scheduling:visit", pk=done.result_id)
    except ValidationError as exc:
        add_domain_errors(exc, form)
        return render(request, "scheduling/visit_form.html", {"form": form}, status=_status(exc))
    messages.success(request, f"Booked {visit.appointment_type.name} for {visit.patient}.")
    return redirect("scheduling:visit", pk=visit.pk)


def _render_visit(request, visit, *, move_form=None, cancel_form=None, status_form=None, status=200):
    in_series = visit.series_id is not None
    local_start = to_local(visit.starts_at)
    return render(
        request,
        "scheduling/visit_detail.html",
        {
            "visit": visit,
            "progress": selectors.series_sessions_done(visit.series) if visit.series else None,
            "move_form": move_form
            or MoveForm(initial={"day": local_start.date(), "time": local_start.time()}, in_series=in_series),
            "cancel_form": cancel_form or CancelForm(in_series=in_series),
            "status_form": status_form or StatusForm(),
            "allowed": visit.allowed_changes(request.user, at=timezone.now()),
            "can_move": request.user.has_perm("scheduling.change_visit") and visit.status in Visit.CHANGEABLE,
            # Record session: on the day, once the visit has begun (what the session page accepts).
            "may_record": local_start.date() == today() and visit.starts_at <= timezone.now(),
            "offers": waitlist.offers_for(request.user, FreedSlot.objects.filter(visit=visit)),
        },
        status=status,
    )


@staff_only
def visit_detail(request, pk: int):
    return _render_visit(request, visit_for(request, pk, audit=True))


@staff_only
@require_POST
def visit_move(request, pk: int):
    visit = visit_for(request, pk, perm="scheduling.change_visit")
    form = MoveForm(request.POST, in_series=visit.series_id is not None)
    if not form.is_valid():
        return _render_visit(request, visit, move_form=form, status=400)
    data = form.cleaned_data
    try:
        if data.get("scope") == MoveForm.FOLLOWING:
            moved = booking.visit_move_following(visit=visit, starts_at=data["starts_at"], by=request.user)
            messages.success(request, f"Moved {len(moved)} visits.")
        else:
            room_id = data["room"].pk if data["room"] else None
            booking.visit_move(visit=visit, starts_at=data["starts_at"], room_id=room_id, by=request.user)
            messages.success(request, "Visit moved.")
    except ValidationError as exc:
        add_domain_errors(exc, form)
        return _render_visit(request, visit, move_form=form, status=_status(exc))
    return redirect("scheduling:visit", pk=pk)


@staff_only
@require_POST
def visit_cancel(request, pk: int):
    visit = visit_for(request, pk, perm=Visit.TRANSITIONS[Visit.Status.CANCELLED].perm)
    form = CancelForm(request.POST, in_series=visit.series_id is not None)
    if not form.is_valid():
        return _render_visit(request, visit, cancel_form=form, status=400)
    try:
        make_up = visit_status.visit_cancel(
            visit=visit, reason=form.cleaned_data["reason"], make_up=form.cleaned_data.get("make_up", False),
            cancelled_by=form.cleaned_data["cancelled_by"], by=request.user,
        )
    except ValidationError as exc:
        add_domain_errors(exc, form)
        if isinstance(exc, BookingError):
            # The visit is no longer open (someone was faster, it was completed): the cancel form is
            # gone from the page, so the reason is said at the top.
            messages.error(request, " ".join(exc.messages))
            visit.refresh_from_db()
            return _render_visit(request, visit, cancel_form=form, status=409)
        return _render_visit(request, visit, cancel_form=form, status=400)
    if make_up:
        messages.success(request, f"Visit cancelled; make-up session booked for {to_local(make_up.starts_at):%a %d %b %Y %H:%M}.")
    else:
        messages.success(request, "Visit cancelled.")
    return redirect("scheduling:visit", pk=pk)


# Status buttons of the visit page; cancelling and completing have their own steps.
_STATUS_DONE = {
    Visit.Status.ARRIVED: "Marked as arrived.",
    Visit.Status.BOOKED: "Arrival undone: the visit is booked again.",
    Visit.Status.NO_SHOW: "Marked as a no-show.",
    Visit.Status.NOT_TREATED: "Marked as not treated.",
}


@staff_only
@require_POST
def visit_change_status(request, pk: int, status: str):
    """A refusal by role is 403 (the access helper); by the visit's state or time, 409 with why."""
    if status not in _STATUS_DONE:
        raise Http404
    visit = visit_for(request, pk, perm=Visit.TRANSITIONS[status].perm)
    form = StatusForm(request.POST)
    form.is_valid()
    try:
        visit_status.visit_status_change(visit=visit, status=status, reason=form.cleaned_data.get("reason", ""),
                                         by=request.user)
    except ValidationError as exc:
        add_domain_errors(exc, form)
        messages.error(request, " ".join(exc.messages))
        visit.refresh_from_db()
        return _render_visit(request, visit, status_form=form, status=409 if isinstance(exc, BookingError) else 400)
    messages.success(request, _STATUS_DONE[status])
    return redirect("scheduling:visit", pk=pk)


# --- Patient timeline and maintenance ------------------------------------------------------------
@require("scheduling.view_visit")
def patient_visits(request, pk: int):
    patient = patient_for(request, pk, perm="patients.view_patient", audit_summary="Visit timeline")
    context = patient_timeline(patient)
    initial = {"interval_weeks": context["maintenance"].interval_weeks} if context["maintenance"] else None
    return render(
        request,
        "scheduling/patient_timeline.html",
        {"patient": patient, "interval_form": MaintenanceIntervalForm(initial=initial), "now": timezone.now(), **context},
    )


@staff_only
@require_POST
def maintenance_interval(request, pk: int):
    patient = patient_for(request, pk, perm="scheduling.change_maintenanceschedule")
    form = MaintenanceIntervalForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            f"Choose between {MAINTENANCE_WEEKS_MIN} and {MAINTENANCE_WEEKS_MAX} weeks, or leave empty for the clinic default.",
        )
        return redirect("scheduling:patient", pk=pk)
    try:
        schedule = maintenance.maintenance_set_interval(
            patient=patient, weeks=form.cleaned_data["interval_weeks"], by=request.user
        )
    except ValidationError as exc:
        # The form lives on the timeline page, so the refusal travels there as a message.
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Next maintenance due {schedule.due_on:%d %b %Y}.")
    return redirect("scheduling:patient", pk=pk)


@require("scheduling.view_maintenanceschedule")
def maintenance_list(request):
    day = today()
    page = Paginator(maintenance_due(today=day), 50).get_page(request.GET.get("page"))
    audit_listing(user=request.user, summary=f"maintenance due, page {page.number}",
                  rows=[(schedule, schedule.patient_id) for schedule in page])
    return render(
        request,
        "scheduling/maintenance_list.html",
        {"page": page, "today": day, "maintenance_type": selectors.maintenance_type()},
    )


# --- Reminders and patient requests ----------------------------------------------------------------
@require("scheduling.view_reminder")
def reminder_list(request):
    failed_only = request.GET.get("show") == "failed"
    page = Paginator(reminders_needing_attention(failed_only=failed_only), 50).get_page(request.GET.get("page"))
    audit_listing(user=request.user, summary=f"reminders{' (failed)' if failed_only else ''}, page {page.number}",
                  rows=[(reminder, reminder.patient_id) for reminder in page])
    return render(
        request, "scheduling/reminder_list.html", {"page": page, "failed_only": failed_only, "last_sweep": cached_last_sweep()}
    )


@staff_only
@require_POST
def reminder_send_again(request, pk: int):
    reminder = reminder_for(request, pk, perm="scheduling.change_reminder")
    if outbox.reminder_send_again(reminder=reminder, by=request.user):
        messages.success(request, f"The reminder to {reminder.patient} will go out within a minute.")
    else:
        messages.error(request, "Only a failed reminder can be sent again; this one is not failed (any more).")
    return redirect("scheduling:reminders")


@require("scheduling.view_patientrequest")
def request_list(request):
    page = Paginator(open_patient_requests(), 50).get_page(request.GET.get("page"))
    audit_listing(user=request.user, summary=f"patient requests, page {page.number}",
                  rows=[(item, item.patient_id) for item in page])
    offers = waitlist.offers_for(request.user, waitlist.upcoming_freed_slots())
    return render(request, "scheduling/request_list.html", {"page": page, "offers": offers})


@staff_only
@require_POST
def request_handled(request, pk: int):
    patient_request = patient_request_for(request, pk, perm="scheduling.change_patientrequest")
    if patient_requests.patient_request_handle(request=patient_request, by=request.user):
        messages.success(request, f"Marked the request of {patient_request.patient} as handled.")
    else:
        messages.info(request, "Someone had already handled that request.")
    return redirect("scheduling:requests")
