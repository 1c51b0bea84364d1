"""The querysets the patients pages read, each in one place (and a fixed number of queries)."""

from django.db.models import Prefetch, QuerySet

from patients.models import Concern, Patient, PatientConcern, Screening
from patients.search import patient_search


def patients_with_record() -> QuerySet[Patient]:
    """Patients with everything the patient page shows: screenings (newest first, as the model
    orders them) with who recorded them, concerns with their catalogue entry, consents."""
    return Patient.objects.prefetch_related(
        Prefetch("screenings", queryset=Screening.objects.select_related("recorded_by")),
        Prefetch("concerns", queryset=PatientConcern.objects.select_related("concern")),
        "consents",
    )


def patients_listed(query: str) -> QuerySet[Patient]:
    """The patient list: everybody, or those matching the search box."""
    return patient_search(query) if query else Patient.objects.all()


def active_concerns() -> list[Concern]:
    """The concern catalogue as intake and the concerns page offer it."""
    return list(Concern.objects.filter(active=True))


def concern_severities(patient: Patient) -> dict[int, int]:
    """``{concern id: current severity}`` of the patient's concerns."""
    return dict(patient.concerns.values_list("concern_id", "severity"))
