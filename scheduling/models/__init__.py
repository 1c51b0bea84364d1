"""Scheduling's models, one module per area; import them from here (``scheduling.models``).

- ``clinic``: clinic settings, rooms, opening hours, closures, practitioners, working hours,
  time off, appointment types.
- ``visits``: series, visits, maintenance schedules.
- ``reminders``: reminder e-mails, patient requests, used e-mail links.
- ``desk``: one-time form keys (idempotent booking), visits inside a closure or time off.
"""

from scheduling.models.clinic import (
    AppointmentType,
    ClinicSettings,
    Closure,
    OpeningHours,
    Practitioner,
    Room,
    TimeOff,
    Weekday,
    WorkingHours,
)
from scheduling.models.desk import AffectedVisit
from scheduling.models.reminders import LinkUse, PatientRequest, Reminder, SweepHeartbeat, new_message_id
from scheduling.models.visits import MaintenanceSchedule, Series, Visit

__all__ = [
    "AffectedVisit",
    "AppointmentType",
    "ClinicSettings",
    "Closure",
    "LinkUse",
    "MaintenanceSchedule",
    "OpeningHours",
    "PatientRequest",
    "Practitioner",
    "Reminder",
    "Room",
    "Series",
    "SweepHeartbeat",
    "TimeOff",
    "Visit",
    "Weekday",
    "WorkingHours",
    "new_message_id",
]
