"""Maintenance after a series: when a patient's next maintenance visit is due.

The due date rule itself (``since`` + the patient's own interval or the clinic default) is
``MaintenanceSchedule.set_due``; these functions decide when it is recounted and keep the
maintenance reminders in step, in the caller's transaction.
"""

import datetime as dt

from django.db import transaction

from patients.models import Patient
from scheduling.errors import BookingError
from scheduling.models import ClinicSettings, MaintenanceSchedule
from scheduling.reminders import maintenance_reminders_refresh
from staff.audit import audit_record


def maintenance_restart(*, patient_id: int, day: dt.date) -> MaintenanceSchedule:
    """Counts the next maintenance visit from ``day`` (the last treatment of a series, or a
    maintenance visit); the patient enters maintenance if they were not in it yet."""
    schedule = MaintenanceSchedule.objects.select_for_update().filter(patient_id=patient_id).first()
    if schedule is None:
        schedule = MaintenanceSchedule(patient_id=patient_id)
    schedule.since = day
    schedule.set_due(default_weeks=ClinicSettings.load().maintenance_weeks)
    schedule.save()
    maintenance_reminders_refresh(patient_id=patient_id)
    return schedule


def maintenance_set_interval(*, patient: Patient, weeks: int | None, by) -> MaintenanceSchedule:
    """Sets (or, with None, clears) the patient's own maintenance interval; the due date follows."""
    MaintenanceSchedule.check_interval(weeks)
    with transaction.atomic():
        schedule = MaintenanceSchedule.objects.select_for_update().filter(patient=patient).first()
        if schedule is None:
            raise BookingError("The patient has not finished a series yet, so no maintenance is due.")
        schedule.interval_weeks = weeks
        schedule.set_due(default_weeks=ClinicSettings.load().maintenance_weeks)
        schedule.save(update_fields=["interval_weeks", "due_on", "updated_at"])
        maintenance_reminders_refresh(patient_id=patient.pk)
        audit_record(user=by, action="change", obj=schedule, patient_id=patient.pk,
                     summary=f"Maintenance every {weeks or 'default'} weeks")
    return schedule
