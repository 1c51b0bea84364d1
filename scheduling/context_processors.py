"""Context for every staff page: banners staff cannot miss, each costing no query unless drawn."""

from scheduling.models import AffectedVisit
from scheduling.reminders.heartbeat import sweep_overdue


def _pending_count() -> int:
    return AffectedVisit.objects.filter(decision=AffectedVisit.Decision.PENDING).count()


def pending_decisions(request):
    # A callable, so the count is queried only where the banner is drawn (for those who decide).
    return {"pending_decisions": _pending_count}


def reminder_sweep(request) -> dict:
    """``reminders_stalled_since``: the last sweep's time when reminders have not been swept for a while
    (base.html warns staff). A callable, so the template evaluates it only for signed-in staff;
    it reads the cache, never the database, so pages keep their query counts."""
    return {"reminders_stalled_since": sweep_overdue}
