"""The waiting list's pages (``scheduling.waitlist``): the list with its add form and the freed
times that suit waiting patients; closing an entry; booking a waiting patient into a freed time.
Views of one shape, as in ``scheduling.views``."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import waitlist
from scheduling.access import freed_slot_for, waitlist_entry_for
from scheduling.clock import clinic_zone, to_local, today
from scheduling.models import WaitlistEntry
from scheduling.waitlist_forms import WaitlistBookForm, WaitlistCloseForm, WaitlistEntryForm
from staff.access import require, staff_only
from staff.audit import audit_listing
from staff.errors import add_domain_errors

ADD = "scheduling.add_waitlistentry"
CHANGE = "scheduling.change_waitlistentry"


@require("scheduling.view_waitlistentry")
@require_http_methods(["GET", "POST"])
def waitlist_list(request):
    form = WaitlistEntryForm(initial=WaitlistEntryForm.initial_for(today()))
    status = 200
    if request.method == "POST":
        if not request.user.has_perm(ADD):
            raise PermissionDenied
        form = WaitlistEntryForm(request.POST)
        if form.is_valid():
            try:
                entry = waitlist.waitlist_add(**form.cleaned_data, by=request.user)
            except ValidationError as exc:
                add_domain_errors(exc, form)
            else:
                messages.success(request, f"{entry.patient} is on the waiting list for {entry.practitioner}.")
                return redirect("scheduling:waitlist")
        status = 400
    waiting = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).select_related(
        "patient", "practitioner", "appointment_type").order_by("practitioner__display_name", "created_at", "id")
    page = Paginator(waiting, 50).get_page(request.GET.get("page"))
    offers = waitlist.slot_offers(waitlist.upcoming_freed_slots())
    audit_listing(user=request.user, summary=f"waiting list, page {page.number}",
                  rows=[(entry, entry.patient_id) for entry in page])
    return render(request, "scheduling/waitlist.html", {
        "form": form, "page": page, "offers": offers, "zone": clinic_zone().key,
    }, status=status)


@staff_only
@require_POST
def waitlist_close(request, pk: int):
    entry = waitlist_entry_for(request, pk, perm=CHANGE)
    form = WaitlistCloseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose done or removed.")
        entry = waitlist.waitlist_close(entry=entry, status=form.cleaned_data["status"], by=request.user)
    except ValidationError as exc:
        messages.error(request, f"{entry.patient}: {' '.join(exc.messages)}")
    else:
        messages.success(request, f"{entry.patient}: {entry.get_status_display().lower()}.")
    return redirect("scheduling:waitlist")


@staff_only
@require_POST
def waitlist_book(request, pk: int):
    """Books the waiting patient into a freed time; back to the page the button was on."""
    entry = waitlist_entry_for(request, pk, perm=CHANGE)
    form = WaitlistBookForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a freed time to book.")
        return redirect("scheduling:waitlist")
    slot = freed_slot_for(request, form.cleaned_data["slot"], perm="scheduling.add_visit")
    try:
        visit = waitlist.waitlist_book(entry=entry, slot=slot, by=request.user)
    except ValidationError as exc:
        messages.error(request, f"{entry.patient}: {' '.join(exc.messages)} Nothing was booked.")
        return redirect("scheduling:visit", pk=slot.visit_id)
    messages.success(request, f"Booked {entry.patient} on {to_local(visit.starts_at):%a %d %b %Y %H:%M}.")
    return redirect("scheduling:visit", pk=visit.pk)
