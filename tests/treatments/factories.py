"""Test helpers for plans, built on the foundation factories (tests/factories.py)."""

import datetime as dt

from patients.models import Screening
from treatments import planning
from treatments.catalogue import concern_names, load_options
from treatments.models import Plan
from treatments.services import plan_context, plan_save

RULES = planning.Rules()  # the clinic defaults: 40–70 needles, 20–30 minutes, 14/30 wait days
TODAY = dt.date(2026, 11, 24)


def facts(**answers) -> planning.Facts:
    """Screening facts for an unsaved screening with these answers, on TODAY."""
    return planning.screening_facts(Screening(**answers), today=TODAY, rules=RULES)


def suggest(severities: dict[str, int], **answers) -> planning.Proposal:
    """The suggestion for these concerns and screening answers, from the migrated catalogue."""
    return planning.suggest_plan(
        severities=severities, concern_names=concern_names(), facts=facts(**answers), rules=RULES, options=load_options()
    )


def saved_plan(patient, *, by, **overrides) -> Plan:
    """Saves the patient's suggested plan through the service, as an acupuncturist would."""
    proposal = plan_context(patient).suggest()
    assert not proposal.blocked, proposal.blocked
    return plan_save(
        by=by, patient=patient, items=proposal.items, retention=proposal.retention, acknowledged=True, **overrides
    )


def codes(items) -> set[str]:
    return {item.option.code for item in items}
