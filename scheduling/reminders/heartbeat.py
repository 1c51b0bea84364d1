"""The sweep's heartbeat: when reminders were last swept, so that staff notice when beat or the
worker has stopped (nothing else would: reminders just quietly stop going out).

Each sweep writes the time twice: to the single ``SweepHeartbeat`` row (it survives a cache flush;
the clinic admin sees it in Clinic settings) and to Django's cache, which the pages read (the
warning on every staff page, ``scheduling.context_processors``, and the Reminders page) so that
they make no extra SQL query.
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


def cached_last_sweep() -> dt.datetime | None:
    """The last sweep's time from the cache; None when the cache cannot tell (it is down, or was
    emptied and nothing has swept since). Never a database query: every staff page calls this."""
    try:
        value = cache.get(CACHE_KEY)
    except (RedisError, OSError):
        logger.warning("Could not read the reminder sweep heartbeat from the cache.", exc_info=True)
        return None
    return dt.datetime.fromisoformat(value) if value else None


def sweep_overdue(*, now: dt.datetime | None = None) -> dt.datetime | None:
    """The last sweep's time when it is more than ``STALE_AFTER`` ago, else None. None too when
    the cache cannot tell: a false alarm on every page would teach staff to ignore it (the
    ``SweepHeartbeat`` row, in Clinic settings, still has the time)."""
    swept_at = cached_last_sweep()
    return swept_at if swept_at and (now or timezone.now()) - swept_at > STALE_AFTER else None
