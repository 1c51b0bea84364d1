"""Demo plans: two templates and a current plan for some demo patients, saved the real way."""

from django.utils import timezone

from patients.models import Screening
from treatments import planning
from treatments.catalogue import concern_names, load_options
from treatments.models import PlanSettings
from treatments.services import plan_context, plan_save, template_create

TEMPLATES = [
    ("Lines: forehead and eyes", {"fine-lines": 7, "wrinkles": 6}),
    ("Puffiness and tone", {"puffiness": 7, "dullness": 6, "dark-circles": 4}),
]


def load(ctx: dict) -> None:
    lin, sara = ctx["acupuncturists"][:2]
    # Templates: the suggestion for typical concerns of a patient with nothing to report.
    names, options = concern_names(), load_options()
    rules = planning.rules_from_settings(PlanSettings.load())
    facts = planning.screening_facts(Screening(), today=timezone.localdate(), rules=rules)
    for name, severities in TEMPLATES:
        proposal = planning.suggest_plan(severities=severities, concern_names=names, facts=facts, rules=rules, options=options)
        template_create(by=lin, name=name, items=proposal.items, retention=proposal.retention)

    # A current plan for most of the first twelve patients (some are blocked by their screening).
    ctx["plans"] = []
    for index, patient in enumerate(ctx["patients"][:12]):
        proposal = plan_context(patient).suggest()
        if proposal.blocked:
            continue  # e.g. the patient with an active skin infection: no plan until it clears
        ctx["plans"].append(
            plan_save(
                by=lin if index % 2 else sara,
                patient=patient,
                items=proposal.items,
                retention=proposal.retention,
                acknowledged=True,  # the demo practitioner has gone through the risks with the patient
                notes="" if index % 3 else "Review the plan after the third session.",
            )
        )
