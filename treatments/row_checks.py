"""The checks the models run on each row they insert (plans, session records, their items): the
same rules as ``treatments.rules``, applied to what a row stores. Plain functions, no ORM."""

from __future__ import annotations

from treatments.rules import (
    NEAR_EYE_RISK,
    Facts,
    Limits,
    Option,
    Rules,
    blocked_reasons,
    exclusion_reason,
    limits_for,
    unacknowledged,
)


def plan_row_problems(*, stored: Limits, acknowledged: list[str], facts: Facts, rules: Rules) -> list[str]:
    """A Plan row: not blocked, its stored limits exactly the rules', the risks acknowledged."""
    problems = blocked_reasons(facts)
    limits = limits_for(facts, rules)
    if stored != limits:
        problems.append(
            f"The plan's limits must be those of the rules for this screening: {limits.needles_min}–{limits.needles_max} "
            f"needles and {limits.retention_min}–{limits.retention_max} minutes."
        )
    screening_risks = list(facts.acknowledgements)
    if list(acknowledged) not in (screening_risks, [*screening_risks, NEAR_EYE_RISK] if facts.bleeding_risk else None):
        problems.append("Acknowledge the risks listed before saving the plan.")
    return problems


def session_row_problems(
    *, needles_max: int, retention_max: int, facts: Facts, rules: Rules, light: bool, risks: list[str], acknowledged: list[str]
) -> list[str]:
    """A SessionRecord row: not blocked, its stored maxima exactly the rules', each risk new since
    the plan acknowledged."""
    problems = blocked_reasons(facts) + unacknowledged(risks, acknowledged)
    limits = limits_for(facts, rules, light=light)
    if (needles_max, retention_max) != (limits.needles_max, limits.retention_max):
        problems.append(
            f"The record's limits must be those of the rules for this screening: at most {limits.needles_max} "
            f"needles and {limits.retention_max} minutes."
        )
    return problems


def item_row_problems(
    *, option: Option, needles: int, facts: Facts, needles_before: int, parent_total: int, whose: str
) -> list[str]:
    """An item row added to a plan or record: excluded by the screening, a needle count its kind
    does not allow, or more needles than the parent row states."""
    problems = [f"{option.label} cannot be used: {why}." for why in filter(None, [exclusion_reason(option, facts)])]
    if not option.needles_min <= needles <= option.needles_max:
        problems.append(f"{option.label}: {needles} needles is outside {option.needles_min}–{option.needles_max}.")
    if needles_before + needles > parent_total:
        problems.append(f"The items would come to more than the {whose} {parent_total} needles.")
    return problems
