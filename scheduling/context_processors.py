from scheduling.reminders.heartbeat import sweep_overdue


def reminder_sweep(request) -> dict:
    """``reminders_stalled_since``: the last sweep's time when reminders have not been swept for a while
    (base.html warns staff). A callable, so the template evaluates it only for signed-in staff;
    it reads the cache, never the database, so pages keep their query counts."""
    return {"reminders_stalled_since": sweep_overdue}
