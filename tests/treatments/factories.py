"""Test helpers for plans, built on the foundation factories (tests/factories.py)."""

import datetime as dt

from patients.models import Screening
from treatments.catalogue import concern_names, load_options
from treatments.models import Plan
from treatments.rules import Chosen, Facts, Rules, screening_facts
from treatments.services import plan_context, plan_save
from treatments.suggestion import Proposal, suggest_plan

RULES = Rules()  # the clinic defaults: 40–70 needles, 20–30 minutes, 14/30 wait days
TODAY = dt.date(2026, 11, 24)


def facts(**answers) -> Facts:
    """Screening facts for an unsaved screening with these answers, on TODAY."""
    return screening_facts(Screening(**answers), today=TODAY, rules=RULES)


def suggest(severities: dict[str, int], **answers) -> Proposal:
    """The suggestion for these concerns and screening answers, from the migrated catalogue."""
    return suggest_plan(
        severities=severities, concern_names=concern_names(), facts=facts(**answers), rules=RULES, options=load_options()
    )


def saved_plan(patient, *, by, **overrides) -> Plan:
    """Saves the patient's suggested plan through the service, as an acupuncturist would."""
    proposal = plan_context(patient).suggest()
    assert not proposal.blocked, proposal.blocked
    return plan_save(
        by=by, patient=patient, items=proposal.items, retention=proposal.retention, acknowledged=True,
        fewer_needles=bool(proposal.shortfall), **overrides
    )


def codes(items) -> set[str]:
    return {item.option.code for item in items}


# --- Sessions -------------------------------------------------------------------------------------
def book_treatment_series(patient, *, user, clinic, sessions: int = 6, first_day: str = "2026-03-02", time: str = "10:00"):
    """A weekly series for the patient with the acupuncturist ``user`` as its practitioner."""
    from scheduling.models import Practitioner
    from tests.scheduling.factories import book_series, practitioner

    who = Practitioner.objects.filter(user=user).first() or practitioner(user=user, display_name="Lin Zhao")
    return book_series(patient=patient, practitioner=who, clinic=clinic, first_day=first_day, time=time, sessions=sessions)


def ratings_for(patient, drop: int = 1) -> dict[str, int]:
    """A rating for each of the patient's concerns, ``drop`` below their intake severity."""
    return {code: max(0, severity - drop) for code, severity in patient.concerns.values_list("concern__code", "severity")}


def record_session(visit, *, by, ratings: dict[str, int] | None = None, items=None, retention: int | None = None, **kwargs):
    """Records the visit's session as prefilled, the way the record page would save it."""
    from treatments.sessions import session_record_save, session_start

    start = session_start(visit)
    return session_record_save(
        by=by,
        visit=visit,
        screening=start.ctx.screening,
        items=start.prefill if items is None else items,
        retention=retention or start.prefill_retention,
        ratings=ratings_for(visit.patient) if ratings is None else ratings,
        **kwargs,
    )


def plan_items(count: int) -> list[Chosen]:
    """``count`` items that are safe for a patient with nothing to report and total 40–70 needles:
    five line patterns at their most, a gua sha, and bilateral points without pregnancy cautions."""
    options = load_options()
    patterns = [Chosen(o, o.needles_max) for o in options if o.kind == "pattern"][:5]
    adjuncts = [Chosen(o, 0) for o in options if o.kind == "adjunct" and not o.avoid_with_bleeding_risk][:1]
    points = [Chosen(o, 2) for o in options if o.kind == "point" and o.bilateral and not o.avoid_in_pregnancy]
    fixed = patterns + adjuncts
    return points[: count - len(fixed)] + fixed
