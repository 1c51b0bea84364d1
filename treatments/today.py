"""The acupuncturist's *Today*: their visits of the day with what they must know before treating
(screening alerts, the patient's health-check answer, whether the record is done)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery

from patients.models import Screening
from scheduling.clock import clinic_zone, local_datetime
from scheduling.models import PatientRequest, Visit
from treatments.models import Plan, SessionRecord
from treatments.rules import Rules, blocked_reasons, screening_facts
from treatments.sessions import RECORDABLE

HEALTH_CHECK_ANSWERS = (PatientRequest.Kind.HEALTH_CONFIRMED, PatientRequest.Kind.HEALTH_CHANGED,
                        PatientRequest.Kind.HEALTH_BLOCKED)

@dataclass
class TodayVisit:
    visit: Visit
    record_id: int | None
    has_plan: bool
    screening: Screening | None
    alerts: list[str]
    blocked: list[str]
    # The patient's answer to the pre-visit health check (a PatientRequest kind), if any.
    health_check: str | None = None


def visits_today(*, user, day: dt.date) -> list[TodayVisit]:
    """The user's own visits of the (local) day, with what the acupuncturist must know before
    treating: screening alerts and whether the visit's record is done. Two queries."""
    tz = clinic_zone()
    start = local_datetime(day, dt.time.min, tz=tz, fold=0)
    end = local_datetime(day + dt.timedelta(days=1), dt.time.min, tz=tz, fold=0)
    latest_screening = Screening.objects.filter(patient=OuterRef("patient_id")).order_by("-answered_at", "-id").values("pk")[:1]
    visits = list(
        Visit.objects.filter(practitioner__user=user, starts_at__gte=start, starts_at__lt=end, status__in=RECORDABLE)
        .select_related("patient", "series", "appointment_type", "room")
        .annotate(
            latest_screening_id=Subquery(latest_screening),
            record_id=Subquery(SessionRecord.objects.filter(visit=OuterRef("pk")).values("pk")[:1]),
            has_plan=Exists(Plan.objects.filter(patient=OuterRef("patient_id"))),
            health_check=Subquery(
                PatientRequest.objects.filter(visit=OuterRef("pk"), kind__in=HEALTH_CHECK_ANSWERS)
                .order_by("-created_at", "-id").values("kind")[:1]
            ),
        )
        .order_by("starts_at", "id")
    )
    screenings = Screening.objects.in_bulk([v.latest_screening_id for v in visits if v.latest_screening_id])
    # Only the facial block and the answers are shown here, and no clinic setting changes those.
    rules = Rules()
    result = []
    for visit in visits:
        screening = screenings.get(visit.latest_screening_id)
        facts = screening_facts(screening, today=day, rules=rules)
        alerts = screening.positive_answers() if screening else []
        if screening and screening.medications:
            alerts.append(f"Medications: {screening.medications}")
        if screening and screening.allergies:
            alerts.append(f"Allergies: {screening.allergies}")
        result.append(
            TodayVisit(visit, visit.record_id, visit.has_plan, screening, alerts, blocked_reasons(facts),
                       visit.health_check)
        )
    return result
