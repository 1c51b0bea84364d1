"""The demo clinic's setup and a few series: some in progress, one finished and due for
maintenance, and upcoming ones, all made through the scheduling services (proposal, booking, visit status) like real bookings."""

import datetime as dt

from django.utils import timezone

from scheduling.booking import series_book
from scheduling.clock import clinic_zone, local_datetime
from scheduling.errors import SlotTaken
from scheduling.models import (
    AppointmentType,
    ClinicSettings,
    Closure,
    OpeningHours,
    Practitioner,
    Room,
    Visit,
    WorkingHours,
)
from scheduling.proposal import series_propose
from scheduling.visit_status import visit_complete

# weekday → (opens, closes); Sunday closed.
OPENING = {0: (9, 19), 1: (9, 19), 2: (9, 19), 3: (9, 20), 4: (9, 18), 5: (9, 14)}
# username → {weekday: (starts, ends)}
WORKING = {
    "lin": {0: (9, 17), 1: (9, 17), 2: (9, 17), 3: (12, 20), 4: (9, 17)},
    "sara": {1: (10, 18), 2: (10, 18), 3: (10, 18), 4: (10, 18), 5: (9, 14)},
    "tom": {0: (12, 19), 2: (12, 19), 4: (9, 18), 5: (9, 14)},
}


def _time(hour: int) -> dt.time:
    return dt.time(hour)


def _clinic_setup(ctx: dict) -> tuple[dict[str, Practitioner], AppointmentType, AppointmentType]:
    """Settings, rooms, hours, appointment types, practitioners and the Christmas closure."""
    settings = ClinicSettings.load()
    settings.name = "Acuclinic Facial Acupuncture"
    settings.address = "12 Willow Lane\nLondon N1 7AB"
    settings.phone = "+44 20 7946 0958"
    settings.maintenance_weeks = 5
    settings.save()

    for order, name in enumerate(["Jade room", "Lotus room", "Bamboo room", "Willow room"]):
        Room.objects.create(name=name, display_order=order)
    OpeningHours.objects.bulk_create(
        OpeningHours(weekday=day, opens=_time(opens), closes=_time(closes)) for day, (opens, closes) in OPENING.items()
    )
    consultation = AppointmentType.objects.create(
        name="Initial consultation and treatment", kind=AppointmentType.Kind.CONSULTATION, duration_minutes=90
    )
    treatment = AppointmentType.objects.create(name="Treatment", kind=AppointmentType.Kind.TREATMENT, duration_minutes=60)
    AppointmentType.objects.create(name="Maintenance", kind=AppointmentType.Kind.MAINTENANCE, duration_minutes=60)

    practitioners = {}
    for user in ctx["acupuncturists"]:
        practitioner = Practitioner.objects.create(user=user, display_name=user.get_full_name())
        WorkingHours.objects.bulk_create(
            WorkingHours(practitioner=practitioner, weekday=day, starts=_time(a), ends=_time(b))
            for day, (a, b) in WORKING[user.username].items()
        )
        practitioners[user.username] = practitioner

    today = timezone.localdate()
    christmas = dt.date(today.year if today <= dt.date(today.year, 12, 24) else today.year + 1, 12, 24)
    Closure.objects.create(first_day=christmas, last_day=christmas + dt.timedelta(days=8), reason="Christmas holiday")
    return practitioners, consultation, treatment


def load(ctx: dict) -> None:
    practitioners, consultation, treatment = _clinic_setup(ctx)
    today = timezone.localdate()
    desk = ctx["users"]["frontdesk"]
    patients = ctx["patients"]
    # (patient index, practitioner, weekday, weeks ago the series started (0 = starts soon),
    #  sessions, cadence, hour)
    this_weekday = today.weekday() if today.weekday() in WORKING["lin"] else 1
    plans = [
        (0, "lin", 1, 13, 6, 7, 10),   # finished ~7 weeks ago: maintenance overdue
        (1, "sara", 2, 12, 6, 7, 15),  # finished ~6 weeks ago: maintenance due about now
        (2, "lin", this_weekday, 3, 10, 7, 11),  # in progress, a visit today
        (4, "tom", 2, 4, 8, 14, 14),   # in progress, every other week
        (6, "sara", 3, 2, 10, 7, 11),  # in progress
        (7, "lin", 3, 0, 10, 14, 13),  # starts in the coming days, every other week
        (10, "tom", 4, 0, 6, 7, 16),   # starts in the coming days
    ]
    now = timezone.now()
    for index, username, weekday, weeks_ago, sessions, cadence, hour in plans:
        if weeks_ago:
            start = today - dt.timedelta(weeks=weeks_ago)
            first_day = start - dt.timedelta(days=(start.weekday() - weekday) % 7)
        else:
            start = today + dt.timedelta(days=1)
            first_day = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        # History is recorded as if booked the day before it started.
        booked_at = min(now, local_datetime(first_day - dt.timedelta(days=1), dt.time(9), tz=clinic_zone()))
        proposal = series_propose(
            patient=patients[index], practitioner=practitioners[username], appointment_type=treatment,
            first_appointment_type=consultation, sessions=sessions, cadence_days=cadence, first_day=first_day,
            preferred_time=dt.time(hour), now=booked_at,
        )
        if not proposal.complete:
            continue
        try:
            series = series_book(proposal=proposal, by=desk, now=booked_at)
        except SlotTaken:
            continue
        for visit in series.visits.filter(ends_at__lte=now).order_by("starts_at"):
            visit_complete(visit=visit, by=practitioners[username].user)
    ctx["practitioners"] = practitioners
    ctx["visits"] = Visit.objects.count()
