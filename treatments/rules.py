"""The treatment safety rules (SPEC §3, reference/points.md "Conditions"), as plain values and functions.

No ORM here: the catalogue selector (``treatments.catalogue``) and the models read the database
once and hand these functions plain inputs, so the suggestion, the services and the models'
write checks all apply the same rules, and the rules are tested without a database.

* ``Facts`` — what a screening means on a given day (``screening_facts``);
* ``Limits`` — the needle and retention range for those facts under the clinic's settings (``limits_for``);
* ``exclusion_reason`` — why an option is ruled out (pregnancy uses ``treatments.hard_rules`` too,
  so no catalogue edit can admit a forbidden point);
* ``plan_problems`` / ``session_problems`` — everything a plan or session record breaks;
  ``conflicts`` — what a saved plan breaks under a newer screening (exclusions and caps).
The models' per-row checks apply the same rules in ``treatments.row_checks``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from patients.models import PROCEDURES, FaceArea, face_area_labels
from treatments import hard_rules

# The risk a practitioner accepts, on top of the screening's, to needle near the eye with a bleeding risk.
NEAR_EYE_RISK = "Bleeding risk near the eye: points marked “near the eye” (e.g. ST1) may bruise or bleed there."


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
    near_eye: bool = False
    electrical: bool = False
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

    def wait_days(self, procedure_on_field: str) -> int:
        """The wait after a procedure, by the screening's date field (``botox_on`` → ``botox_wait_days``)."""
        return getattr(self, procedure_on_field.removesuffix("_on") + "_wait_days")


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
    implanted_device: bool = False
    facial_block: tuple[str, ...] = ()  # why facial treatment is blocked
    filler_areas: frozenset[str] = frozenset()  # treated with Botox/filler within the wait period
    procedure_areas: frozenset[str] = frozenset()  # laser, peel or surgery within the wait period
    # (procedure, areas) for each procedure within its own wait, e.g. ("Botox", {"glabella"}).
    treated: tuple[tuple[str, frozenset[str]], ...] = ()
    near_eye_accepted: bool = False  # the practitioner accepted NEAR_EYE_RISK for this plan or session
    acknowledgements: tuple[str, ...] = ()  # risks the practitioner must acknowledge
    cautions: tuple[str, ...] = ()  # how to treat (lying down, no electro-acupuncture, ...)


@dataclass(frozen=True)
class Chosen:
    """One item of a plan or session record being suggested, checked or saved."""

    option: Option
    needles: int
    concern: str | None = None  # concern code it serves
    reason: str = ""


# --- Facts from a screening -----------------------------------------------------------------------
def _recent_areas(on: dt.date | None, areas: list[str], *, today: dt.date, wait_days: int) -> frozenset[str]:
    if on is None or (today - on).days >= wait_days:
        return frozenset()
    # No area given means the whole face must be avoided.
    return frozenset(areas or FaceArea.values)


def _treated(screening, *, today: dt.date, rules: Rules) -> tuple[tuple[str, str, frozenset[str]], ...]:
    """(date field, procedure, areas) for each procedure still within its own wait."""
    treated = []
    for on_field, areas_field, what in PROCEDURES:
        areas = _recent_areas(
            getattr(screening, on_field), getattr(screening, areas_field), today=today, wait_days=rules.wait_days(on_field)
        )
        if areas:
            treated.append((on_field, what, areas))
    return tuple(treated)


def _acknowledgements(screening, *, procedures: list[dt.date]) -> tuple[str, ...]:
    acknowledge = []
    if screening.bleeding_risk:
        acknowledge.append(
            "Bleeding disorder or anticoagulant/antiplatelet medication: bruising risk (fewer needles, no cupping)."
        )
    if procedures:
        acknowledge.append(f"Laser, peel or cosmetic surgery on {max(procedures):%d %b %Y}: treated areas are not needled.")
    if screening.uncontrolled_blood_pressure:
        acknowledge.append("Uncontrolled high blood pressure.")
    if screening.severe_migraines:
        acknowledge.append("Severe migraines.")
    if screening.metal_allergy:
        acknowledge.append(
            "Metal (nickel) allergy: use needles the patient tolerates (e.g. gold or nickel-free) and watch the skin."
        )
    return tuple(acknowledge)


# Screening answers that change how to treat, not whether: (answer, caution shown with the plan).
CAUTIONS = (
    ("pregnant_or_trying", "Pregnant or trying to conceive: pregnancy-cautioned and abdominal points are never used."),
    (
        "fainting_history",
        "Needle fear or fainting history: treat lying down; fewer needles for the first session; "
        "PC6 can be added to calm the patient.",
    ),
    ("implanted_device", "Pacemaker or implanted device: no electro-acupuncture or microcurrent."),
    ("keloid_scarring", "Keloid tendency: no local (intradermal) needling; watch needle sites."),
    ("diabetes", "Diabetes: check skin healing and needle sites."),
    ("epilepsy", "Epilepsy: treat lying down and do not leave the patient alone."),
)


def _cautions(screening) -> tuple[str, ...]:
    cautions = [caution for answer, caution in CAUTIONS if getattr(screening, answer)]
    if screening.allergies:
        cautions.append(f"Allergies: {screening.allergies}")
    return tuple(cautions)


def screening_facts(screening, *, today: dt.date, rules: Rules) -> Facts:
    """The facts of a screening (a ``patients.models.Screening``, saved or not) on ``today``."""
    if screening is None:
        return Facts(screened=False)
    block = screening.facial_block()
    treated = _treated(screening, today=today, rules=rules)
    injected = {"botox_on", "filler_on"}
    procedures = [getattr(screening, on_field) for on_field, _, _ in treated if on_field not in injected]
    return Facts(
        screened=True,
        pregnant=screening.pregnant_or_trying,
        bleeding_risk=screening.bleeding_risk,
        keloid=screening.keloid_scarring,
        fainting=screening.fainting_history,
        implanted_device=screening.implanted_device,
        facial_block=tuple(block),
        filler_areas=frozenset().union(*(areas for on, _, areas in treated if on in injected)),
        procedure_areas=frozenset().union(*(areas for on, _, areas in treated if on not in injected)),
        treated=tuple((what, areas) for _, what, areas in treated),
        acknowledgements=_acknowledgements(screening, procedures=procedures),
        cautions=_cautions(screening),
    )


def accepting_near_eye(facts: Facts, acknowledged: list[str] | tuple[str, ...]) -> Facts:
    """The facts for a plan or record whose practitioner accepted the near-eye risk (or not)."""
    return replace(facts, near_eye_accepted=facts.bleeding_risk and NEAR_EYE_RISK in acknowledged)


# --- The rules ------------------------------------------------------------------------------------
def blocked_reasons(facts: Facts) -> list[str]:
    """Why no plan can be made today (empty when treatment may go ahead)."""
    if not facts.screened:
        return ["No screening has been recorded: record the screening questionnaire first."]
    return [
        f"Facial treatment is blocked: {reason}. Record a new screening once it has cleared."
        for reason in facts.facial_block
    ]


def light_session(*, facts: Facts, earlier_sessions: int, fainted_in_series: bool) -> bool:
    """A fainting-prone patient's first session of a series, or any session after a fainting
    reaction in the series, takes the reduced cap; the plan and later sessions the normal one."""
    return facts.fainting and (earlier_sessions == 0 or fainted_in_series)


def limits_for(facts: Facts, rules: Rules, *, light: bool = False) -> Limits:
    """The needle and retention range: "fewer needles, lower end of the range" with a bleeding
    risk, and for a ``light_session``."""
    reduced = facts.bleeding_risk or light
    return Limits(
        needles_min=rules.needles_min,
        needles_max=rules.reduced_needles_max if reduced else rules.needles_max,
        retention_min=rules.retention_min,
        retention_max=rules.retention_max,
    )


def _pregnancy_reason(option: Option) -> str | None:
    if option.kind == "point" and hard_rules.forbidden_in_pregnancy(code=option.code, region=option.region):
        return hard_rules.PREGNANCY_REASON
    # The catalogue's flags can only add to the hard rules (an admin's extra caution).
    if option.avoid_in_pregnancy:
        return "avoided in pregnancy (pregnant or trying to conceive)"
    if option.lower_abdominal:
        return "no lower-abdominal points in pregnancy"
    return None


def _area_reason(option: Option, facts: Facts) -> str | None:
    for what, areas in facts.treated:
        if hit := [area for area in option.face_areas if area in areas]:
            return f"{what} within the wait period ({face_area_labels(hit)})"
    return None


def _adjunct_reason(option: Option, facts: Facts) -> str | None:
    if facts.implanted_device and (
        option.electrical or hard_rules.electrical_by_name(option.code, option.name)
    ):
        return "pacemaker or implanted device: no electrical stimulation"
    if facts.filler_areas:
        return "recent Botox/filler: gua sha and cupping move the tissue of the whole face"
    if facts.procedure_areas:
        return "recent laser, peel or surgery: not over freshly treated skin"
    if facts.bleeding_risk and option.avoid_with_bleeding_risk:
        return "bleeding risk: suction bruises"
    return None


def exclusion_reason(option: Option, facts: Facts) -> str | None:
    """Why the screening rules this option out, or None when it may be used."""
    if option.on_face and facts.facial_block:
        return f"no facial treatment: {', '.join(facts.facial_block)}"
    if facts.pregnant and (why := _pregnancy_reason(option)):
        return why
    if option.kind == "adjunct" and (why := _adjunct_reason(option, facts)):
        return why
    if why := _area_reason(option, facts):
        return why
    if option.near_eye and facts.bleeding_risk and not facts.near_eye_accepted:
        return "bleeding risk near the eye: only if you accept that risk for this patient"
    if option.kind == "pattern" and facts.keloid:
        return "keloid tendency: no local (intradermal) needling"
    return None


def item_problems(items: list[Chosen], facts: Facts, *, where: str) -> list[str]:
    """The per-item rules, shared by plans and session records: no item twice, nothing the
    screening excludes, each item's needle count fitting it."""
    problems = []
    seen = set()
    for item in items:
        option = item.option
        if option.key in seen:
            problems.append(f"{option.label} is in {where} twice.")
        seen.add(option.key)
        if why := exclusion_reason(option, facts):
            problems.append(f"{option.label} cannot be used: {why}.")
        if not option.needles_min <= item.needles <= option.needles_max:
            if option.kind == "pattern":
                problems.append(f"{option.label}: {option.needles_min}–{option.needles_max} needles, not {item.needles}.")
            else:
                problems.append(f"{option.label}: {option.needles_max} needle(s), not {item.needles}.")
    return problems


def _reduced_why(limits: Limits, rules: Rules) -> str:
    return (
        " (bleeding risk, or a fainting-prone patient's first session: fewer needles)"
        if limits.needles_max < rules.needles_max
        else ""
    )


def new_risks(facts: Facts, *, plan_acknowledged: list[str]) -> list[str]:
    """The risks of today's screening that were not acknowledged when the plan was saved."""
    return [risk for risk in facts.acknowledgements if risk not in plan_acknowledged]


def unacknowledged(risks: list[str], acknowledged: list[str]) -> list[str]:
    return [f"Acknowledge this risk, new since the plan was saved: {risk}" for risk in risks if risk not in acknowledged]


def plan_problems(
    *, items: list[Chosen], retention: int | None, facts: Facts, rules: Rules, acknowledged: bool,
    fewer_needles: bool = False,
) -> list[str]:
    """Every rule the plan breaks, as messages for the practitioner (empty when it is safe).

    The minimum needle count is a target, not safety: a plan below it is saved when the
    practitioner chooses so (``fewer_needles``); the maximum always holds. ``retention`` None:
    the form could not read it (and says so beside the field); everything else is still checked.
    """
    problems = blocked_reasons(facts)
    if problems:
        return problems
    limits = limits_for(facts, rules)
    problems += item_problems(items, facts, where="the plan")
    total = sum(item.needles for item in items)
    if total > limits.needles_max:
        problems.append(f"The plan has {total} needles; at most {limits.needles_max} are allowed{_reduced_why(limits, rules)}.")
    elif total < 1:
        problems.append("The plan has no needles: choose at least one point or line of local needles.")
    elif total < limits.needles_min and not fewer_needles:
        problems.append(
            f"The plan has {total} needles, fewer than the usual {limits.needles_min}: add points that suit the patient, "
            "or confirm that you want fewer needles."
        )
    if retention is not None and not limits.retention_min <= retention <= limits.retention_max:
        problems.append(f"Retention must be {limits.retention_min}–{limits.retention_max} minutes, not {retention}.")
    if facts.acknowledgements and not acknowledged:
        problems.append("Acknowledge the risks listed before saving the plan.")
    return problems


def session_problems(
    *, items: list[Chosen], retention: int | None, facts: Facts, rules: Rules, light: bool = False,
    risks: list[str] = (), acknowledged: list[str] = (),
) -> list[str]:
    """Every rule a session record breaks (empty when it may be saved).

    The plan's exclusions, needle counts and maxima apply unchanged (the reduced cap for a
    ``light`` session). Its minimums (40 needles, 20 minutes) are treatment targets, not safety:
    a session stopped early because the patient felt faint is recorded as it happened. Each
    risk new since the plan (``risks``) must be among those ``acknowledged``.
    """
    problems = blocked_reasons(facts)
    if problems:
        return problems
    if not items:
        return ["Record what was done: at least one point, line of local needles or adjunct."]
    problems += unacknowledged(list(risks), list(acknowledged))
    limits = limits_for(facts, rules, light=light)
    problems += item_problems(items, facts, where="the session")
    total = sum(item.needles for item in items)
    if total > limits.needles_max:
        problems.append(
            f"The session has {total} needles; at most {limits.needles_max} are allowed{_reduced_why(limits, rules)}."
        )
    if retention is not None and not 1 <= retention <= limits.retention_max:
        problems.append(f"Retention must be 1–{limits.retention_max} minutes, not {retention}.")
    return problems


def conflicts(*, items: list[Chosen], retention: int, facts: Facts, rules: Rules) -> list[str]:
    """What a saved plan breaks under a newer screening (the plan must be redone before treating):
    what it rules out, and the caps it sets."""
    found = blocked_reasons(facts) + [
        f"{item.option.label}: {why}" for item in items if (why := exclusion_reason(item.option, facts))
    ]
    limits = limits_for(facts, rules)
    total = sum(item.needles for item in items)
    if total > limits.needles_max:
        found.append(
            f"The plan has {total} needles; this screening allows at most {limits.needles_max}{_reduced_why(limits, rules)}."
        )
    if retention > limits.retention_max:
        found.append(f"The plan's retention is {retention} minutes; at most {limits.retention_max} are allowed.")
    return found
