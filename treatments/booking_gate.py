"""Tells scheduling (``scheduling.treatment_gate``) whether a patient's latest screening blocks
treatment, by the same rule the plan and the session check use (``treatments.rules``)."""

from django.utils import timezone

from patients.models import Screening
from scheduling import treatment_gate
from treatments.rules import Rules, blocked_reasons, screening_facts


def screening_blocks(patient_id: int) -> list[str]:
    """Why the latest screening blocks treatment today. A patient never screened is not blocked
    here: the screening is then recorded at the visit, as for any first visit."""
    screening = Screening.objects.latest_for(patient_id)
    if screening is None:
        return []
    return blocked_reasons(screening_facts(screening, today=timezone.localdate(), rules=Rules()))


treatment_gate.register(screening_blocks)
