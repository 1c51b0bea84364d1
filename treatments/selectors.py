"""The reads the treatments pages need, each in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from patients.models import Patient, Screening
from scheduling.models import Series, Visit
from treatments.catalogue import concern_names
from treatments.models import Plan, PlanItem, PlanSettings, PlanTemplate, PlanTemplateItem, SessionRecord
from treatments.rules import Chosen, accepting_near_eye, conflicts, screening_facts
from treatments.sessions import RECORDABLE

HISTORY_SHOWN = 20
SESSIONS_SHOWN = 50
TARGETS = ("point", "pattern", "adjunct")


def current_plan(patient: Patient) -> Plan | None:
    return Plan.objects.filter(patient=patient).select_related("created_by", "screening", "started_from").first()


@dataclass
class PlanPage:
    plan: Plan
    items: list[PlanItem]
    chosen: list[Chosen]
    concern_names: dict[str, str]
    history: list[Plan]
    rescreened: bool
    conflicts: list[str]  # what the plan breaks under a newer screening

    @property
    def is_current(self) -> bool:
        return bool(self.history) and self.history[0].pk == self.plan.pk


def plan_page(plan: Plan) -> PlanPage:
    """A saved plan with its items, the patient's plan history and, if the patient has been
    screened since, what the plan breaks under the newer screening (fixed queries)."""
    items = list(plan.items.select_related(*TARGETS, "concern"))
    chosen = [
        Chosen(item.target.as_option(), item.needles, item.concern.code if item.concern else None, item.reason)
        for item in items
    ]
    latest = Screening.objects.latest_for(plan.patient_id)
    rescreened = latest is not None and latest.pk != plan.screening_id
    found: list[str] = []
    if rescreened:
        rules = PlanSettings.rules()
        facts = accepting_near_eye(screening_facts(latest, today=timezone.localdate(), rules=rules), plan.acknowledged)
        found = conflicts(items=chosen, retention=plan.retention_minutes, facts=facts, rules=rules)
    return PlanPage(
        plan=plan,
        items=items,
        chosen=chosen,
        concern_names=concern_names(),
        history=list(Plan.objects.filter(patient_id=plan.patient_id).select_related("created_by")[:HISTORY_SHOWN]),
        rescreened=rescreened,
        conflicts=found,
    )


def templates_with_items() -> QuerySet[PlanTemplate]:
    return PlanTemplate.objects.select_related("created_by").prefetch_related(
        Prefetch("items", queryset=PlanTemplateItem.objects.select_related(*TARGETS))
    )


def template_with_items(template: PlanTemplate) -> PlanTemplate:
    return templates_with_items().get(pk=template.pk)


@dataclass
class PatientSessions:
    records: list[SessionRecord]
    series: list[Series]
    waiting: list[Visit]  # visits held without a record yet


def patient_sessions(patient: Patient) -> PatientSessions:
    """A patient's session records, series (with sessions done) and visits waiting for a record."""
    records = (
        SessionRecord.objects.filter(patient=patient)
        .select_related("visit", "series", "recorded_by")
        .annotate(reaction_count=Count("reactions", distinct=True), addendum_count=Count("addenda", distinct=True))
        .order_by("-visit__starts_at", "-id")[:SESSIONS_SHOWN]
    )
    series = Series.objects.filter(patient=patient).select_related("practitioner").annotate(
        done=Count("visits", filter=Q(visits__status=Visit.Status.COMPLETED))
    )
    waiting = (
        Visit.objects.filter(patient=patient, status__in=RECORDABLE, starts_at__lte=timezone.now())
        .exclude(Exists(SessionRecord.objects.filter(visit=OuterRef("pk"))))
        .select_related("practitioner", "series")
        .order_by("-starts_at")[:10]
    )
    return PatientSessions(list(records), list(series), list(waiting))
