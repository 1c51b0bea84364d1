"""Plan selection and the safety rules (SPEC §3, reference/points.md "Conditions").

Everything here is plain and deterministic: the same concerns, screening, catalogue and settings
always give the same plan. ``suggest_plan`` builds a suggestion; ``plan_problems`` checks any plan
(suggested, started from a template, or edited by hand) against the same rules; the models call
``check_plan_row`` / ``check_plan_item`` on every save so no write path skips them.

How a suggestion is built:
1. Stop with a clear "blocked" result when the patient cannot be treated today (no screening,
   active facial infection, open wound or rash, nothing to treat).
2. Exclude what the screening forbids, remembering why (shown to the practitioner).
3. Score each remaining point, line pattern and adjunct: the sum over the patient's concerns of
   severity × weight. The concern contributing most is the one the item "serves".
4. Aim for a needle total between the limits, higher for more severe concerns, and take the best
   scored items (ties broken by catalogue order) while they fit; if that is below the minimum,
   add needles along the chosen lines, then safe support points (same face areas first, then
   distal points, then the rest of the face).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from patients.models import FaceArea, Screening, face_area_labels
from treatments.hard_rules import forbidden_in_pregnancy

# An adjunct is suggested only for a concern at least this severe (mild concerns don't need it).
ADJUNCT_MIN_SEVERITY = 4
# How many of the most severe concerns set the intensity (needles, retention) of the plan.
INTENSITY_CONCERNS = 3
# Suggested for fainting-prone or needle-anxious patients (reference: "PC6 suggested").
FAINTING_POINT = "PC6"


# --- Inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """Something a plan can contain: a point, a local needling pattern or an adjunct."""

    kind: str  # "point" | "pattern" | "adjunct" (treatments.models.ItemKind)
    code: str
    name: str
    region: str
    face_areas: tuple[str, ...] = ()  # patients.models.FaceArea values, () when not on the face
    on_face: bool = False
    needles_min: int = 0  # points: their fixed count (2 bilateral, 1 midline); adjuncts: 0
    needles_max: int = 0
    avoid_in_pregnancy: bool = False
    lower_abdominal: bool = False
    avoid_with_bleeding_risk: bool = False
    caution: str = ""
    order: int = 0  # catalogue order: the tie-breaker that keeps suggestions deterministic
    weights: tuple[tuple[str, int], ...] = ()  # (concern code, weight)
    # On the face chart: a point's position, or a pattern's line; mirrored when bilateral.
    position: tuple[int, int] | None = None
    line: tuple[int, int, int, int] | None = None
    bilateral: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"

    @property
    def is_needling(self) -> bool:
        return self.kind != "adjunct"

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}" if self.kind == "point" else self.name


@dataclass(frozen=True)
class Rules:
    """The clinic's plan settings (``PlanSettings``) as plain values."""

    needles_min: int = 40
    needles_max: int = 70
    reduced_needles_max: int = 46
    retention_min: int = 20
    retention_max: int = 30
    botox_wait_days: int = 14
    filler_wait_days: int = 14
    laser_peel_wait_days: int = 30
    surgery_wait_days: int = 30


@dataclass(frozen=True)
class Limits:
    needles_min: int
    needles_max: int
    retention_min: int
    retention_max: int


@dataclass(frozen=True)
class Facts:
    """What the rules need from a screening, on a given day."""

    screened: bool
    pregnant: bool = False
    bleeding_risk: bool = False
    keloid: bool = False
    fainting: bool = False
    facial_block: tuple[str, ...] = ()  # why facial treatment is blocked
    filler_areas: frozenset[str] = frozenset()  # treated with Botox/filler within the wait period
    procedure_areas: frozenset[str] = frozenset()  # laser, peel or surgery within the wait period
    acknowledgements: tuple[str, ...] = ()  # risks the practitioner must acknowledge
    cautions: tuple[str, ...] = ()  # how to treat (lying down, no electro-acupuncture, ...)


def screening_facts(screening: Screening | None, *, today: dt.date, rules: Rules) -> Facts:
    if screening is None:
        return Facts(screened=False)
    block = []
    if screening.active_skin_infection:
        block.append("active skin infection on the face")
    if screening.facial_wound_or_rash:
        block.append("open wound or rash on the face")

    def recent(on: dt.date | None, areas: list[str], wait_days: int) -> frozenset[str]:
        if on is None or (today - on).days >= wait_days:
            return frozenset()
        # No area given means the whole face must be avoided.
        return frozenset(areas or FaceArea.values)

    filler = recent(screening.botox_on, screening.botox_areas, rules.botox_wait_days) | recent(
        screening.filler_on, screening.filler_areas, rules.filler_wait_days
    )
    laser = recent(screening.laser_peel_on, screening.laser_peel_areas, rules.laser_peel_wait_days)
    surgery = recent(screening.surgery_on, screening.surgery_areas, rules.surgery_wait_days)
    procedure = laser | surgery

    acknowledge = []
    if screening.bleeding_risk:
        acknowledge.append("Bleeding disorder or anticoagulant/antiplatelet medication: bruising risk (fewer needles, no cupping).")
    if procedure:
        on = max(day for day, areas in ((screening.laser_peel_on, laser), (screening.surgery_on, surgery)) if areas)
        acknowledge.append(f"Laser, peel or cosmetic surgery on {on:%d %b %Y}: treated areas are not needled.")
    if screening.uncontrolled_blood_pressure:
        acknowledge.append("Uncontrolled high blood pressure.")
    if screening.severe_migraines:
        acknowledge.append("Severe migraines.")

    cautions = []
    if screening.pregnant_or_trying:
        cautions.append("Pregnant or trying to conceive: pregnancy-cautioned and lower-abdominal points are never used.")
    if screening.fainting_history:
        cautions.append("Needle fear or fainting history: treat lying down; fewer needles for the first session; PC6 included.")
    if screening.implanted_device:
        cautions.append("Pacemaker or implanted device: no electro-acupuncture or microcurrent.")
    if screening.keloid_scarring:
        cautions.append("Keloid tendency: no local (intradermal) needling; watch needle sites.")
    if screening.diabetes:
        cautions.append("Diabetes: check skin healing and needle sites.")
    if screening.epilepsy:
        cautions.append("Epilepsy: treat lying down and do not leave the patient alone.")
    if screening.allergies:
        cautions.append(f"Allergies: {screening.allergies}")

    return Facts(
        screened=True,
        pregnant=screening.pregnant_or_trying,
        bleeding_risk=screening.bleeding_risk,
        keloid=screening.keloid_scarring,
        fainting=screening.fainting_history,
        facial_block=tuple(block),
        filler_areas=filler,
        procedure_areas=procedure,
        acknowledgements=tuple(acknowledge),
        cautions=tuple(cautions),
    )


# --- The rules ------------------------------------------------------------------------------------
def blocked_reasons(facts: Facts) -> list[str]:
    """Why no plan can be made today (empty when treatment may go ahead)."""
    if not facts.screened:
        return ["No screening has been recorded: record the screening questionnaire first."]
    return [
        f"Facial treatment is blocked: {reason}. Record a new screening once it has cleared."
        for reason in facts.facial_block
    ]


def limits_for(facts: Facts, rules: Rules) -> Limits:
    # Bleeding risk and fainting history both mean "fewer needles, lower end of the range".
    reduced = facts.bleeding_risk or facts.fainting
    return Limits(
        needles_min=rules.needles_min,
        needles_max=rules.reduced_needles_max if reduced else rules.needles_max,
        retention_min=rules.retention_min,
        retention_max=rules.retention_max,
    )


def exclusion_reason(option: Option, facts: Facts) -> str | None:
    """Why the screening rules this option out, or None when it may be used."""
    if option.on_face and facts.facial_block:
        return f"no facial treatment: {', '.join(facts.facial_block)}"
    # The hard set (treatments.hard_rules, by code and region) holds whatever the flags say.
    hard = option.kind == "point" and forbidden_in_pregnancy(code=option.code, region=option.region)
    if facts.pregnant and (hard or option.avoid_in_pregnancy):
        return "avoided in pregnancy (pregnant or trying to conceive)"
    if facts.pregnant and option.lower_abdominal:
        return "no lower-abdominal points in pregnancy"
    if option.kind == "adjunct" and facts.filler_areas:
        return "recent Botox/filler: gua sha and cupping move the tissue of the whole face"
    if option.kind == "adjunct" and facts.procedure_areas:
        return "recent laser, peel or surgery: not over freshly treated skin"
    if option.kind == "adjunct" and facts.bleeding_risk and option.avoid_with_bleeding_risk:
        return "bleeding risk: suction bruises"
    if treated := [area for area in option.face_areas if area in facts.filler_areas]:
        return f"Botox/filler within the wait period ({face_area_labels(treated)})"
    if treated := [area for area in option.face_areas if area in facts.procedure_areas]:
        return f"laser, peel or surgery within the wait period ({face_area_labels(treated)})"
    if option.kind == "pattern" and facts.keloid:
        return "keloid tendency: no local (intradermal) needling"
    return None


@dataclass(frozen=True)
class Chosen:
    """One item of a plan being checked or saved."""

    option: Option
    needles: int
    concern: str | None = None  # concern code it serves
    reason: str = ""


def plan_problems(*, items: list[Chosen], retention: int, facts: Facts, rules: Rules, acknowledged: bool) -> list[str]:
    """Every rule the plan breaks, as messages for the practitioner (empty when it is safe)."""
    problems = list(blocked_reasons(facts))
    if problems:
        return problems
    limits = limits_for(facts, rules)
    problems += _item_problems(items, facts, where="the plan")
    total = sum(item.needles for item in items)
    if not limits.needles_min <= total <= limits.needles_max:
        why = " (bleeding risk or fainting history: fewer needles)" if limits.needles_max < rules.needles_max else ""
        problems.append(f"The plan has {total} needles; it must have {limits.needles_min}–{limits.needles_max}{why}.")
    if not limits.retention_min <= retention <= limits.retention_max:
        problems.append(f"Retention must be {limits.retention_min}–{limits.retention_max} minutes, not {retention}.")
    if facts.acknowledgements and not acknowledged:
        problems.append("Acknowledge the risks listed before saving the plan.")
    return problems


def _item_problems(items: list[Chosen], facts: Facts, *, where: str) -> list[str]:
    """The per-item rules, shared by plans and session records: no item twice, nothing the
    screening excludes, each item's needle count fitting it."""
    problems = []
    seen = set()
    for item in items:
        option = item.option
        if option.key in seen:
            problems.append(f"{option.label} is in {where} twice.")
        seen.add(option.key)
        why = exclusion_reason(option, facts)
        if why:
            problems.append(f"{option.label} cannot be used: {why}.")
        if not option.needles_min <= item.needles <= option.needles_max:
            if option.kind == "pattern":
                problems.append(f"{option.label}: {option.needles_min}–{option.needles_max} needles, not {item.needles}.")
            else:
                problems.append(f"{option.label}: {option.needles_max} needle(s), not {item.needles}.")
    return problems


def session_problems(*, items: list[Chosen], retention: int, facts: Facts, rules: Rules) -> list[str]:
    """Every rule a session record breaks (empty when it may be saved).

    The plan's exclusions, needle counts and maxima apply unchanged. Its minimums (40 needles,
    20 minutes) are treatment targets, not safety: a session stopped early because the patient
    felt faint is recorded as it happened.
    """
    problems = list(blocked_reasons(facts))
    if problems:
        return problems
    if not items:
        return ["Record what was done: at least one point, line of local needles or adjunct."]
    limits = limits_for(facts, rules)
    problems += _item_problems(items, facts, where="the session")
    total = sum(item.needles for item in items)
    if total > limits.needles_max:
        why = " (bleeding risk or fainting history: fewer needles)" if limits.needles_max < rules.needles_max else ""
        problems.append(f"The session has {total} needles; at most {limits.needles_max} are allowed{why}.")
    if not 1 <= retention <= limits.retention_max:
        problems.append(f"Retention must be 1–{limits.retention_max} minutes, not {retention}.")
    return problems


def conflicts(*, items: list[Chosen], facts: Facts) -> list[str]:
    """What a saved plan breaks under a newer screening (the plan must be redone before treating)."""
    return blocked_reasons(facts) + [
        f"{item.option.label}: {why}" for item in items if (why := exclusion_reason(item.option, facts))
    ]


# --- Suggestion -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Exclusion:
    option: Option
    reason: str


@dataclass
class Proposal:
    items: list[Chosen] = field(default_factory=list)
    retention: int = 0
    exclusions: list[Exclusion] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    acknowledgements: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()
    limits: Limits | None = None
    dropped: list[str] = field(default_factory=list)  # template items left out, with why

    @property
    def total_needles(self) -> int:
        return sum(item.needles for item in self.items)


def _best_concern(option: Option, severities: dict[str, int], concern_order: dict[str, int]) -> tuple[int, str | None]:
    """(score, concern served): score is Σ severity × weight; the top contributor is served."""
    score, best, best_value = 0, None, 0
    for code, weight in option.weights:
        value = severities.get(code, 0) * weight
        score += value
        if value > best_value or (value == best_value and value and concern_order[code] < concern_order[best]):
            best, best_value = code, value
    return score, best


def _pattern_needles(option: Option, severity: int) -> int:
    """More needles along a line for a more severe concern."""
    span = option.needles_max - option.needles_min
    return option.needles_min + round(span * severity / 10)


def suggest_plan(
    *,
    severities: dict[str, int],
    concern_names: dict[str, str],
    facts: Facts,
    rules: Rules,
    options: list[Option],
) -> Proposal:
    """The suggested plan for these concerns (code → severity 0–10) and screening facts.

    ``concern_names`` lists the catalogue's concerns in display order (code → name); it orders
    ties and names the concern each item serves.
    """
    limits = limits_for(facts, rules)
    proposal = Proposal(acknowledgements=facts.acknowledgements, cautions=facts.cautions, limits=limits)
    proposal.blocked = blocked_reasons(facts)
    if proposal.blocked:
        return proposal
    # Exclusions first, so that even a plan that cannot be suggested shows what is ruled out.
    allowed = []
    for option in sorted(options, key=_display_key):
        why = exclusion_reason(option, facts)
        if why:
            proposal.exclusions.append(Exclusion(option, why))
        else:
            allowed.append(option)
    severities = {code: s for code, s in severities.items() if s > 0 and code in concern_names}
    if not severities:
        proposal.blocked = ["None of the patient's concerns has a severity above 0: there is nothing to treat."]
        return proposal
    concern_order = {code: i for i, code in enumerate(concern_names)}

    # Intensity 0–1 from the most severe concerns: it sets where in the ranges the plan sits.
    top = sorted(severities.values(), reverse=True)[:INTENSITY_CONCERNS]
    intensity = sum(top) / (10 * len(top))
    target = limits.needles_min + round((limits.needles_max - limits.needles_min) * intensity)
    retention = limits.retention_min if facts.fainting else (
        limits.retention_min + round((limits.retention_max - limits.retention_min) * intensity)
    )
    proposal.retention = retention

    scored = []
    for option in allowed:
        score, concern = _best_concern(option, severities, concern_order)
        if score > 0:
            scored.append((score, option, concern))
    scored.sort(key=lambda entry: (-entry[0], entry[1].order, entry[1].key))

    items: list[Chosen] = []
    total = 0
    by_code = {option.code: option for option in allowed}
    if facts.fainting and FAINTING_POINT in by_code:
        pc6 = by_code[FAINTING_POINT]
        items.append(Chosen(pc6, pc6.needles_max, None, "Fainting history or needle fear: calms the patient."))
        total += pc6.needles_max

    taken = {item.option.key for item in items}
    for score, option, concern in scored:
        if option.key in taken:
            continue
        if option.kind == "adjunct":
            # Suggested for the concern it suits best among those severe enough to need it.
            suited = [(severities.get(code, 0) * weight, code) for code, weight in option.weights
                      if severities.get(code, 0) >= ADJUNCT_MIN_SEVERITY]
            if suited:
                code = max(suited, key=lambda entry: (entry[0], -concern_order[entry[1]]))[1]
                items.append(Chosen(option, 0, code, f"Suits {concern_names[code].lower()} ({severities[code]}/10)."))
                taken.add(option.key)
            continue
        needles = _pattern_needles(option, severities[concern]) if option.kind == "pattern" else option.needles_max
        if total + needles > target:
            continue
        items.append(Chosen(option, needles, concern, _reason(option, concern, severities, concern_names)))
        taken.add(option.key)
        total += needles

    # Too few needles (few concerns, many exclusions): first more needles along the chosen
    # lines, then support points.
    for index, item in enumerate(items):
        if total >= limits.needles_min:
            break
        if item.option.kind == "pattern":
            extra = min(item.option.needles_max - item.needles, limits.needles_min - total)
            items[index] = Chosen(item.option, item.needles + extra, item.concern, item.reason)
            total += extra
    # Support points go first where the plan already works (same face area), then distal
    # points, then the rest of the face: a puffiness plan is not filled up with forehead points.
    areas = {area for item in items for area in item.option.face_areas}
    support = sorted(
        (o for o in allowed if o.kind == "point" and o.key not in taken),
        key=lambda o: (0 if areas.intersection(o.face_areas) else 1 if not o.on_face else 2, o.order, o.key),
    )
    for option in support:
        if total >= limits.needles_min:
            break
        if total + option.needles_max > limits.needles_max:
            continue
        if local := [area for area in option.face_areas if area in areas]:
            reason = f"Local support ({face_area_labels(local)}), to reach the minimum needle count."
        else:
            reason = "General support, to reach the minimum needle count."
        items.append(Chosen(option, option.needles_max, None, reason))
        taken.add(option.key)
        total += option.needles_max

    if total < limits.needles_min:
        proposal.blocked = [
            f"Only {total} needles are possible with the points this screening allows; a plan needs at least "
            f"{limits.needles_min}. Review the exclusions below or the clinic's plan settings."
        ]
        return proposal
    proposal.items = _in_display_order(items)
    return proposal


def concern_served(option: Option, *, severities: dict[str, int], concern_names: dict[str, str]) -> tuple[str | None, str]:
    """(concern code, reason) for an item the practitioner added by hand."""
    severities = {code: s for code, s in severities.items() if s > 0 and code in concern_names}
    _, concern = _best_concern(option, severities, {code: i for i, code in enumerate(concern_names)})
    if concern is None:
        return None, "Added by the practitioner."
    return concern, f"Added by the practitioner: {_reason(option, concern, severities, concern_names)}"


def _reason(option: Option, concern: str, severities: dict[str, int], names: dict[str, str]) -> str:
    others = [names[code].lower() for code, weight in option.weights if code != concern and severities.get(code)]
    also = f"; also helps {', '.join(others)}" if others else ""
    return f"{names[concern]} ({severities[concern]}/10){also}."


def _display_key(option: Option) -> tuple:
    """Points, then line patterns, then adjuncts, each in catalogue order."""
    return ({"point": 0, "pattern": 1, "adjunct": 2}[option.kind], option.order, option.key)


def _in_display_order(items: list[Chosen]) -> list[Chosen]:
    return sorted(items, key=lambda item: _display_key(item.option))


def from_template(
    *,
    template_items: list[tuple[Option, int]],
    retention: int,
    severities: dict[str, int],
    concern_names: dict[str, str],
    facts: Facts,
    rules: Rules,
    options: list[Option],
) -> Proposal:
    """A starting plan from a saved template: items the screening excludes are left out (and
    listed in ``dropped``); the retention is brought inside the limits. The result may still
    need adjusting (e.g. needle total) — the practitioner sees the problems before saving."""
    proposal = suggest_plan(severities=severities, concern_names=concern_names, facts=facts, rules=rules, options=options)
    if blocked_reasons(facts):
        return proposal
    proposal.blocked = []
    limits = proposal.limits
    concern_order = {code: i for i, code in enumerate(concern_names)}
    severities = {code: s for code, s in severities.items() if s > 0 and code in concern_names}
    items = []
    for option, needles in template_items:
        why = exclusion_reason(option, facts)
        if why:
            proposal.dropped.append(f"{option.label}: {why}")
            continue
        _, concern = _best_concern(option, severities, concern_order)
        reason = _reason(option, concern, severities, concern_names) if concern else "From the template."
        items.append(Chosen(option, max(option.needles_min, min(needles, option.needles_max)), concern, reason))
    proposal.items = _in_display_order(items)
    proposal.retention = max(limits.retention_min, min(retention, limits.retention_max))
    return proposal


# --- Used by the models on every save -------------------------------------------------------------
def rules_from_settings(settings_row) -> Rules:
    return Rules(
        needles_min=settings_row.needles_min,
        needles_max=settings_row.needles_max,
        reduced_needles_max=settings_row.reduced_needles_max,
        retention_min=settings_row.retention_min,
        retention_max=settings_row.retention_max,
        botox_wait_days=settings_row.botox_wait_days,
        filler_wait_days=settings_row.filler_wait_days,
        laser_peel_wait_days=settings_row.laser_peel_wait_days,
        surgery_wait_days=settings_row.surgery_wait_days,
    )


def option_for_item(item) -> Option:
    """The Option of a saved plan or template item (or anything with point/pattern/adjunct)."""
    from treatments.catalogue import option_from_adjunct, option_from_pattern, option_from_point

    if item.point_id:
        return option_from_point(item.point)
    if item.pattern_id:
        return option_from_pattern(item.pattern)
    return option_from_adjunct(item.adjunct)


def check_plan_row(plan) -> list[str]:
    """The whole-plan rules for a Plan row about to be inserted (see treatments.models)."""
    from django.utils import timezone

    from treatments.models import PlanSettings

    screening = plan.screening
    if screening.patient_id != plan.patient_id:
        return ["The screening belongs to another patient."]
    latest = Screening.objects.filter(patient_id=plan.patient_id).order_by("-answered_at", "-id").values_list("pk", flat=True).first()
    if screening.pk != latest:
        return ["The patient has a newer screening: the plan must be checked against it."]
    rules = rules_from_settings(PlanSettings.load())
    facts = screening_facts(screening, today=timezone.localdate(plan.created_at), rules=rules)
    problems = blocked_reasons(facts)
    limits = limits_for(facts, rules)
    stored = Limits(plan.needles_min, plan.needles_max, plan.retention_min, plan.retention_max)
    if stored != limits:
        problems.append(
            f"The plan's limits must be those of the rules for this screening: {limits.needles_min}–{limits.needles_max} "
            f"needles and {limits.retention_min}–{limits.retention_max} minutes."
        )
    if facts.acknowledgements and list(plan.acknowledged) != list(facts.acknowledgements):
        problems.append("Acknowledge the risks listed before saving the plan.")
    return problems


def check_plan_item(item) -> list[str]:
    """The rules for one item about to be added to a saved plan (see treatments.models)."""
    plan = item.plan
    return _row_item_problems(
        item, screening=plan.screening, at=plan.created_at, siblings=plan.items, total=plan.total_needles, whose="plan's"
    )


def _latest_screening_pk(patient_id: int) -> int | None:
    return (
        Screening.objects.filter(patient_id=patient_id).order_by("-answered_at", "-id").values_list("pk", flat=True).first()
    )


def check_session_row(record) -> list[str]:
    """The whole-record rules for a SessionRecord row about to be inserted (see treatments.models)."""
    from django.utils import timezone

    from treatments.models import PlanSettings

    visit = record.visit
    problems = []
    if visit.patient_id != record.patient_id or visit.series_id != record.series_id:
        problems.append("The record must be for the visit's patient and series.")
    if record.plan.patient_id != record.patient_id:
        problems.append("The plan belongs to another patient.")
    if record.screening.patient_id != record.patient_id:
        problems.append("The screening belongs to another patient.")
    elif record.screening_id != _latest_screening_pk(record.patient_id):
        problems.append("The patient has a newer screening: the session must be checked against it.")
    if problems:
        return problems
    rules = rules_from_settings(PlanSettings.load())
    facts = screening_facts(record.screening, today=timezone.localdate(record.recorded_at), rules=rules)
    problems = blocked_reasons(facts)
    limits = limits_for(facts, rules)
    if (record.needles_max, record.retention_max) != (limits.needles_max, limits.retention_max):
        problems.append(
            f"The record's limits must be those of the rules for this screening: at most {limits.needles_max} "
            f"needles and {limits.retention_max} minutes."
        )
    return problems


def check_session_item(item) -> list[str]:
    """The rules for one item about to be added to a saved session record (see treatments.models)."""
    record = item.record
    return _row_item_problems(
        item, screening=record.screening, at=record.recorded_at, siblings=record.items, total=record.total_needles, whose="record's"
    )


def _row_item_problems(item, *, screening, at, siblings, total: int, whose: str) -> list[str]:
    """What is wrong with adding ``item`` to a plan or record: excluded by the screening, a needle
    count its kind does not allow, or more needles than the parent row states."""
    from django.db.models import Sum
    from django.utils import timezone

    from treatments.models import PlanSettings

    rules = rules_from_settings(PlanSettings.load())
    facts = screening_facts(screening, today=timezone.localdate(at), rules=rules)
    option = option_for_item(item)
    problems = [f"{option.label} cannot be used: {why}." for why in filter(None, [exclusion_reason(option, facts)])]
    if not option.needles_min <= item.needles <= option.needles_max:
        problems.append(f"{option.label}: {item.needles} needles is outside {option.needles_min}–{option.needles_max}.")
    so_far = siblings.aggregate(total=Sum("needles"))["total"] or 0
    if so_far + item.needles > total:
        problems.append(f"The items would come to more than the {whose} {total} needles.")
    return problems
