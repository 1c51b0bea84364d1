"""Patients' data rights (``patients.rights``): the clinic admin exports everything held about a
patient (a ZIP: data.json, summary.html, photos) and anonymises a record (name, contact, free text
and photos gone; clinical history kept), each confirmed by typing and audited."""

import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from patients import rights
from patients.models import Patient, Screening
from scheduling.models import PatientRequest, Reminder, Visit
from scheduling.visit_status import visit_cancel
from staff.models import AuditEvent
from tests.factories import intake_patient
from tests.scheduling.factories import at
from tests.treatments import conftest as treatments_fixtures
from tests.treatments.factories import record_session
from treatments import photos
from treatments.models import Plan, Reaction, SessionPhoto, SessionRecord

pytestmark = pytest.mark.django_db

# The treatments tests' clinic, plan and weekly series.
clinic, plan, series, traveller = (
    treatments_fixtures.clinic, treatments_fixtures.plan, treatments_fixtures.series, treatments_fixtures.traveller,
)


@pytest.fixture
def patient(traveller):
    """As the treatments tests' patient, with free text in the screening (written once, at intake)."""
    return intake_patient(
        concerns={"fine-lines": 7, "puffiness": 5}, notes="Sister Jane Doe drives her", allergies="nickel"
    )


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    return settings.PRIVATE_MEDIA_ROOT


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "peachpuff").save(buffer, "JPEG")
    return SimpleUploadedFile("face.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def full_record(patient, series, acupuncturist, traveller):
    """A patient with something in every section: screening notes, visits (one cancelled with a
    reason), a reminder, a request, a plan, a session record with notes and a reaction, a photo."""
    Patient.objects.filter(pk=patient.pk).update(address="1 Elm Row", goals="Look rested")
    visit_cancel(visit=series.visits.get(sequence=6), reason="Holiday in Rome with John", by=acupuncturist)
    PatientRequest.objects.create(kind="new_time", patient=patient, visit=series.visits.get(sequence=5), note="Call 07700 900123")
    traveller.move_to(at("2026-03-02", "10:30"))
    record = record_session(series.visits.get(sequence=1), by=acupuncturist, notes="Talked about her divorce")
    photos.photo_upload(by=acupuncturist, record=record, view="front", upload=jpeg())
    patient.refresh_from_db()
    return patient


def export_zip(client, patient, confirmation=None) -> zipfile.ZipFile:
    response = client.post(
        reverse("patients:export", args=[patient.pk]), {"confirmation": confirmation or f"patient {patient.pk}"}
    )
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}-export-2026-03-02.zip"'
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_export_holds_every_section_as_json_a_printable_summary_and_the_photos(admin_client_, full_record):
    archive = export_zip(admin_client_, full_record)
    data = json.loads(archive.read("data.json"))
    sections = data["sections"]
    assert data["patient_id"] == full_record.pk
    assert sections["Demographics"][0]["last_name"] == full_record.last_name
    assert sections["Demographics"][0]["address"] == "1 Elm Row"
    assert len(sections["Screenings"]) == 1 and sections["Screenings"][0]["notes"] == "Sister Jane Doe drives her"
    assert {row["concern_name"] for row in sections["Concerns"]} == {"Fine lines", "Puffiness"}
    assert len(sections["Consents"]) == 2
    assert len(sections["Visits"]) == 6 and sections["Visits"][0]["practitioner_name"] == "Lin Zhao"
    assert len(sections["Treatment series"]) == 1
    assert sections["Requests sent through reminder links"][0]["note"] == "Call 07700 900123"
    assert sections["Reminder e-mails"] == [row for row in sections["Reminder e-mails"] if row["patient"] == full_record.pk]
    assert len(sections["Point plans"]) == 1 and sections["Point plan items"]
    assert sections["Session records"][0]["notes"] == "Talked about her divorce"
    assert sections["Concern ratings"] and sections["Photos"][0]["view"] == "front"
    photo = SessionPhoto.objects.get()
    assert archive.read(f"treatments/photos/{photo.pk}-front.jpg")[:2] == b"\xff\xd8"
    summary = archive.read("summary.html").decode()
    assert full_record.full_name in summary and "Talked about her divorce" in summary and "Lin Zhao" in summary


def test_the_export_is_audited(admin_client_, clinic_admin, full_record):
    export_zip(admin_client_, full_record)
    assert AuditEvent.objects.filter(
        user=clinic_admin, action="view", patient_id=full_record.pk, summary="export of all data"
    ).exists()


def test_the_export_holds_only_this_patients_records(admin_client_, full_record):
    other = intake_patient(concerns={"fine-lines": 3})
    data = json.loads(export_zip(admin_client_, full_record).read("data.json"))
    for title, section in data["sections"].items():
        for row in section:
            assert row.get("patient", full_record.pk) == full_record.pk, title
            assert not (row["type"] == "patients.patient" and row["id"] == other.pk)


def test_a_wrong_confirmation_exports_nothing(admin_client_, full_record):
    response = admin_client_.post(reverse("patients:export", args=[full_record.pk]), {"confirmation": "yes"})
    assert response.status_code == 400
    assert f"patient {full_record.pk}" in response.content.decode()
    assert not AuditEvent.objects.filter(summary="export of all data").exists()


@pytest.mark.parametrize("name", ["patients:export", "patients:anonymise"])
@pytest.mark.parametrize("who", ["front_desk_client", "acupuncturist_client"])
def test_only_the_clinic_admin_may_export_or_anonymise(request, name, who, patient):
    client = request.getfixturevalue(who)
    url = reverse(name, args=[patient.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirmation": f"patient {patient.pk}"}).status_code == 403
    assert Patient.objects.get(pk=patient.pk).anonymised_at is None


def test_anonymisation_removes_name_contact_free_text_and_photos_and_keeps_the_history(
    admin_client_, clinic_admin, full_record, private_media, django_capture_on_commit_callbacks
):
    patient = full_record
    photo_path = private_media / SessionPhoto.objects.get().file_name
    assert photo_path.is_file()
    with_visits = Visit.objects.filter(patient=patient).count()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            reverse("patients:anonymise", args=[patient.pk]), {"confirmation": f"  Patient {patient.pk} "}
        )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name) == ("Anonymised", f"patient {patient.pk}")
    assert (patient.email, patient.phone, patient.address, patient.goals) == ("", "", "", "")
    assert (patient.date_of_birth.month, patient.date_of_birth.day) == (1, 1)
    assert patient.anonymised_at and not patient.reminder_consent
    screening = Screening.objects.get(patient=patient)
    assert (screening.notes, screening.allergies) == ("[removed]", "[removed]")
    assert Visit.objects.filter(patient=patient).count() == with_visits
    assert Visit.objects.get(patient=patient, sequence=6).cancel_reason == "[removed]"
    assert PatientRequest.objects.get(patient=patient).note == "[removed]"
    assert not Reminder.objects.filter(patient=patient, state__in=Reminder.WAITING).exists()
    record = SessionRecord.objects.get(patient=patient)
    assert record.notes == "[removed]" and record.items.exists() and record.ratings.exists()
    assert Plan.objects.filter(patient=patient).exists()
    assert not SessionPhoto.objects.exists() and not photo_path.exists()
    assert AuditEvent.objects.filter(user=clinic_admin, action="change", patient_id=patient.pk, summary="anonymised").exists()
    # And nothing of it in a later export.
    exported = export_zip(admin_client_, patient).read("data.json").decode()
    for secret in ("Jane Doe", "Rome", "07700", "divorce", "Elm Row", "Look rested", "@mail.example"):
        assert secret not in exported


def test_a_reaction_note_is_removed_but_the_reaction_kept(full_record, clinic_admin):
    record = SessionRecord.objects.get()
    Reaction.objects.create(record=record, kind="other", severity="mild", note="Mentioned her son Tom")
    rights.patient_anonymise(patient=full_record, by=clinic_admin, confirmation=f"patient {full_record.pk}")
    reaction = Reaction.objects.get()
    assert (reaction.kind, reaction.note) == ("other", "[removed]")


def test_a_wrong_confirmation_anonymises_nothing(admin_client_, full_record):
    response = admin_client_.post(reverse("patients:anonymise", args=[full_record.pk]), {"confirmation": "patient 0"})
    assert response.status_code == 400
    full_record.refresh_from_db()
    assert full_record.anonymised_at is None and full_record.address == "1 Elm Row"


def test_a_record_is_anonymised_once(full_record, clinic_admin):
    rights.patient_anonymise(patient=full_record, by=clinic_admin, confirmation=f"patient {full_record.pk}")
    with pytest.raises(ValidationError, match="already anonymised"):
        rights.patient_anonymise(patient=full_record, by=clinic_admin, confirmation=f"patient {full_record.pk}")


def test_a_failed_anonymisation_changes_nothing_and_keeps_the_photos(
    full_record, clinic_admin, private_media, monkeypatch, django_capture_on_commit_callbacks
):
    photo_path = private_media / SessionPhoto.objects.get().file_name

    def broken(patient):
        raise RuntimeError("disk full")

    # An app after treatments fails: treatments' photo deletion must be rolled back with the rest.
    monkeypatch.setitem(rights._holders, "zz-broken", rights.DataHolder(app="zz-broken", export=dict, anonymise=broken))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        rights.patient_anonymise(patient=full_record, by=clinic_admin, confirmation=f"patient {full_record.pk}")
    full_record.refresh_from_db()
    assert full_record.anonymised_at is None and full_record.first_name != "Anonymised"
    assert SessionPhoto.objects.exists() and photo_path.is_file()


def test_every_app_that_holds_patient_data_is_registered():
    assert [holder.app for holder in rights.holders()] == ["patients", "scheduling", "treatments"]


def test_the_clinic_admin_sees_the_data_rights_buttons(admin_client_, patient):
    page = admin_client_.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert reverse("patients:export", args=[patient.pk]) in page and reverse("patients:anonymise", args=[patient.pk]) in page
