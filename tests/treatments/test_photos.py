"""Photos: only with consent, checked with Pillow, stored outside static files, streamed only to
permitted staff."""

import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from patients.intake import consent_record
from patients.models import Consent
from staff.models import AuditEvent
from tests.scheduling.factories import at
from tests.treatments.factories import record_session
from treatments import photos
from treatments.models import SessionPhoto

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    return settings.PRIVATE_MEDIA_ROOT


def image_file(fmt: str = "JPEG", size=(64, 48), name: str = "face.jpg", colour="peachpuff") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def record(series, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:30"))
    return record_session(series.visits.get(sequence=1), by=acupuncturist)


def test_a_photo_is_stored_under_the_private_root_and_streamed_to_the_acupuncturist(acupuncturist_client, record, private_media):
    response = acupuncturist_client.post(
        reverse("treatments:photo_new", args=[record.pk]), {"view": "front", "image": image_file()}
    )
    assert response.status_code == 302
    photo = SessionPhoto.objects.get(record=record)
    path = private_media / photo.file_name
    assert path.is_file() and photo.image_format == "JPEG" and (photo.width, photo.height) == (64, 48)
    # Outside anything served as static files, and named by the app, not by the uploader.
    assert not str(path).startswith(str(Path(django_settings.STATIC_ROOT))) and "face" not in photo.file_name
    response = acupuncturist_client.get(reverse("treatments:photo_file", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == path.read_bytes()
    assert AuditEvent.objects.filter(object_type="treatments.sessionphoto", action="view").exists()


def test_camera_metadata_is_not_stored_and_orientation_is_kept(acupuncturist, record, private_media):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned, so the picture is shown rotated 90°
    exif[0x010F] = "PhoneMaker"  # camera make, one of the tags that identify a device
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "peachpuff").save(buffer, "JPEG", exif=exif)
    upload = SimpleUploadedFile("face.jpg", buffer.getvalue(), content_type="image/jpeg")

    photo = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=upload)

    stored = (private_media / photo.file_name).read_bytes()
    assert b"PhoneMaker" in buffer.getvalue() and b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif() and image.size == (48, 64)
    assert (photo.width, photo.height) == (48, 64) and photo.size_bytes == len(stored)


def test_photos_have_no_url_of_their_own(acupuncturist_client, record, private_media):
    photo = photos.photo_upload(by=record.recorded_by, record=record, view="front", upload=image_file())
    for prefix in ("/static/", "/media/", "/"):
        assert acupuncturist_client.get(prefix + photo.file_name).status_code == 404


def test_without_photo_consent_nothing_is_stored_or_shown(acupuncturist_client, acupuncturist, record, patient, private_media):
    consent_record(by=acupuncturist, patient=patient, kind=Consent.Kind.PHOTOS, given=False)
    with pytest.raises(ValidationError, match="not consented to photographs"):
        photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file())
    response = acupuncturist_client.post(
        reverse("treatments:photo_new", args=[record.pk]), {"view": "front", "image": image_file()}
    )
    assert response.status_code == 400
    assert not SessionPhoto.objects.exists() and not private_media.exists()
    page = acupuncturist_client.get(reverse("treatments:session_detail", args=[record.pk])).content.decode()
    assert "has not consented to photographs" in page and 'type="file"' not in page


def test_a_withdrawn_consent_hides_photos_taken_before(acupuncturist_client, acupuncturist, record, patient):
    photo = photos.photo_upload(by=acupuncturist, record=record, view="left", upload=image_file())
    consent_record(by=acupuncturist, patient=patient, kind=Consent.Kind.PHOTOS, given=False)
    assert acupuncturist_client.get(reverse("treatments:photo_file", args=[photo.pk])).status_code == 404
    page = acupuncturist_client.get(reverse("treatments:photo_compare", args=[patient.pk])).content.decode()
    assert "consent is not in force" in page and reverse("treatments:photo_file", args=[photo.pk]) not in page


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("face.jpg", b"this is not a picture", content_type="image/jpeg"), "not a JPEG, PNG or WebP"),
        (image_file("GIF", name="face.gif"), "not a JPEG, PNG or WebP"),
        (SimpleUploadedFile("face.jpg", image_file().read()[:300], content_type="image/jpeg"), "damaged"),
        (SimpleUploadedFile("page.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"), "not a JPEG"),
    ],
    ids=["text", "gif", "truncated", "html"],
)
def test_uploads_that_are_not_a_whole_allowed_image_are_refused(acupuncturist, record, private_media, upload, message):
    with pytest.raises(ValidationError, match=message):
        photos.photo_upload(by=acupuncturist, record=record, view="front", upload=upload)
    assert not SessionPhoto.objects.exists() and not private_media.exists()


def test_an_upload_over_the_size_limit_is_refused(acupuncturist, record, monkeypatch):
    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    big = image_file("PNG", size=(200, 200), name="big.png")
    big.size = 1001
    with pytest.raises(ValidationError, match="larger than"):
        photos.photo_upload(by=acupuncturist, record=record, view="front", upload=big)
    assert photos.MAX_BYTES == 1000 and not SessionPhoto.objects.exists()


def test_the_real_size_limit_is_10_mb(acupuncturist, record):
    upload = SimpleUploadedFile("huge.jpg", b"\xff" * (10 * 1024 * 1024 + 1), content_type="image/jpeg")
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        photos.photo_upload(by=acupuncturist, record=record, view="front", upload=upload)


def test_re_uploading_a_view_adds_a_version_and_keeps_the_earlier_photo_and_file(
    acupuncturist, record, private_media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file())
        new = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file("PNG", name="x.png"))
    assert list(SessionPhoto.objects.values_list("pk", "version")) == [(old.pk, 1), (new.pk, 2)]
    assert (private_media / old.file_name).is_file() and (private_media / new.file_name).is_file()
    assert old.file_name != new.file_name
    assert AuditEvent.objects.filter(
        action="create", object_type="treatments.sessionphoto", object_id=str(new.pk), summary="front photo, version 2"
    ).exists()


def test_the_session_page_shows_the_latest_version_and_links_the_earlier_ones(acupuncturist_client, acupuncturist, record):
    first = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file())
    second = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file(colour="pink"))
    left = photos.photo_upload(by=acupuncturist, record=record, view="left", upload=image_file())
    page = acupuncturist_client.get(reverse("treatments:session_detail", args=[record.pk])).content.decode()
    shown = page[page.index('id="record-photos"'):]
    latest_img = f'<img src="{reverse("treatments:photo_file", args=[second.pk])}"'
    assert latest_img in shown and f'<img src="{reverse("treatments:photo_file", args=[left.pk])}"' in shown
    assert f'<img src="{reverse("treatments:photo_file", args=[first.pk])}"' not in shown
    assert "Earlier versions (1)" in shown and f'href="{reverse("treatments:photo_file", args=[first.pk])}"' in shown
    # The earlier version still opens.
    assert acupuncturist_client.get(reverse("treatments:photo_file", args=[first.pk])).status_code == 200


def test_front_desk_cannot_see_or_upload_photos(front_desk_client, acupuncturist, record, patient):
    photo = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file())
    assert front_desk_client.get(reverse("treatments:photo_file", args=[photo.pk])).status_code == 403
    assert front_desk_client.get(reverse("treatments:photo_compare", args=[patient.pk])).status_code == 403
    response = front_desk_client.post(reverse("treatments:photo_new", args=[record.pk]), {"view": "left", "image": image_file()})
    assert response.status_code == 403 and SessionPhoto.objects.count() == 1


def test_anonymous_visitors_get_no_photo(client, acupuncturist, record):
    photo = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file())
    response = client.get(reverse("treatments:photo_file", args=[photo.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_side_by_side_takes_the_latest_version_of_each_sessions_photo(
    acupuncturist_client, acupuncturist, series, record, patient, traveller
):
    photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file())
    retaken = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file(colour="pink"))
    assert photos.first_and_latest(patient)[0] == ("Front", retaken, None)
    traveller.move_to(at("2026-03-09", "10:30"))
    later = record_session(series.visits.get(sequence=2), by=acupuncturist)
    latest = photos.photo_upload(by=acupuncturist, record=later, view="front", upload=image_file())
    assert photos.first_and_latest(patient)[0] == ("Front", retaken, latest)


def test_side_by_side_shows_the_first_and_the_latest_photo_of_each_view(
    acupuncturist_client, acupuncturist, series, record, patient, traveller
):
    first = photos.photo_upload(by=acupuncturist, record=record, view="front", upload=image_file())
    visits = list(series.visits.order_by("sequence"))
    latest = None
    for week in (1, 2):
        traveller.move_to(at(f"2026-03-{2 + 7 * week:02d}", "10:30"))
        later = record_session(visits[week], by=acupuncturist)
        latest = photos.photo_upload(by=acupuncturist, record=later, view="front", upload=image_file(colour="pink"))
    rows = photos.first_and_latest(patient)
    assert rows[0] == ("Front", first, latest) and rows[1] == ("Left side", None, None)
    page = acupuncturist_client.get(reverse("treatments:photo_compare", args=[patient.pk])).content.decode()
    assert (
        reverse("treatments:photo_file", args=[first.pk]) in page and reverse("treatments:photo_file", args=[latest.pk]) in page
    )
    assert "First · 02 Mar 2026" in page and "Latest · 16 Mar 2026" in page


@pytest.mark.parametrize("uploads", [1, 4])
def test_photo_comparison_makes_a_fixed_number_of_queries(
    acupuncturist_client, acupuncturist, record, patient, django_assert_num_queries, uploads
):
    for view in ["front", "left", "right", "front"][:uploads]:
        photos.photo_upload(by=acupuncturist, record=record, view=view, upload=image_file())
    # session, user, roles and permissions, patient, consent, audit, photos
    with django_assert_num_queries(7):
        assert acupuncturist_client.get(reverse("treatments:photo_compare", args=[patient.pk])).status_code == 200
