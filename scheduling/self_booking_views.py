"""The link pages where a patient chooses a time (``scheduling.self_booking``): another time for
a visit, or a maintenance visit. Reached through ``link_views.link_page``; GET shows the times,
the page's button POSTs the chosen one. A patient whose screening blocks treatment, or for whom
no time is free online, gets the request form instead (the front desk calls them).
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render

from scheduling.clock import to_local
from scheduling.errors import BookingError, SlotTaken
from scheduling.models import ClinicSettings
from scheduling.reminders.actions import Link, link_act
from scheduling.self_booking import TreatmentBlocked, blocked_reasons, choice_book, choice_offer, refer_to_desk


class ChoiceForm(forms.Form):
    starts_at = forms.CharField(label="Your time", max_length=40, error_messages={"required": "Choose a time."})

    def clean_starts_at(self) -> dt.datetime:
        try:
            value = dt.datetime.fromisoformat(self.cleaned_data["starts_at"])
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:
            raise ValidationError("Choose one of the times shown.")
        return value


def _context(link: Link, clinic: ClinicSettings | None = None, **extra) -> dict:
    visit = link.reminder.visit
    return {"link": link, "clinic": clinic or ClinicSettings.load(),
            "starts": to_local(visit.starts_at) if visit else None, **extra}


def _choose(request, link: Link, note_form, *, form: ChoiceForm | None = None, taken: bool = False, status: int = 200):
    clinic = ClinicSettings.load()
    offer = choice_offer(link=link, clinic=clinic)
    days = [(day, [(start.isoformat(), to_local(start)) for start in starts]) for day, starts in offer.days]
    return render(request, "scheduling/links/choose.html",
                  _context(link, clinic, offer=offer, days=days, form=form, taken=taken, note_form=note_form), status=status)


def choose_page(request, token: str, link: Link, *, note_form):
    """GET: the free times (or, when blocked or none is free, the request form); POST: books one."""
    blocked = blocked_reasons(link=link)
    if request.method == "POST" and "ask" in request.POST and note_form.is_valid():
        # The request form of a blocked patient, or of one who found no time that suits.
        link_act(token=token, note=note_form.cleaned_data["note"])
        return render(request, "scheduling/links/done.html", _context(link))
    if blocked and "starts_at" not in request.POST:
        return render(request, "scheduling/links/blocked.html", _context(link, form=note_form, refused=False),
                      status=400 if note_form.errors else 200)
    if request.method != "POST":
        return _choose(request, link, note_form)
    if blocked:
        # A time posted from a page shown before the screening changed.
        refer_to_desk(link=link)
        return render(request, "scheduling/links/blocked.html", _context(link, refused=True), status=409)
    form = ChoiceForm(request.POST)
    if not form.is_valid():
        return _choose(request, link, note_form, form=form, status=400)
    try:
        visit = choice_book(token=token, starts_at=form.cleaned_data["starts_at"])
    except TreatmentBlocked:
        return render(request, "scheduling/links/blocked.html", _context(link, refused=True), status=409)
    except SlotTaken:
        # The front desk (or another patient) took it since the page was shown: fresh times.
        return _choose(request, link, note_form, taken=True, status=409)
    except BookingError as exc:
        form.add_error("starts_at", exc.messages[0])
        return _choose(request, link, note_form, form=form, status=400)
    return render(request, "scheduling/links/chosen.html", _context(link, visit=visit, when=to_local(visit.starts_at)))
