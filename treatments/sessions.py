"""Session records: what the acupuncturist did at a visit, saved the one way that also completes
the visit (``session_record_save``), and the reads for the record and today pages.

Safety: a record is checked against the patient's latest screening, the one the acupuncturist
confirmed at the visit, with the plan's own rules (``rules.session_problems``); the models and
database triggers check again as the rows go in (see ``treatments.models``).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from patients.models import Concern, Patient, Screening
from scheduling.models import Visit
from scheduling.visit_status import visit_complete, visit_treatment_start
from staff.audit import audit_record
from staff.submissions import form_key_claim, form_key_guard, form_key_result
from treatments.catalogue import catalogue_rows, saved_items
from treatments.models import (
    ConcernRating,
    Plan,
    Reaction,
    ReactionKind,
    ReactionSeverity,
    SessionItem,
    SessionRecord,
)
from treatments.rules import (
    NEAR_EYE_RISK,
    Chosen,
    Facts,
    Limits,
    accepting_near_eye,
    blocked_reasons,
    exclusion_reason,
    light_session,
    limits_for,
    new_risks,
    session_problems,
)
from treatments.services import PlanContext, plan_context
from treatments.suggestion import Exclusion, Proposal, exclusions_for

# A cancelled visit or a no-show has no session; a completed one may still get its record
# (e.g. completed before session records were kept), but is not completed twice.
RECORDABLE = (Visit.Status.BOOKED, Visit.Status.ARRIVED, Visit.Status.COMPLETED)


@dataclass(frozen=True)
class ReactionEntry:
    kind: str  # a ReactionKind value
    severity: str  # a ReactionSeverity value
    note: str = ""


@dataclass(frozen=True)
class ConcernLine:
    """One of the patient's concerns as the record page shows it."""

    code: str
    name: str
    intake: int  # severity at intake
    last: int | None  # rating at the last session, if any


@dataclass(frozen=True)
class SessionRules:
    """The rules of one visit's session: today's screening facts (with the near-eye risk if the
    plan accepted it), whether it takes the lighter cap, and the risks new since the plan."""

    facts: Facts
    light: bool
    risks: list[str]
    limits: Limits
    carried: list[str]  # acknowledgements the record carries over from the plan (the near-eye risk)


def session_rules(visit: Visit, *, plan: Plan, ctx: PlanContext) -> SessionRules:
    """(1 query: the series' earlier records and fainting reactions)"""
    carried = [NEAR_EYE_RISK] if NEAR_EYE_RISK in plan.acknowledged and ctx.facts.bleeding_risk else []
    facts = accepting_near_eye(ctx.facts, carried)
    earlier, fainted = SessionRecord.history_before(
        patient_id=visit.patient_id, series_id=visit.series_id, starts_at=visit.starts_at
    )
    light = light_session(facts=facts, earlier_sessions=earlier, fainted_in_series=fainted)
    return SessionRules(
        facts=facts, light=light, risks=new_risks(facts, plan_acknowledged=plan.acknowledged),
        limits=limits_for(facts, ctx.rules, light=light), carried=carried,
    )


def trim_to_cap(items: list[Chosen], *, limits: Limits, why: str) -> tuple[list[Chosen], list[str]]:
    """The prefill brought down to today's cap: body points go first (last first), then face
    points and lines, so the face keeps its needles; returns (kept, what was removed and why)."""
    kept, removed = list(items), []
    order = sorted(range(len(kept)), key=lambda i: (kept[i].option.on_face, -i))
    total = sum(item.needles for item in kept)
    for index in order:
        if total <= limits.needles_max:
            break
        item = kept[index]
        if item.needles:
            removed.append(f"{item.option.label} ({item.needles} needles): {why}")
            total -= item.needles
            kept[index] = None
    return [item for item in kept if item is not None], removed


@dataclass
class SessionStart:
    """Everything the record page needs, read in a fixed number of queries."""

    visit: Visit
    ctx: PlanContext
    plan: Plan | None
    last: SessionRecord | None
    concerns: list[ConcernLine]
    prefill: list[Chosen] = field(default_factory=list)
    prefill_retention: int = 0
    prefill_source: str = ""
    dropped: list[str] = field(default_factory=list)  # prefilled items today's screening rules out
    trimmed: list[str] = field(default_factory=list)  # prefilled items left out to keep to today's cap
    exclusions: list[Exclusion] = field(default_factory=list)
    refused: str = ""  # why no session can be recorded for this visit (plan missing, wrong state...)
    rules: SessionRules | None = None

    @property
    def blocked(self) -> list[str]:
        return blocked_reasons(self.ctx.facts)

    @property
    def limits(self) -> Limits:
        return self.rules.limits if self.rules else limits_for(self.ctx.facts, self.ctx.rules)

    @property
    def risks(self) -> list[str]:
        """Risks new since the plan, each to acknowledge before the record saves."""
        return self.rules.risks if self.rules else []

    @property
    def proposal(self) -> Proposal:
        """The prefill in the shape the plan editor form takes."""
        return Proposal(
            items=self.prefill, retention=self.prefill_retention, exclusions=self.exclusions, limits=self.limits,
            cautions=self.ctx.facts.cautions,
        )


def _refusal(visit: Visit, *, plan: Plan | None, has_record: bool) -> str:
    if visit.status not in RECORDABLE:
        return f"This visit is {visit.get_status_display().lower()}: there is no session to record."
    if has_record:
        return "This visit's session has been recorded already."
    if visit.starts_at > timezone.now():
        return "The visit has not started yet: the session can be recorded once it has begun."
    if plan is None:
        return "The patient has no treatment plan: make a plan before recording a session."
    return ""


def plan_concerns(plan: Plan) -> dict[str, str]:
    """Option key → the concern the plan's item serves, so a session's items are coloured on the
    face chart like the plan's (1 query)."""
    return {
        f"{kind}:{point or pattern or adjunct}": concern
        for kind, point, pattern, adjunct, concern in plan.items.filter(concern__isnull=False).values_list(
            "kind", "point__code", "pattern__code", "adjunct__code", "concern__code"
        )
    }


def session_items(record_or_plan, *, concerns: dict[str, str], reason: str = "") -> list[Chosen]:
    """A saved record's (or plan's) items as ``Chosen`` values (1 query)."""
    return saved_items(list(record_or_plan.items.select_related("point", "pattern", "adjunct")), concerns=concerns, reason=reason)


def session_start(visit: Visit) -> SessionStart:
    """The record page's data: the latest screening's rules, the current plan, the last session,
    and the prefill (the last session if it followed the current plan, otherwise the plan), less
    whatever today's screening rules out."""
    patient = visit.patient
    ctx = plan_context(patient)
    plan = Plan.objects.filter(patient=patient).first()
    # The last session before this visit (a late record of an earlier visit must not prefill
    # from a later one).
    latest_records = SessionRecord.objects.filter(patient=patient, visit__starts_at__lt=visit.starts_at).order_by(
        "-visit__starts_at", "-id"
    )
    last = latest_records.select_related("visit").first()
    # A subquery rather than ``last.ratings``, so the page makes the same queries with or without
    # an earlier session.
    last_ratings = dict(
        ConcernRating.objects.filter(record=Subquery(latest_records.values("pk")[:1])).values_list("concern__code", "rating")
    )
    concerns = [
        ConcernLine(code, name, ctx.severities[code], last_ratings.get(code))
        for code, name in ctx.concern_names.items()
        if code in ctx.severities
    ]
    start = SessionStart(visit=visit, ctx=ctx, plan=plan, last=last, concerns=concerns)
    start.refused = _refusal(visit, plan=plan, has_record=SessionRecord.objects.filter(visit=visit).exists())
    if plan is None or start.blocked:
        return start
    served = plan_concerns(plan)
    if last is not None and last.plan_id == plan.pk:
        items, retention = session_items(last, concerns=served, reason="Done at the last session."), last.retention_minutes
        when = timezone.localtime(last.visit.starts_at)
        start.prefill_source = f"the last session ({when:%d %b %Y}), which followed the current plan"
    else:
        items, retention = session_items(plan, concerns=served, reason="In the current plan."), plan.retention_minutes
        start.prefill_source = f"the current plan ({timezone.localtime(plan.created_at):%d %b %Y})"
    start.rules = session_rules(visit, plan=plan, ctx=ctx)
    facts = start.rules.facts
    for item in items:
        why = exclusion_reason(item.option, facts)
        if why:
            start.dropped.append(f"{item.option.label}: {why}")
        else:
            start.prefill.append(item)
    cap = "today's screening" if start.risks else "a fainting-prone patient's first session"
    start.prefill, start.trimmed = trim_to_cap(
        start.prefill, limits=start.limits, why=f"{cap} allows at most {start.limits.needles_max} needles"
    )
    start.exclusions = exclusions_for(ctx.options, facts)
    start.prefill_retention = min(retention, start.limits.retention_max)
    return start


def session_check_passed(*, visit: Visit, by) -> bool:
    """The acupuncturist confirmed (or recorded) the screening at the visit and nothing stops the
    session: the visit is *in treatment* for the front desk's day and the calendar (scheduling
    keeps that state). True if it is."""
    start = session_start(visit)
    if start.refused or start.blocked:
        return False
    return visit_treatment_start(visit=visit, by=by)


def _rating_problems(ratings: dict[str, int], ctx: PlanContext) -> list[str]:
    # The patient's concerns still in the catalogue (an admin may retire one).
    expected = {code for code in ctx.severities if code in ctx.concern_names}
    errors = []
    if missing := expected - set(ratings):
        names = ", ".join(ctx.concern_names.get(code, code) for code in sorted(missing))
        errors.append(f"Ask the patient to rate each of their concerns (missing: {names}).")
    if set(ratings) - expected:
        errors.append("Only the patient's own concerns can be rated.")
    if any(not 0 <= value <= 10 for value in ratings.values()):
        errors.append("Ratings are numbers from 0 to 10.")
    return errors


def _reaction_problems(reactions: list[ReactionEntry]) -> list[str]:
    errors = []
    for entry in reactions:
        if entry.kind not in ReactionKind.values or entry.severity not in ReactionSeverity.values:
            errors.append("Choose a known reaction and its severity.")
        elif entry.kind == ReactionKind.OTHER and not entry.note.strip():
            errors.append("Describe the “other” reaction.")
    return errors


def session_check(start: SessionStart, *, items: list[Chosen], retention: int | None,
                  reactions: Sequence[ReactionEntry] = ()) -> list[str]:
    """What the record page shows with the form's own errors on the first submit, without
    saving: the plan's rules for today (exclusions, needle counts, retention; ``retention`` None
    when the form could not read it) and the reactions. The risks to acknowledge and the ratings
    are fields of the form, which says what is missing there."""
    if start.refused or start.blocked:
        return []
    today = start.rules
    return session_problems(
        items=items, retention=retention, facts=today.facts, rules=start.ctx.rules, light=today.light,
    ) + _reaction_problems(list(reactions))


def _record_rows(
    record: SessionRecord, *, items: list[Chosen], ratings: dict[str, int], reactions: Sequence[ReactionEntry]
) -> None:
    """The record's items (checked together by the model), ratings and reactions."""
    targets = catalogue_rows(items)
    SessionItem.objects.insert_checked([
        SessionItem(
            record=record, kind=item.option.kind, needles=item.needles, position=position,
            **{item.option.kind: targets[item.option.key]},
        )
        for position, item in enumerate(items)
    ])
    concerns = {c.code: c for c in Concern.objects.filter(code__in=ratings)}
    ConcernRating.objects.bulk_create(
        ConcernRating(record=record, concern=concerns[code], rating=value) for code, value in ratings.items()
    )
    Reaction.objects.bulk_create(
        Reaction(record=record, kind=e.kind, severity=e.severity, note=e.note.strip()) for e in reactions
    )


def session_record_save(
    *,
    by,
    visit: Visit,
    screening: Screening,
    items: list[Chosen],
    retention: int,
    ratings: dict[str, int],
    reactions: Sequence[ReactionEntry] = (),
    acknowledged: Sequence[str] = (),
    notes: str = "",
    form_key: uuid.UUID | None = None,
) -> SessionRecord:
    """Saves what was done at the visit and completes the visit, in one transaction.

    ``screening`` is the screening the acupuncturist confirmed (or recorded) at the visit: if
    another one has been recorded since, nothing is saved and they must check again. Each risk
    new since the plan must be in ``acknowledged`` (as ``SessionStart.risks`` lists them). Raises
    ValidationError with every broken rule and writes nothing when the record is unsafe or the
    visit cannot take a record. Completing the visit advances the series; the last treatment
    starts maintenance (``scheduling.visit_status.visit_complete``). With ``form_key`` (the
    page's one-time key), a second submit of the page raises ``staff.submissions.AlreadySaved``
    with this record, not "this visit's session has been recorded already".
    """
    with form_key_guard(key=form_key, by=by), transaction.atomic():
        claim = form_key_claim(key=form_key, by=by)
        # Lock the visit so two saves for the same visit cannot both pass the checks below.
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        patient = Patient.objects.get(pk=visit.patient_id)
        plan = Plan.objects.filter(patient=patient).first()
        refused = _refusal(visit, plan=plan, has_record=SessionRecord.objects.filter(visit=visit).exists())
        if refused:
            raise ValidationError(refused)
        ctx = plan_context(patient)
        if ctx.screening is None or ctx.screening.pk != screening.pk:
            raise ValidationError(
                "The patient's screening has changed since it was confirmed for this visit: check it again before recording."
            )
        today = session_rules(visit, plan=plan, ctx=ctx)
        acknowledged = [risk for risk in today.risks if risk in acknowledged]
        # Every problem at once: the rules, the ratings and the reactions.
        problems = session_problems(
            items=items, retention=retention, facts=today.facts, rules=ctx.rules, light=today.light,
            risks=today.risks, acknowledged=acknowledged,
        ) + _rating_problems(ratings, ctx) + _reaction_problems(list(reactions))
        if problems:
            raise ValidationError(problems)

        record = SessionRecord.objects.create(
            visit=visit, patient=patient, series_id=visit.series_id, plan=plan, screening=ctx.screening, recorded_by=by,
            total_needles=sum(item.needles for item in items), retention_minutes=retention,
            needles_max=today.limits.needles_max, retention_max=today.limits.retention_max,
            acknowledged=acknowledged + today.carried, notes=notes,
        )
        _record_rows(record, items=items, ratings=ratings, reactions=reactions)
        if visit.status != Visit.Status.COMPLETED:
            visit_complete(visit=visit, by=by)
        audit_record(
            user=by, action="create", obj=record, patient_id=patient.pk,
            summary=f"session record, {record.total_needles} needles, {len(reactions)} reaction(s)",
        )
        form_key_result(claim, record)
    return record
