"""The page behind the health-check link in the e-mail before a visit ("has anything changed?").
No login: the signed token is the key (``scheduling.reminders.tokens``). GET shows the questions
prefilled from the patient's latest screening; POST records the answer, once
(``scheduling.reminders.health_check``). A bad, expired, used or outdated link gets the same
friendly pages as the other links and changes nothing.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from patients.forms import ScreeningForm
from patients.models import Screening
from scheduling import tasks
from scheduling.clock import to_local
from scheduling.link_views import problem_page
from scheduling.models import ClinicSettings
from scheduling.reminders.health_check import ANSWER_FIELDS, health_check_answer, health_check_open
from scheduling.reminders.tokens import LinkError
from staff.audit import audit_record
from staff.errors import add_domain_errors


class HealthCheckForm(ScreeningForm):
    """The staff questionnaire, its labels and rules, for the patient: starts from their latest
    answers (each Yes/No pre-selected to confirm or change), without staff's notes."""

    class Meta(ScreeningForm.Meta):
        fields = list(ANSWER_FIELDS)

    def __init__(self, *args, previous: Screening, **kwargs):
        initial = {name: getattr(previous, name) for name in ANSWER_FIELDS}
        super().__init__(*args, initial=initial, previous=previous, **kwargs)
        for name in Screening.FLAG_FIELDS:
            self.initial[name] = "yes" if getattr(previous, name) else "no"
            self.fields[name].help_text = f"Last time: {'Yes' if getattr(previous, name) else 'No'}"
        if "confirmed_no" in self.fields:
            self.fields["confirmed_no"].label = "Answers that were Yes last time and are No now: tick each one to confirm it"


@never_cache
@require_http_methods(["GET", "POST"])
def health_check_page(request, token: str):
    try:
        check = health_check_open(token=token)
    except LinkError as exc:
        return problem_page(request, exc.reason)
    data = request.POST if request.method == "POST" else None
    if data is None:
        # The page shows the patient's answers: a read of their record, through their link.
        audit_record(user=None, action="view", obj=check.previous, patient_id=check.reminder.patient_id,
                     summary="health check page (the patient's e-mail link)")
    form = HealthCheckForm(data, previous=check.previous, prefix="h")
    clinic = ClinicSettings.load()
    if request.method == "POST" and form.is_valid():
        try:
            answered = health_check_answer(token=token, answers=form.answers())
        except LinkError as exc:
            return problem_page(request, exc.reason)
        except ValidationError as exc:
            add_domain_errors(exc, form)
        else:
            tasks.notify_health_check_answered(request_id=answered.pk)
            return render(request, "scheduling/links/health_check_done.html",
                          {"answered": answered, "clinic": clinic, "starts": to_local(check.visit.starts_at)})
    return render(
        request, "scheduling/links/health_check.html",
        {"check": check, "form": form, "clinic": clinic, "starts": to_local(check.visit.starts_at)},
        status=400 if form.errors else 200,
    )
