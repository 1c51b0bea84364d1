"""What treatments holds about a patient, for ``patients.rights`` (export and anonymisation): point
plans, session records with their reactions and ratings, and the photos.

Anonymisation keeps the clinical history (points, needles, retention, reactions, ratings) and
removes the free text (notes, reaction notes, addenda) and the photos, which show the patient's face."""

from pathlib import PurePosixPath

from django.db import transaction

from patients.models import Patient
from patients.rights import DataHolder, ExportFile, blank_free_text, register, rows
from treatments.models import (
    ConcernRating,
    Plan,
    PlanItem,
    Reaction,
    SessionAddendum,
    SessionItem,
    SessionPhoto,
    SessionRecord,
)
from treatments.photos import photo_open, photo_storage


def _export(patient: Patient) -> dict[str, list[dict]]:
    return {
        "Point plans": rows(Plan.objects.filter(patient=patient).order_by("created_at", "id")),
        "Point plan items": rows(PlanItem.objects.filter(plan__patient=patient).order_by("plan_id", "id")),
        "Session records": rows(SessionRecord.objects.filter(patient=patient)),
        "Session record items": rows(SessionItem.objects.filter(record__patient=patient).order_by("record_id", "id")),
        "Session record addenda": rows(SessionAddendum.objects.filter(record__patient=patient).order_by("record_id", "id")),
        "Reactions and adverse events": rows(Reaction.objects.filter(record__patient=patient).order_by("record_id", "id")),
        "Concern ratings": rows(
            ConcernRating.objects.filter(record__patient=patient).select_related("concern").order_by("record_id", "id"),
            concern_name=lambda rating: rating.concern.name,
        ),
        "Photos": rows(SessionPhoto.objects.filter(patient=patient)),
    }


def _photo_file(photo: SessionPhoto) -> ExportFile:
    name = f"photos/{photo.pk}-{photo.view}{PurePosixPath(photo.file_name).suffix}"
    return ExportFile(name=name, open=lambda: photo_open(photo))


def _files(patient: Patient) -> list[ExportFile]:
    return [_photo_file(photo) for photo in SessionPhoto.objects.filter(patient=patient)]


def _anonymise(patient: Patient) -> None:
    blank_free_text(Plan.objects.filter(patient=patient), "notes")
    blank_free_text(SessionRecord.objects.filter(patient=patient), "notes")
    blank_free_text(Reaction.objects.filter(record__patient=patient), "note")
    blank_free_text(SessionAddendum.objects.filter(record__patient=patient), "text")
    photos = SessionPhoto.objects.filter(patient=patient)
    names = list(photos.values_list("file_name", flat=True))
    photos.delete()
    # The files go once the rows are gone for good (a rolled-back anonymisation keeps them).
    transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    storage = photo_storage()
    for name in names:
        storage.delete(name)


register(DataHolder(app="treatments", export=_export, anonymise=_anonymise, files=_files))
