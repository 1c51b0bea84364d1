"""A patient's data rights: an export of everything the clinic holds about them, and anonymisation.

Each app says what it holds through a ``DataHolder`` registered here from its own ``rights``
module (found by ``autodiscover_modules("rights")`` in ``PatientsConfig.ready``), so this module
reads scheduling's and treatments' records without importing either: the apps still depend one
way (``treatments → scheduling → patients``).

- ``patient_export`` builds a ZIP: ``data.json`` (every section's rows, machine-readable),
  ``summary.html`` (the same, printable) and ``photos/``.
- ``patient_anonymise`` removes what identifies the patient (name, contact details, free text,
  photos) and keeps the clinical history, de-identified, as records must be retained.

Both are the clinic admin's, confirmed by typing, and audited.
"""

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from patients.models import Patient
from staff.audit import audit_record
from staff.write_once import REMOVED


@dataclass(frozen=True)
class ExportFile:
    """A file for the ZIP (e.g. a photo), under ``name`` inside the app's folder."""

    name: str
    open: Callable[[], io.BufferedIOBase]


@dataclass(frozen=True)
class DataHolder:
    """What one app holds about a patient.

    ``export(patient)`` → ``{section title: [row dicts]}`` (see ``rows``); ``files(patient)`` →
    files for the ZIP; ``anonymise(patient)`` removes what identifies the patient, inside the
    caller's transaction.
    """

    app: str
    export: Callable[[Patient], dict[str, list[dict]]]
    anonymise: Callable[[Patient], None]
    files: Callable[[Patient], Iterable[ExportFile]] = lambda patient: ()


_holders: dict[str, DataHolder] = {}


def register(holder: DataHolder) -> None:
    _holders[holder.app] = holder


def holders() -> list[DataHolder]:
    # This app first, then the others in INSTALLED_APPS order (registration order).
    return list(_holders.values())


def rows(objects: models.QuerySet | Iterable[models.Model], **extra: Callable[[models.Model], object]) -> list[dict]:
    """Each row as ``{"id": …, "type": "app.model", field: value, …}`` (foreign keys as ids), plus
    ``extra`` values computed from the object (e.g. the name a foreign key stands for)."""
    objects = list(objects)
    return [
        {"id": row["pk"], "type": row["model"], **row["fields"], **{key: get(obj) for key, get in extra.items()}}
        for obj, row in zip(objects, serializers.serialize("python", objects), strict=True)
    ]


def blank_free_text(queryset: models.QuerySet, *fields: str) -> None:
    """Every non-empty ``fields`` value of the rows becomes ``REMOVED``. Through the base
    QuerySet: history tables refuse in-place writes from their own managers, and this is the one
    change anonymisation makes to them — the only UPDATE their database triggers let through, once
    the patient is marked anonymised (``staff.write_once``)."""
    base = models.QuerySet(queryset.model).filter(pk__in=queryset.values("pk"))
    for field in fields:
        base.exclude(**{field: ""}).update(**{field: REMOVED})


class ConfirmationMismatch(ValidationError):
    pass


def expected_confirmation(patient: Patient) -> str:
    """What the clinic admin must type: the record number, so a slip of the mouse on the wrong
    patient cannot export or anonymise them."""
    return f"patient {patient.pk}"


def _check_confirmation(patient: Patient, typed: str) -> None:
    if " ".join(typed.lower().split()) != expected_confirmation(patient):
        raise ConfirmationMismatch({"confirmation": f"Type “{expected_confirmation(patient)}” to confirm."})


def patient_data(patient: Patient) -> dict:
    """Everything every app holds about the patient, as JSON-ready sections."""
    sections: dict[str, list[dict]] = {}
    for holder in holders():
        sections.update(holder.export(patient))
    return {"patient_id": patient.pk, "exported_at": timezone.now(), "sections": sections}


def patient_export(*, patient: Patient, by, confirmation: str) -> bytes:
    """The ZIP of everything held about ``patient`` (data.json, summary.html, photos/), audited."""
    _check_confirmation(patient, confirmation)
    data = patient_data(patient)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
        archive.writestr("summary.html", render_to_string("patients/rights/summary.html", {"patient": patient, **data}))
        for holder in holders():
            for export_file in holder.files(patient):
                with export_file.open() as handle:
                    archive.writestr(f"{holder.app}/{export_file.name}", handle.read())
    audit_record(user=by, action="view", obj=patient, patient_id=patient.pk, summary="export of all data")
    return buffer.getvalue()


def export_filename(patient: Patient, *, today: dt.date) -> str:
    # No name in the file name: it lands in download folders and mail attachments.
    return f"patient-{patient.pk}-export-{today:%Y-%m-%d}.zip"


def _anonymise_demographics(patient: Patient) -> None:
    Patient.objects.filter(pk=patient.pk).update(
        first_name="Anonymised",
        last_name=f"patient {patient.pk}",
        # The year alone keeps the age clinical history needs without the birthday.
        date_of_birth=dt.date(patient.date_of_birth.year, 1, 1),
        email="",
        phone="",
        address="",
        emergency_contact_name="",
        emergency_contact_phone="",
        guardian_name="",
        guardian_phone="",
        goals="",
        reminder_consent=False,
        reminder_consent_changed_at=timezone.now(),
        anonymised_at=timezone.now(),
        updated_at=timezone.now(),
    )


def patient_anonymise(*, patient: Patient, by, confirmation: str) -> None:
    """Removes name, contact details, free text and photos from every app's records of the
    patient; the clinical history stays, de-identified. Once only; all of it or nothing."""
    _check_confirmation(patient, confirmation)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if locked.anonymised_at is not None:
            raise ValidationError("This patient's record is already anonymised.")
        for holder in holders():
            holder.anonymise(locked)
        audit_record(user=by, action="change", obj=locked, patient_id=locked.pk, summary="anonymised")
    patient.refresh_from_db()


# --- What patients itself holds -------------------------------------------------------------------
def _export(patient: Patient) -> dict[str, list[dict]]:
    return {
        "Demographics": rows([patient]),
        "Consents": rows(patient.consents.order_by("recorded_at", "id")),
        "Screenings": rows(patient.screenings.order_by("answered_at", "id")),
        "Concerns": rows(
            patient.concerns.select_related("concern").order_by("concern__display_order"),
            concern_name=lambda row: row.concern.name,
        ),
    }


def _anonymise(patient: Patient) -> None:
    _anonymise_demographics(patient)
    blank_free_text(patient.screenings.all(), "allergies", "medications", "notes")


register(DataHolder(app="patients", export=_export, anonymise=_anonymise))
