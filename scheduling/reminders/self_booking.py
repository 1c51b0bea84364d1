"""Patients choosing a time themselves, from the links in their e-mails: another time for a visit
("ask for another time"), a maintenance visit ("book maintenance") and the rest of their course
("book the remaining sessions", proposed by ``scheduling.proposal`` and confirmed as a whole).

The times offered are the patient's own practitioner's free times (``scheduling.availability``),
no sooner than the clinic's ``patient_min_notice_hours``; the chosen one is booked through the same
booking functions staff use (``scheduling.booking``: row locks, no double booking, reminders and
the e-mail with the updated .ics follow). The link's use (``LinkUse``), the booking and the entry
on the front desk's *Requests* list are one transaction: a refused or lost choice changes nothing
and the link still works. A patient whose latest screening blocks treatment is not booked
(``scheduling.treatment_gate``); the front desk gets a request instead.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from scheduling import booking
from scheduling.availability import Availability
from scheduling.clock import to_local
from scheduling.errors import BookingError, SlotTaken
from scheduling.models import (
    AppointmentType,
    ClinicSettings,
    MaintenanceSchedule,
    PatientRequest,
    Practitioner,
    Series,
    Visit,
)
from scheduling.proposal import SeriesProposal, series_rest_propose
from scheduling.reminders.actions import Link, link_open
from scheduling.reminders.link_use import link_used
from scheduling.reminders.patient_requests import patient_request_create
from scheduling.reminders.tokens import INVALID, OUTDATED, Action, LinkError
from scheduling.reminders.upkeep import maintenance_booked, unbooked_sessions
from scheduling.selectors import maintenance_type
from scheduling.treatment_gate import treatment_blocked

# The actions whose page offers times to choose from (SERIES: the rest of the course at once).
CHOOSING = (Action.NEW_TIME, Action.MAINTENANCE, Action.SERIES)
# "Ask for another time" looks this far ahead; "book maintenance" this far around the due date.
NEW_TIME_DAYS = 21
MAINTENANCE_DAYS_BEFORE, MAINTENANCE_DAYS_AFTER = 7, 14


class TreatmentBlocked(BookingError):
    """The latest screening blocks treatment: the clinic must speak to the patient first."""


@dataclass
class Offer:
    """What a link's page offers: the free start times, by local day."""

    practitioner: Practitioner | None
    appointment_type: AppointmentType | None
    visit: Visit | None = None
    days: list[tuple[dt.date, list[dt.datetime]]] = field(default_factory=list)

    @property
    def starts(self) -> set[dt.datetime]:
        return {start for _, starts in self.days for start in starts}


def notice_earliest(*, now: dt.datetime, clinic: ClinicSettings) -> dt.datetime:
    """The soonest a patient may book or move to (elapsed hours, the same across a clock change)."""
    return now + dt.timedelta(hours=clinic.patient_min_notice_hours)


def _patient_practitioner(patient_id: int) -> Practitioner | None:
    """The practitioner of the patient's latest visit (their own), if still working here."""
    visit = (
        Visit.objects.filter(patient_id=patient_id, practitioner__active=True)
        .select_related("practitioner").order_by("-starts_at", "-id").first()
    )
    return visit.practitioner if visit else None


def _window(link: Link, *, today: dt.date) -> tuple[dt.date, dt.date]:
    if link.action == Action.MAINTENANCE:
        schedule = MaintenanceSchedule.objects.filter(patient_id=link.reminder.patient_id).first()
        due = schedule.due_on if schedule else today
        first = max(today, due - dt.timedelta(days=MAINTENANCE_DAYS_BEFORE))
        return first, max(first, due + dt.timedelta(days=MAINTENANCE_DAYS_AFTER))
    return today, today + dt.timedelta(days=NEW_TIME_DAYS)


def choice_check(link: Link, *, now: dt.datetime | None = None) -> Link:
    """Checks an opened link (``link_open``) whose page offers times; raises ``LinkError`` if it
    cannot be used."""
    now = now or timezone.now()
    if link.action not in CHOOSING:
        raise LinkError(INVALID)
    # Booked meanwhile (by the front desk): this link has nothing left to do.
    if link.action == Action.MAINTENANCE and maintenance_booked(patient_id=link.reminder.patient_id, now=now):
        raise LinkError(OUTDATED)
    return link


def choice_offer(*, link: Link, now: dt.datetime | None = None, clinic: ClinicSettings | None = None) -> Offer:
    """The times a patient may choose through ``link`` (a NEW_TIME or MAINTENANCE link), in a fixed
    number of queries whatever the calendar holds."""
    now = now or timezone.now()
    clinic = clinic or ClinicSettings.load()
    visit = link.reminder.visit if link.action == Action.NEW_TIME else None
    if visit:
        offer = Offer(practitioner=visit.practitioner, appointment_type=visit.appointment_type, visit=visit)
    else:
        offer = Offer(practitioner=_patient_practitioner(link.reminder.patient_id), appointment_type=maintenance_type())
    if offer.practitioner is None or offer.appointment_type is None:
        return offer
    earliest = notice_earliest(now=now, clinic=clinic)
    first_day, last_day = _window(link, today=to_local(now).date())
    availability = Availability(
        practitioner=offer.practitioner, first_day=first_day, last_day=last_day,
        patient_id=link.reminder.patient_id, ignore_visit_ids=[visit.pk] if visit else [], settings=clinic,
    )
    duration = visit.ends_at - visit.starts_at if visit else offer.appointment_type.duration
    for n in range((last_day - first_day).days + 1):
        day = first_day + dt.timedelta(days=n)
        starts = [s for s in availability.free_starts(day, duration) if s >= earliest and not (visit and s == visit.starts_at)]
        if starts:
            offer.days.append((day, starts))
    return offer


def series_offer(*, link: Link, now: dt.datetime | None = None, clinic: ClinicSettings | None = None) -> SeriesProposal | None:
    """The remaining sessions of the link's series, placed on its cadence (``series_rest_propose``),
    none sooner than the notice window; None if nothing is left to book."""
    now = now or timezone.now()
    series = link.reminder.series
    left = unbooked_sessions(series)
    if series.status != Series.Status.ACTIVE or left <= 0:
        return None
    return series_rest_propose(series=series, sessions=left,
                               earliest=notice_earliest(now=now, clinic=clinic or ClinicSettings.load()))


def series_choice_book(*, token: str, proposal: SeriesProposal, now: dt.datetime | None = None) -> list[Visit]:
    """Books the proposal the patient confirmed (signed by the page that showed it) through the
    link ``token``: the remaining sessions of their series, all or none. Raises as ``choice_book``."""
    now = now or timezone.now()
    link = choice_check(link_open(token=token, now=now), now=now)
    if link.action != Action.SERIES:
        raise LinkError(INVALID)
    _refer_if_blocked(link)
    earliest = notice_earliest(now=now, clinic=ClinicSettings.load())
    if any(session.starts_at is None or session.starts_at < earliest for session in proposal.sessions):
        raise SlotTaken("These times can no longer be booked online.")
    with link_used(reminder=link.reminder, action=link.action):
        try:
            visits = booking.series_rest_book(series=link.reminder.series, proposal=proposal, by=None)
        except BookingError as exc:
            # The course changed or a session's time went: the patient picks from fresh times.
            raise SlotTaken(exc.messages[0]) from None
        first = f"{to_local(visits[0].starts_at):%a %d %b %Y %H:%M}"
        patient_request_create(reminder=link.reminder, kind=PatientRequest.Kind.BOOKED,
                               note=f"Booked the remaining {len(visits)} sessions online, from {first}")
    return visits


def blocked_reasons(*, link: Link) -> list[str]:
    """Why the patient may not choose a treatment time online (empty: they may)."""
    reminder = link.reminder
    if reminder.visit:
        kind = reminder.visit.appointment_type.kind
    else:
        kind = reminder.series.appointment_type.kind if reminder.series else AppointmentType.Kind.MAINTENANCE
    if kind == AppointmentType.Kind.CONSULTATION:
        return []
    return treatment_blocked(patient_id=link.reminder.patient_id)


BLOCKED_NOTE = "Tried to choose a time online; the latest screening blocks treatment."


def _refer_if_blocked(link: Link) -> None:
    """A patient whose screening blocks treatment books nothing: their request goes to the desk."""
    if blocked_reasons(link=link):
        refer_to_desk(link=link)
        raise TreatmentBlocked("Your health answers mean the clinic needs to speak to you before booking.")


def refer_to_desk(*, link: Link, note: str = BLOCKED_NOTE) -> None:
    """Instead of booking: the link is used for a request the front desk follows up."""
    with link_used(reminder=link.reminder, action=link.action):
        patient_request_create(reminder=link.reminder, kind=PatientRequest.Kind(link.action), note=note)


def choice_book(*, token: str, starts_at: dt.datetime, now: dt.datetime | None = None) -> Visit:
    """Books the time the patient chose through the link ``token``: moves their visit (NEW_TIME)
    or books a maintenance visit (MAINTENANCE). Raises ``LinkError`` (bad, used or outdated
    link), ``TreatmentBlocked`` (a request went to the front desk instead), ``SlotTaken`` (the time
    was taken since the page was shown) or ``BookingError`` (not a time offered); only a booking
    uses the link."""
    now = now or timezone.now()
    link = choice_check(link_open(token=token, now=now), now=now)
    if link.action == Action.SERIES:  # confirmed as a whole: series_choice_book
        raise LinkError(INVALID)
    _refer_if_blocked(link)
    clinic = ClinicSettings.load()
    if starts_at < notice_earliest(now=now, clinic=clinic):
        raise BookingError(
            f"Times less than {clinic.patient_min_notice_hours} hours ahead cannot be booked online; please call us."
        )
    offer = choice_offer(link=link, now=now, clinic=clinic)
    if starts_at not in offer.starts:
        raise SlotTaken("That time is no longer free.")
    reminder = link.reminder
    when = f"{to_local(starts_at):%a %d %b %Y %H:%M}"
    with link_used(reminder=reminder, action=link.action):
        if offer.visit:
            visit = booking.visit_move(visit=offer.visit, starts_at=starts_at, by=None)
            kind, note = PatientRequest.Kind.MOVED, f"Moved online to {when}"
        else:
            visit = booking.visit_book(
                patient=reminder.patient, practitioner=offer.practitioner,
                appointment_type=offer.appointment_type, starts_at=starts_at, by=None, notify=True,
            )
            kind, note = PatientRequest.Kind.BOOKED, f"Booked {visit.appointment_type.name} online for {when}"
        patient_request_create(reminder=reminder, kind=kind, note=note)
    return visit
