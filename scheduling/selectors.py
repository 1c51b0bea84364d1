"""Reads for the scheduling pages, each in a fixed number of queries whatever the data size."""

import datetime as dt

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from patients.models import Patient
from scheduling.clock import local_datetime
from scheduling.models import AppointmentType, MaintenanceSchedule, PatientRequest, Reminder, Room, Series, Visit

# The patient timeline shows this many of the latest reminders.
TIMELINE_REMINDERS = 50


def patient_timeline(patient: Patient) -> dict:
    """Every series with its progress, every visit, and maintenance, for the timeline page."""
    series = list(
        patient.series.select_related("practitioner", "appointment_type").annotate(
            done=Count("visits", filter=Q(visits__status=Visit.Status.COMPLETED)),
            booked=Count("visits", filter=Q(visits__status__in=Visit.OPEN)),
        )
    )
    visits = list(
        patient.visits.select_related("practitioner", "room", "appointment_type", "series", "make_up_for", "make_up")
        .order_by("-starts_at")
    )
    maintenance = MaintenanceSchedule.objects.filter(patient=patient).first()
    reminders = list(patient.reminders.select_related("visit").order_by("-due_at", "-id")[:TIMELINE_REMINDERS])
    # What the patient did through their e-mail links (chose a time, asked, confirmed, ...).
    requests = list(patient.scheduling_requests.order_by("-created_at", "-id")[:TIMELINE_REMINDERS])
    return {"series_list": series, "visits": visits, "maintenance": maintenance, "reminders": reminders,
            "patient_requests": requests}


def patient_summary(patient: Patient, *, upcoming: int = 5) -> dict:
    """The scheduling section of the patient page: next visits, series progress, maintenance."""
    now = timezone.now()
    visits = list(
        patient.visits.filter(status__in=Visit.OPEN, starts_at__gte=now - dt.timedelta(hours=12))
        .select_related("practitioner", "appointment_type")
        .order_by("starts_at")[:upcoming]
    )
    series = list(
        patient.series.filter(status=Series.Status.ACTIVE)
        .select_related("practitioner")
        .annotate(done=Count("visits", filter=Q(visits__status=Visit.Status.COMPLETED)))
    )
    maintenance = MaintenanceSchedule.objects.filter(patient=patient).first()
    return {"upcoming": visits, "active_series": series, "maintenance": maintenance}


def maintenance_due(*, today: dt.date, horizon_days: int = 14):
    """Patients whose maintenance is overdue or due within ``horizon_days``, most overdue first,
    each with its next booked maintenance visit (if any) as ``next_booked``."""
    next_booked = (
        Visit.objects.filter(
            patient=OuterRef("patient_id"),
            status=Visit.Status.BOOKED,
            starts_at__gte=timezone.now(),
            appointment_type__kind=AppointmentType.Kind.MAINTENANCE,
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    return (
        MaintenanceSchedule.objects.filter(due_on__lte=today + dt.timedelta(days=horizon_days))
        .select_related("patient")
        .annotate(next_booked=Subquery(next_booked))
        .order_by("due_on", "patient__last_name", "patient_id")
    )


# What the clinic-wide reminder list shows: failed sends first (staff act on those), then every
# reminder still to go out, soonest first.
ATTENTION = (Reminder.State.FAILED, Reminder.State.PENDING, Reminder.State.QUEUED, Reminder.State.SENDING)


def reminders_needing_attention(*, failed_only: bool = False):
    states = [Reminder.State.FAILED] if failed_only else ATTENTION
    return (
        Reminder.objects.filter(state__in=states)
        .select_related("patient", "visit__practitioner", "series")
        .annotate(failed_first=Case(When(state=Reminder.State.FAILED, then=Value(0)), default=Value(1),
                                    output_field=IntegerField()))
        .order_by("failed_first", "next_attempt_at", "id")
    )


def open_patient_requests():
    return (
        PatientRequest.objects.filter(handled_at__isnull=True)
        .select_related("patient", "visit__practitioner", "series")
        .order_by("created_at", "id")
    )


def desk_day(*, today: dt.date) -> dict:
    """The front desk's day on the home page, in five queries whatever the data: every visit of
    ``today`` (all practitioners, in time order), the patients' link actions received today, the
    late cancellations made today, and how many reminders failed and maintenance visits are due."""
    # Local midnight to midnight (23 or 25 hours on the days the clocks change).
    day = (local_datetime(today, dt.time(0), fold=0), local_datetime(today + dt.timedelta(days=1), dt.time(0), fold=0))
    visits = list(
        Visit.objects.filter(starts_at__gte=day[0], starts_at__lt=day[1])
        .select_related("patient", "practitioner", "room", "appointment_type")
        .order_by("starts_at", "practitioner__display_name", "id")
    )
    requests = list(
        PatientRequest.objects.filter(created_at__gte=day[0], created_at__lt=day[1])
        .select_related("patient", "visit__practitioner")
        .order_by("-created_at", "-id")
    )
    late_cancels = list(
        Visit.objects.filter(late_cancel=True, status_changed_at__gte=day[0], status_changed_at__lt=day[1])
        .select_related("patient", "practitioner")
        .order_by("starts_at", "id")
    )
    return {
        "visits": visits,
        "requests": requests,
        "late_cancels": late_cancels,
        "failed_reminders": Reminder.objects.filter(state=Reminder.State.FAILED).count(),
        "maintenance_due": maintenance_due(today=today).count(),
    }


# --- Small reads for the booking and visit pages ------------------------------------------------------
def default_series_type_id() -> int | None:
    """The appointment type a new series starts with on the form: the first active treatment."""
    return (
        AppointmentType.objects.filter(active=True, kind=AppointmentType.Kind.TREATMENT)
        .values_list("pk", flat=True)
        .first()
    )


def maintenance_type() -> AppointmentType | None:
    """The appointment type the maintenance list books."""
    return AppointmentType.objects.filter(active=True, kind=AppointmentType.Kind.MAINTENANCE).first()


def rooms_by_id() -> dict[int, Room]:
    return {room.pk: room for room in Room.objects.all()}


def series_sessions_done(series: Series) -> int:
    return series.visits.filter(status=Visit.Status.COMPLETED).count()
