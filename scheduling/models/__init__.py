"""Scheduling's models, one module per area; import them from here (``scheduling.models``).

- ``clinic``: clinic settings, rooms, opening hours, closures, practitioners, working hours,
  time off, appointment types.
- ``visits``: series, visits, maintenance schedules.
- ``reminders``: reminder e-mails, patient requests, used e-mail links.
- ``intake``: online intake invitations.
- ``desk``: one-time form keys (idempotent booking), visits inside a closure or time off.
- ``waitlist``: the waiting list per practitioner and the times cancellations and moves free.
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
from scheduling.models.intake import IntakeInvitation
from scheduling.models.reminders import LinkUse, PatientRequest, Reminder, SweepHeartbeat, new_message_id
from scheduling.models.visits import MaintenanceSchedule, Series, Visit
from scheduling.models.waitlist import FreedSlot, WaitlistEntry

__all__ = [
    "AffectedVisit",
    "AppointmentType",
    "ClinicSettings",
    "Closure",
    "FreedSlot",
    "IntakeInvitation",
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
    "WaitlistEntry",
    "Weekday",
    "WorkingHours",
    "new_message_id",
]
