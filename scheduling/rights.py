"""What scheduling holds about a patient, for ``patients.rights`` (export and anonymisation):
series, visits, the maintenance schedule, reminder e-mails and the requests sent through them."""

from patients.models import Patient
from patients.rights import DataHolder, blank_free_text, register, rows
from scheduling.models import MaintenanceSchedule, PatientRequest, Reminder, Series, Visit
from scheduling.reminders.upkeep import patient_reminders_cancel


def _export(patient: Patient) -> dict[str, list[dict]]:
    return {
        "Treatment series": rows(Series.objects.filter(patient=patient).order_by("id")),
        "Visits": rows(
            Visit.objects.filter(patient=patient).select_related("practitioner", "appointment_type"),
            practitioner_name=lambda visit: str(visit.practitioner),
            appointment_type_name=lambda visit: visit.appointment_type.name,
        ),
        "Maintenance": rows(MaintenanceSchedule.objects.filter(patient=patient)),
        "Reminder e-mails": rows(Reminder.objects.filter(patient=patient).order_by("due_at", "id")),
        "Requests sent through reminder links": rows(PatientRequest.objects.filter(patient=patient)),
    }


def _anonymise(patient: Patient) -> None:
    # An anonymised patient has no address to write to: nothing more goes out.
    patient_reminders_cancel(patient=patient, note="The patient's record was anonymised.")
    # Mail-server errors quote the address; cancel reasons and requests are free text.
    blank_free_text(Reminder.objects.filter(patient=patient), "last_error")
    blank_free_text(Visit.objects.filter(patient=patient), "cancel_reason")
    blank_free_text(PatientRequest.objects.filter(patient=patient), "note")


register(DataHolder(app="scheduling", export=_export, anonymise=_anonymise))
