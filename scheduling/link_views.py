"""The pages behind the links in reminder e-mails. No login: the signed token is the key
(``scheduling.reminders.tokens``). GET only shows what the link is for; the page's button POSTs
(with CSRF) and that acts, once (``scheduling.reminders.actions``). A bad, expired, used or outdated
link gets a friendly page and changes nothing.
"""

from django import forms
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from scheduling.clock import to_local
from scheduling.models import ClinicSettings
from scheduling.reminders.actions import REQUESTS, link_act, link_open
from scheduling.reminders.self_booking import CHOOSING, choice_check
from scheduling.reminders.tokens import Action, LinkError
from scheduling.self_booking_views import choose_page, series_page

# What a friendly page says, by LinkError.reason, and its HTTP status.
PROBLEMS = {
    "invalid": (400, "This link does not work", "The link may have been cut short or changed on the way."),
    "expired": (410, "This link has expired", "Links in our e-mails work for a limited time."),
    "used": (410, "This link has already been used", "Each link works once, and this one already did its job."),
    "outdated": (410, "This visit can no longer be changed online",
                 "It has been moved, cancelled or has already taken place."),
}


class NoteForm(forms.Form):
    note = forms.CharField(
        label="When would suit you? (optional)", required=False, max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: weekday mornings, or after 5 pm on Thursdays.",
    )


def problem_page(request, reason: str):
    status, title, detail = PROBLEMS[reason]
    return render(request, "scheduling/links/problem.html",
                  {"title": title, "detail": detail, "clinic": ClinicSettings.load()}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def link_page(request, token: str):
    try:
        link = link_open(token=token)
        if link.action in CHOOSING:
            # The patient chooses a time themselves (scheduling/reminders/self_booking.py).
            link = choice_check(link)
            page = series_page if link.action == Action.SERIES else choose_page
            return page(request, token, link, note_form=NoteForm(request.POST or None))
    except LinkError as exc:
        return problem_page(request, exc.reason)
    form = NoteForm(request.POST or None) if link.action in REQUESTS else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            link_act(token=token, note=form.cleaned_data["note"] if form else "")
        except LinkError as exc:
            return problem_page(request, exc.reason)
        return render(request, "scheduling/links/done.html", {"link": link, "clinic": ClinicSettings.load()})
    visit = link.reminder.visit
    return render(
        request,
        "scheduling/links/page.html",
        {"link": link, "form": form, "clinic": ClinicSettings.load(),
         "starts": to_local(visit.starts_at) if visit else None},
        status=400 if form is not None and form.errors else 200,
    )
