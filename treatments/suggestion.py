"""The suggested plan (SPEC §3, issue 10): plain and deterministic, no ORM.

The same concerns, screening facts, catalogue and settings always give the same plan:
1. Stop with a clear "blocked" result when the patient cannot be treated today (no screening,
   active facial infection, open wound or rash, nothing to treat, no concern with points mapped).
2. Exclude what the screening forbids (``rules.exclusion_reason``), remembering why.
3. Score each remaining point, line pattern and adjunct: the sum over the patient's concerns of
   severity × weight. The concern contributing most is the one the item "serves".
4. Aim for a needle total between the limits, higher for more severe concerns, and take the best
   scored items (ties broken by catalogue order) while they fit, never more body needles than
   face needles. Below the minimum, more needles along the chosen lines, then more items that
   serve a concern, up to the maximum.
5. Nothing is added only to reach the minimum: every item serves one of the patient's concerns.
   If the screening leaves too few, the proposal says so (``shortfall``) and the practitioner decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from patients.models import FaceArea
from treatments.rules import Chosen, Facts, Limits, Option, Rules, blocked_reasons, exclusion_reason, limits_for

# An adjunct is suggested only for a concern at least this severe (mild concerns don't need it).
ADJUNCT_MIN_SEVERITY = 4
# How many of the most severe concerns set the intensity (needles, retention) of the plan.
INTENSITY_CONCERNS = 3


@dataclass(frozen=True)
class Exclusion:
    option: Option
    reason: str
    # Only the near-eye bleeding risk rules it out: the practitioner may accept that risk.
    acceptable: bool = False


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
    shortfall: str = ""  # why the plan has fewer needles than the clinic's minimum ("" when it has enough)
    unmapped: list[str] = field(default_factory=list)  # the patient's concerns no catalogue item serves

    @property
    def total_needles(self) -> int:
        return sum(item.needles for item in self.items)


@dataclass(frozen=True)
class Concerns:
    """The patient's concerns that can drive a plan: severity > 0 and in the catalogue."""

    severities: dict[str, int]  # code → severity
    names: dict[str, str]  # the catalogue's concerns in display order, code → name

    @classmethod
    def of(cls, severities: dict[str, int], names: dict[str, str], options: list[Option] | None = None) -> Concerns:
        """With ``options``, only concerns some option serves: an unmapped concern drives nothing."""
        mapped = None if options is None else {code for option in options for code, _ in option.weights}
        return cls(
            {code: s for code, s in severities.items() if s > 0 and code in names and (mapped is None or code in mapped)},
            names,
        )

    def order(self, code: str) -> int:
        return list(self.names).index(code)

    def best(self, option: Option) -> tuple[int, str | None]:
        """(score, concern served): score is Σ severity × weight; the top contributor is served."""
        score, best, best_value = 0, None, 0
        for code, weight in option.weights:
            value = self.severities.get(code, 0) * weight
            score += value
            if value > best_value or (value == best_value and value and self.order(code) < self.order(best)):
                best, best_value = code, value
        return score, best

    def reason(self, option: Option, concern: str) -> str:
        others = [self.names[code].lower() for code, _ in option.weights if code != concern and self.severities.get(code)]
        also = f"; also helps {', '.join(others)}" if others else ""
        return f"{self.names[concern]} ({self.severities[concern]}/10){also}."


def _display_key(option: Option) -> tuple:
    """Points, then line patterns, then adjuncts, each in catalogue order."""
    return ({"point": 0, "pattern": 1, "adjunct": 2}[option.kind], option.order, option.key)


def _in_display_order(items: list[Chosen]) -> list[Chosen]:
    return sorted(items, key=lambda item: _display_key(item.option))


def _pattern_needles(option: Option, severity: int) -> int:
    """More needles along a line for a more severe concern."""
    span = option.needles_max - option.needles_min
    return option.needles_min + round(span * severity / 10)


def exclusions_for(options: list[Option], facts: Facts) -> list[Exclusion]:
    """What the screening rules out, with why, in display order."""
    accepting = replace(facts, near_eye_accepted=facts.bleeding_risk)
    return [
        Exclusion(option, why, acceptable=exclusion_reason(option, accepting) is None)
        for option in sorted(options, key=_display_key)
        if (why := exclusion_reason(option, facts))
    ]


def _split_by_exclusion(options: list[Option], facts: Facts) -> tuple[list[Option], list[Exclusion]]:
    excluded = exclusions_for(options, facts)
    ruled_out = {e.option.key for e in excluded}
    return [o for o in sorted(options, key=_display_key) if o.key not in ruled_out], excluded


def _adjunct_item(option: Option, concerns: Concerns) -> Chosen | None:
    """An adjunct, for the concern it suits best among those severe enough to need it."""
    suited = [
        (concerns.severities.get(code, 0) * weight, code)
        for code, weight in option.weights
        if concerns.severities.get(code, 0) >= ADJUNCT_MIN_SEVERITY
    ]
    if not suited:
        return None
    code = max(suited, key=lambda entry: (entry[0], -concerns.order(entry[1])))[1]
    return Chosen(option, 0, code, f"Suits {concerns.names[code].lower()} ({concerns.severities[code]}/10).")


def _scored(allowed: list[Option], concerns: Concerns) -> list[tuple[Option, str]]:
    """(option, concern served) for every option serving one of the concerns, best first."""
    scored = []
    for option in allowed:
        score, concern = concerns.best(option)
        if score > 0:
            scored.append((score, option, concern))
    scored.sort(key=lambda entry: (-entry[0], entry[1].order, entry[1].key))
    return [(option, concern) for _, option, concern in scored]


def _face_and_body(items: list[Chosen]) -> tuple[int, int]:
    face = sum(item.needles for item in items if item.option.on_face)
    return face, sum(item.needles for item in items) - face


def _fill(candidates: list[tuple[Option, str]], concerns: Concerns, *, up_to: int, items: list[Chosen]) -> None:
    """Adds candidates in order while the total stays within ``up_to`` and body needles never
    outnumber face needles (a body point waits for the face points that make room for it)."""
    taken = {item.option.key for item in items}
    changed = True
    while changed:
        changed = False
        for option, concern in candidates:
            if option.key in taken:
                continue
            if option.kind == "adjunct":
                item = _adjunct_item(option, concerns)
            else:
                needles = (
                    _pattern_needles(option, concerns.severities[concern]) if option.kind == "pattern" else option.needles_max
                )
                item = Chosen(option, needles, concern, concerns.reason(option, concern))
            if item is None:
                continue
            face, body = _face_and_body(items)
            if face + body + item.needles > up_to or (not option.on_face and body + item.needles > face):
                continue
            items.append(item)
            taken.add(option.key)
            changed = True


def _lengthen_lines(items: list[Chosen], *, needles_min: int) -> None:
    """Below the minimum: more needles along the chosen lines (they serve their concern already)."""
    total = sum(item.needles for item in items)
    for index, item in enumerate(items):
        if total >= needles_min:
            return
        if item.option.kind == "pattern":
            extra = min(item.option.needles_max - item.needles, needles_min - total)
            items[index] = Chosen(item.option, item.needles + extra, item.concern, item.reason)
            total += extra


def _area_phrase(area: str) -> str:
    label = FaceArea(area).label.lower()
    return label if label.startswith(("around", "between")) else f"the {label}"


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _shortfall(total: int, limits: Limits, exclusions: list[Exclusion], concerns: Concerns, facts: Facts) -> str:
    """Says plainly why a plan has fewer needles than the minimum, e.g. "32 needles: the
    screening rules out the forehead and the cheeks"."""
    if total >= limits.needles_min:
        return ""
    wanted = [e.option for e in exclusions if concerns.best(e.option)[0] > 0]
    treated = frozenset().union(*(areas for _, areas in facts.treated))
    parts = [_area_phrase(a) for a in FaceArea.values if any(a in o.face_areas and a in treated for o in wanted)]
    if facts.bleeding_risk and any(o.near_eye for o in wanted):
        parts.append("points near the eye (bleeding risk)")
    if facts.keloid and any(o.kind == "pattern" for o in wanted):
        parts.append("local needling (keloid)")
    if facts.pregnant and any(o.kind == "point" and not o.on_face for o in wanted):
        parts.append("points avoided in pregnancy")
    why = f"the screening rules out {_listed(parts)}" if parts else "the catalogue has no more points for these concerns"
    if total == 0:
        why += " (body points alone are not suggested: they would outnumber the face needles)"
    return (
        f"{total} needles: {why}. The clinic's usual minimum is {limits.needles_min}; nothing is added only to "
        "reach it. Add points that suit the patient, or save with fewer needles."
    )


def suggest_plan(
    *, severities: dict[str, int], concern_names: dict[str, str], facts: Facts, rules: Rules, options: list[Option]
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
    allowed, proposal.exclusions = _split_by_exclusion(options, facts)
    concerns = Concerns.of(severities, concern_names, options)
    proposal.unmapped = [
        concern_names[code] for code in Concerns.of(severities, concern_names).severities if code not in concerns.severities
    ]
    if not concerns.severities:
        proposal.blocked = [
            "None of the patient's concerns has a severity above 0 and points to treat it: there is nothing to treat."
        ]
        return proposal

    # Intensity 0–1 from the most severe concerns: it sets where in the ranges the plan sits.
    top = sorted(concerns.severities.values(), reverse=True)[:INTENSITY_CONCERNS]
    intensity = sum(top) / (10 * len(top))
    target = limits.needles_min + round((limits.needles_max - limits.needles_min) * intensity)
    span = 0 if facts.fainting else limits.retention_max - limits.retention_min
    proposal.retention = limits.retention_min + round(span * intensity)

    candidates = _scored(allowed, concerns)
    items: list[Chosen] = []
    _fill(candidates, concerns, up_to=target, items=items)
    _lengthen_lines(items, needles_min=limits.needles_min)
    if sum(item.needles for item in items) < limits.needles_min:
        _fill(candidates, concerns, up_to=limits.needles_max, items=items)
    proposal.items = _in_display_order(items)
    proposal.shortfall = _shortfall(proposal.total_needles, limits, proposal.exclusions, concerns, facts)
    return proposal


def concern_served(option: Option, *, severities: dict[str, int], concern_names: dict[str, str]) -> tuple[str | None, str]:
    """(concern code, reason) for an item the practitioner added by hand."""
    concerns = Concerns.of(severities, concern_names)
    _, concern = concerns.best(option)
    if concern is None:
        return None, "Added by the practitioner."
    return concern, f"Added by the practitioner: {concerns.reason(option, concern)}"


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
    concerns = Concerns.of(severities, concern_names)
    items = []
    for option, needles in template_items:
        why = exclusion_reason(option, facts)
        if why:
            proposal.dropped.append(f"{option.label}: {why}")
            continue
        _, concern = concerns.best(option)
        reason = concerns.reason(option, concern) if concern else "From the template."
        items.append(Chosen(option, max(option.needles_min, min(needles, option.needles_max)), concern, reason))
    proposal.items = _in_display_order(items)
    proposal.retention = max(limits.retention_min, min(retention, limits.retention_max))
    return proposal
