"""The sweep's heartbeat: when reminders were last swept, so that staff notice when beat or the
worker has stopped (nothing else would: reminders just quietly stop going out).

Each sweep writes the time twice: to the single ``SweepHeartbeat`` row (what the Reminders page
shows, and what survives a cache flush) and to Django's cache, which the warning on every staff
page reads (``scheduling.context_processors``) so that pages make no extra SQL query.
"""

import datetime as dt
import logging

from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import RedisError

from scheduling.models import SweepHeartbeat

logger = logging.getLogger(__name__)

CACHE_KEY = "scheduling:reminder-sweep:last"
# The sweep runs every minute: ten missed in a row is not a hiccup.
# (RedisError, OSError) below: what the cache (Redis, or files in the embedded default) raises when down.
STALE_AFTER = dt.timedelta(minutes=10)


def sweep_heartbeat_record(*, now: dt.datetime) -> None:
    SweepHeartbeat.objects.update_or_create(pk=1, defaults={"swept_at": now})
    try:
        cache.set(CACHE_KEY, now.isoformat(), timeout=None)
    except (RedisError, OSError):
        # The cache (Redis) being down must not stop reminders: the pages will say they cannot check.
        logger.warning("Could not write the reminder sweep heartbeat to the cache.", exc_info=True)


def last_sweep() -> dt.datetime | None:
    """The last sweep's time from the database (None if reminders were never swept)."""
    return SweepHeartbeat.objects.values_list("swept_at", flat=True).first()


def sweep_overdue(*, now: dt.datetime | None = None) -> dt.datetime | None:
    """The last sweep's time when it is more than ``STALE_AFTER`` ago, else None. Reads only the
    cache: None too when there is nothing to compare with (no sweep since the cache was emptied,
    or the cache is down), as the page cannot check then, and a false alarm on every page would
    teach staff to ignore it."""
    try:
        value = cache.get(CACHE_KEY)
    except (RedisError, OSError):
        logger.warning("Could not read the reminder sweep heartbeat from the cache.", exc_info=True)
        return None
    if not value:
        return None
    swept_at = dt.datetime.fromisoformat(value)
    return swept_at if (now or timezone.now()) - swept_at > STALE_AFTER else None
