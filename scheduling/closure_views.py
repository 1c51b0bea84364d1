"""The front desk's decisions about visits inside a closure or time off (``scheduling.closures``):
the list with each visit's nearest free time, and one POST per decision. Views of one shape, as
in ``scheduling.views``."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from scheduling import closures, selectors
from scheduling.access import affected_visit_for
from scheduling.forms import DecisionForm
from staff.access import require, staff_only


@require("scheduling.change_visit")
def decision_list(request):
    rows = [(affected, closures.move_proposal(affected)) for affected in closures.pending_decisions()]
    return render(request, "scheduling/decision_list.html", {"rows": rows, "rooms": selectors.rooms_by_id()})


@staff_only
@require_POST
def decision_make(request, pk: int):
    affected = affected_visit_for(request, pk, perm="scheduling.change_visit")
    form = DecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.get("__all__") or "Choose move, cancel or keep.")
        data = form.cleaned_data
        affected = closures.affected_decide(
            affected=affected, decision=data["decision"], starts_at=data["starts_at"],
            room_id=data["room"].pk if data["room"] else None, reason=data["reason"], by=request.user,
        )
    except ValidationError as exc:
        # One list page holds every row's form, so the refusal travels there as a message.
        messages.error(request, f"{affected.visit.patient}: {' '.join(exc.messages)}")
    else:
        messages.success(request, f"{affected.visit.patient}: {affected.get_decision_display().lower()}.")
    return redirect("scheduling:decisions")
