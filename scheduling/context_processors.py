"""The banner staff cannot miss: visits inside a closure or time off still waiting for a decision."""

from scheduling.models import AffectedVisit


def _pending_count() -> int:
    return AffectedVisit.objects.filter(decision=AffectedVisit.Decision.PENDING).count()


def pending_decisions(request):
    # A callable, so the count is queried only where the banner is drawn (for those who decide).
    return {"pending_decisions": _pending_count}
