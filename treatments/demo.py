"""Demo plans and sessions: two templates, a current plan for some demo patients, and session
records (with ratings, so outcome charts show something) for the visits the demo clinic has
already held, all saved the real way."""

from django.utils import timezone

from patients.models import Screening
from scheduling.models import Visit
from treatments.catalogue import load_catalogue
from treatments.rules import screening_facts
from treatments.services import plan_context, plan_save, template_create
from treatments.sessions import ReactionEntry, session_record_save, session_start
from treatments.suggestion import suggest_plan

TEMPLATES = [
    ("Lines: forehead and eyes", {"fine-lines": 7, "wrinkles": 6}),
    ("Puffiness and tone", {"puffiness": 7, "dullness": 6, "dark-circles": 4}),
]


def load(ctx: dict) -> None:
    lin, sara = ctx["acupuncturists"][:2]
    # Templates: the suggestion for typical concerns of a patient with nothing to report.
    catalogue = load_catalogue()
    facts = screening_facts(Screening(), today=timezone.localdate(), rules=catalogue.rules)
    for name, severities in TEMPLATES:
        proposal = suggest_plan(
            severities=severities, concern_names=catalogue.concern_names, facts=facts, rules=catalogue.rules,
            options=catalogue.options,
        )
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
                fewer_needles=bool(proposal.shortfall),  # and accepts what the screening leaves
                notes="" if index % 3 else "Review the plan after the third session.",
            )
        )

    _record_held_visits()


def _record_held_visits() -> None:
    """A record for each series visit already held. The scheduling demo completes past visits
    itself (it runs first and cannot know about records); a completed visit without a record can
    still get one, so these go through session_record_save like any other."""
    visits = (
        Visit.objects.filter(status=Visit.Status.COMPLETED, series__isnull=False)
        .select_related("patient", "series", "practitioner__user")
        .order_by("series_id", "starts_at")
    )
    for visit in visits:
        start = session_start(visit)
        if start.refused or start.blocked:
            continue  # e.g. no plan for this patient
        n = visit.sequence
        # Concerns ease over the course, each at its own pace, with the odd session rated a
        # little worse.
        ratings = {
            line.code: min(10, max(0, line.intake - round(n * (0.5 + 0.25 * index)) + (1 if n % 4 == 2 else 0)))
            for index, line in enumerate(start.concerns)
        }
        session_record_save(
            by=visit.practitioner.user,
            visit=visit,
            screening=start.ctx.screening,
            items=start.prefill,
            retention=start.prefill_retention,
            ratings=ratings,
            reactions=[ReactionEntry("bruising", "mild", "small bruise near a cheek point")] if n == 2 else [],
            notes="Relaxed throughout; skin looked brighter afterwards." if n % 3 == 0 else "",
        )
