"""The link pages where a patient chooses a time (``scheduling.reminders.self_booking``): another time for
a visit, a maintenance visit, or the remaining sessions of their course. Reached through
``link_views.link_page``; GET shows the times, the page's button POSTs the choice. A patient whose
screening blocks treatment, or for whom no time suits, gets the request form instead (the front
desk calls them).
"""

import datetime as dt

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import render

from scheduling.clock import to_local
from scheduling.errors import BookingError, SlotTaken
from scheduling.forms import proposal_from_payload, proposal_payload
from scheduling.models import ClinicSettings, Reminder
from scheduling.proposal import SeriesProposal
from scheduling.reminders.actions import Link, link_act
from scheduling.reminders.self_booking import (
    TreatmentBlocked,
    blocked_reasons,
    choice_book,
    choice_offer,
    refer_to_desk,
    series_choice_book,
    series_offer,
)


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


class SeriesRestForm(forms.Form):
    """The "Book these sessions" button: it carries only the proposal the page showed, signed by
    the server for this one link (as ``SeriesConfirmForm`` does for staff); the times are checked
    again when booked."""

    SALT = "scheduling.self-booking-series"
    MAX_AGE = dt.timedelta(hours=1)
    proposal = forms.CharField(widget=forms.HiddenInput, error_messages={
        "required": "These times were not sent with the button; please look at them again."})

    def __init__(self, *args, reminder: Reminder, **kwargs):
        super().__init__(*args, **kwargs)
        self.reminder = reminder

    @classmethod
    def for_proposal(cls, proposal: SeriesProposal, *, reminder: Reminder) -> "SeriesRestForm":
        signed = signing.dumps({**proposal_payload(proposal, user_id=None), "r": reminder.pk}, salt=cls.SALT, compress=True)
        return cls(initial={"proposal": signed}, reminder=reminder)

    def clean_proposal(self) -> SeriesProposal:
        try:
            payload = signing.loads(self.cleaned_data["proposal"], salt=self.SALT, max_age=self.MAX_AGE)
        except signing.BadSignature:  # also an expired one: either way, look again
            raise ValidationError("These times are out of date; here they are again.") from None
        if payload.get("r") != self.reminder.pk:
            raise ValidationError("These times are out of date; here they are again.")
        return proposal_from_payload(payload)


def _context(link: Link, clinic: ClinicSettings | None = None, **extra) -> dict:
    visit = link.reminder.visit
    return {"link": link, "clinic": clinic or ClinicSettings.load(),
            "starts": to_local(visit.starts_at) if visit else None, **extra}


def _ask_or_blocked(request, token: str, link: Link, note_form, blocked: list[str]):
    """The request form's POST, and the page of a patient who may not book online; None otherwise."""
    if request.method == "POST" and "ask" in request.POST and note_form.is_valid():
        link_act(token=token, note=note_form.cleaned_data["note"])
        return render(request, "scheduling/links/done.html", _context(link))
    if not blocked:
        return None
    if request.method == "POST" and "ask" not in request.POST:
        # A choice posted from a page shown before the screening changed.
        refer_to_desk(link=link)
        return render(request, "scheduling/links/blocked.html", _context(link, refused=True), status=409)
    return render(request, "scheduling/links/blocked.html", _context(link, form=note_form, refused=False),
                  status=400 if note_form.errors else 200)


def _choose(request, link: Link, note_form, *, form: ChoiceForm | None = None, taken: bool = False, status: int = 200):
    clinic = ClinicSettings.load()
    offer = choice_offer(link=link, clinic=clinic)
    days = [(day, [(start.isoformat(), to_local(start)) for start in starts]) for day, starts in offer.days]
    return render(request, "scheduling/links/choose.html",
                  _context(link, clinic, offer=offer, days=days, form=form, taken=taken, note_form=note_form),
                  status=status)


def _page(request, token: str, link: Link, note_form, *, show, form: forms.Form, book):
    """The shape of each page: the request form or the blocked page if they apply; GET shows the
    times (``show``); POST validates ``form`` and books (``book``), showing fresh times when one was
    taken meanwhile."""
    response = _ask_or_blocked(request, token, link, note_form, blocked_reasons(link=link))
    if response is not None:
        return response
    if request.method != "POST":
        return show(request, link, note_form)
    if not form.is_valid():
        return show(request, link, note_form, form=form, status=400)
    try:
        visits = book(form.cleaned_data)
    except TreatmentBlocked:
        return render(request, "scheduling/links/blocked.html", _context(link, refused=True), status=409)
    except SlotTaken:
        # The front desk (or another patient) took it since the page was shown: fresh times.
        return show(request, link, note_form, taken=True, status=409)
    except BookingError as exc:
        form.add_error(None, exc.messages[0])
        return show(request, link, note_form, form=form, status=400)
    return render(request, "scheduling/links/chosen.html", _context(link, visits=visits))


def choose_page(request, token: str, link: Link, *, note_form):
    """Another time or maintenance. GET: the free times; POST: books the one chosen."""
    return _page(request, token, link, note_form, show=_choose, form=ChoiceForm(request.POST or None),
                 book=lambda data: [choice_book(token=token, starts_at=data["starts_at"])])


def _series(request, link: Link, note_form, *, form: SeriesRestForm | None = None, taken: bool = False,
            status: int = 200):
    clinic = ClinicSettings.load()
    proposal = series_offer(link=link, clinic=clinic)
    confirm = SeriesRestForm.for_proposal(proposal, reminder=link.reminder) if proposal and proposal.complete else None
    sessions = [(s, to_local(s.starts_at) if s.starts_at else None) for s in proposal.sessions] if proposal else []
    return render(request, "scheduling/links/series.html",
                  _context(link, clinic, proposal=proposal, sessions=sessions, confirm=confirm, form=form,
                           taken=taken, note_form=note_form), status=status)


def series_page(request, token: str, link: Link, *, note_form):
    """The remaining sessions. GET: the proposed times; POST: books them all (the signed proposal)."""
    return _page(request, token, link, note_form, show=_series,
                 form=SeriesRestForm(request.POST or None, reminder=link.reminder),
                 book=lambda data: series_choice_book(token=token, proposal=data["proposal"]))
