"""Scheduling test data: a small clinic (rooms, hours, practitioners, appointment types)."""

import datetime as dt
from zoneinfo import ZoneInfo

import factory

from scheduling.booking import series_book
from scheduling.models import (
    AppointmentType,
    ClinicSettings,
    OpeningHours,
    Practitioner,
    Room,
    Visit,
    WorkingHours,
)
from scheduling.proposal import SeriesProposal, series_propose
from scheduling.visit_status import visit_complete
from staff.roles import ACUPUNCTURIST
from tests.factories import UserFactory


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    name = factory.Sequence(lambda n: f"Room {n + 1}")
    display_order = factory.Sequence(lambda n: n)


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    user = factory.SubFactory(UserFactory, role=ACUPUNCTURIST)
    display_name = factory.LazyAttribute(lambda p: f"{p.user.first_name} {p.user.last_name}")


def practitioner(*, weekdays=range(7), starts=dt.time(8), ends=dt.time(20), **kwargs) -> Practitioner:
    """A practitioner working ``starts``–``ends`` on each of ``weekdays`` (0 = Monday)."""
    result = PractitionerFactory(**kwargs)
    WorkingHours.objects.bulk_create(
        WorkingHours(practitioner=result, weekday=day, starts=starts, ends=ends) for day in weekdays
    )
    return result


def appointment_type(kind: str = AppointmentType.Kind.TREATMENT, minutes: int = 60, name: str = "") -> AppointmentType:
    return AppointmentType.objects.create(name=name or f"{kind} {minutes}", kind=kind, duration_minutes=minutes)


class Clinic:
    """The usual test clinic: open every day 08:00–20:00, ``rooms`` rooms, treatment types."""

    def __init__(self, *, rooms: int = 2, opens: dt.time = dt.time(8), closes: dt.time = dt.time(20), weekdays=range(7)):
        self.settings = ClinicSettings.load()
        self.rooms = [RoomFactory() for _ in range(rooms)]
        OpeningHours.objects.bulk_create(OpeningHours(weekday=d, opens=opens, closes=closes) for d in weekdays)
        self.treatment = appointment_type(AppointmentType.Kind.TREATMENT, 60, "Treatment")
        self.consultation = appointment_type(AppointmentType.Kind.CONSULTATION, 90, "Initial consultation and treatment")
        self.maintenance = appointment_type(AppointmentType.Kind.MAINTENANCE, 60, "Maintenance")


LONDON = ZoneInfo("Europe/London")
# Monday 2 March 2026, 08:00 in London: the "now" of most scheduling tests.
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=LONDON)


def at(day: dt.date | str, time: str, tz: ZoneInfo = LONDON) -> dt.datetime:
    """at("2026-03-03", "10:00") → that local time as an aware datetime."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return dt.datetime.combine(day, dt.time.fromisoformat(time), tzinfo=tz)


def book_series(*, patient, practitioner, clinic, first_day="2026-03-03", time="10:00", sessions=6, cadence=7, by=None, **kwargs):
    """Proposes and books a series in one go (most tests only care about the result)."""
    proposal = series_propose(
        patient=patient, practitioner=practitioner, appointment_type=clinic.treatment, sessions=sessions,
        cadence_days=cadence, first_day=dt.date.fromisoformat(first_day), preferred_time=dt.time.fromisoformat(time),
        **kwargs,
    )
    return series_book(proposal=proposal, by=by)


def propose_series(patient, practitioner, clinic, **kwargs) -> SeriesProposal:
    """A weekly 6-session proposal from Tuesday 3 March at 10:00, with ``kwargs`` changed."""
    args = dict(
        patient=patient, practitioner=practitioner, appointment_type=clinic.treatment, sessions=6, cadence_days=7,
        first_day=dt.date(2026, 3, 3), preferred_time=dt.time(10),
    )
    return series_propose(**{**args, **kwargs})


def complete_all(series, frozen) -> None:
    """Completes every open visit of the series, each at its end (``frozen`` is the time machine)."""
    for visit in series.visits.filter(status__in=Visit.OPEN).order_by("starts_at"):
        frozen.move_to(visit.ends_at)
        visit_complete(visit=visit, by=None)
