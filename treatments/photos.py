"""Session photos: uploaded only with the patient's photo consent, checked with Pillow, stored
under ``settings.PRIVATE_MEDIA_ROOT`` (outside static files, never served by URL) and read back
only through ``photo_open`` by a permission-checked view."""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import Max
from PIL import Image, ImageOps, UnidentifiedImageError

from patients.intake import has_consent
from patients.models import Consent, Patient
from staff.audit import audit_record
from treatments.models import PhotoView, SessionPhoto, SessionRecord

MAX_BYTES = 10 * 1024 * 1024
# Format Pillow detects → file extension. The extension and content type come from what the
# file really is, never from the name or type the browser sent.
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# A small file can decode to a huge image (a "decompression bomb"); 50 megapixels is far beyond
# any clinic camera.
MAX_PIXELS = 50_000_000


def photo_storage() -> FileSystemStorage:
    # Built on each call so that tests (override_settings) can point it at a temporary folder.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)


@dataclass(frozen=True)
class CheckedImage:
    image_format: str
    width: int
    height: int


def check_image(upload) -> CheckedImage:
    """Refuses anything but a real, complete JPEG, PNG or WebP image within the size limits."""
    if upload.size > MAX_BYTES:
        raise ValidationError(f"The photo is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    refused = ValidationError("This file is not a JPEG, PNG or WebP image (or it is damaged).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as image:
                image_format, (width, height) = image.format, image.size
                if image_format not in ALLOWED_FORMATS:
                    raise refused
                if width * height > MAX_PIXELS:
                    raise ValidationError("The photo has too many pixels.")
                # Decode every pixel: a truncated or corrupt file fails here, not when viewed.
                image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, SyntaxError, ValueError):
        raise refused from None
    finally:
        upload.seek(0)
    return CheckedImage(image_format, width, height)


def without_metadata(upload, image_format: str) -> tuple[ContentFile, int, int]:
    """The image re-encoded from its pixels alone, so camera metadata (EXIF: GPS position, device,
    time) never reaches storage; the camera's orientation is applied first. Returns the file and
    its width and height."""
    upload.seek(0)
    with Image.open(upload) as original:
        image = ImageOps.exif_transpose(original)
        buffer = io.BytesIO()
        image.save(buffer, format=image_format, **({"quality": 92} if image_format in {"JPEG", "WEBP"} else {}))
        width, height = image.size
    return ContentFile(buffer.getvalue()), width, height


def photo_upload(*, by, record: SessionRecord, view: str, upload) -> SessionPhoto:
    """Stores a photo of the session. A photo of a view that has one already becomes its next
    version: earlier versions, rows and files, stay (a clinical photo is never overwritten)."""
    if view not in PhotoView.values:
        raise ValidationError("Choose front, left or right.")
    if not has_consent(record.patient, Consent.Kind.PHOTOS):
        raise ValidationError("The patient has not consented to photographs: no photo can be stored.")
    checked = check_image(upload)
    content, width, height = without_metadata(upload, checked.image_format)
    storage = photo_storage()
    # A new name for every upload (the storage never overwrites a file either).
    name = storage.save(f"photos/{record.patient_id}/{uuid.uuid4().hex}.{ALLOWED_FORMATS[checked.image_format]}", content)
    try:
        with transaction.atomic():
            # Two uploads of the same view at once take the next versions one after the other.
            SessionRecord.objects.select_for_update().filter(pk=record.pk).values_list("pk").get()
            latest = SessionPhoto.objects.filter(record=record, view=view).aggregate(version=Max("version"))["version"]
            photo = SessionPhoto.objects.create(
                record=record, patient_id=record.patient_id, view=view, version=(latest or 0) + 1, file_name=name,
                image_format=checked.image_format, width=width, height=height,
                size_bytes=content.size, uploaded_by=by,
            )
            audit_record(
                user=by, action="create", obj=photo, patient_id=record.patient_id,
                summary=f"{view} photo, version {photo.version}",
            )
    except Exception:
        storage.delete(name)  # no row refers to it
        raise
    return photo


@dataclass(frozen=True)
class ViewPhotos:
    """One view's photos at a session: the latest version, shown, and the earlier ones."""

    label: str
    latest: SessionPhoto
    earlier: list[SessionPhoto]


def versions_by_view(photos: list[SessionPhoto]) -> list[ViewPhotos]:
    """A session's photos (in upload order) grouped by view, front, left, right."""
    grouped = []
    for value, label in PhotoView.choices:
        mine = sorted((p for p in photos if p.view == value), key=lambda p: p.version)
        if mine:
            grouped.append(ViewPhotos(label, mine[-1], mine[-2::-1]))
    return grouped


def may_show_photos(patient: Patient) -> bool:
    """Photos are shown only while the patient's photo consent is in force."""
    return has_consent(patient, Consent.Kind.PHOTOS)


def photo_open(photo: SessionPhoto):
    return photo_storage().open(photo.file_name, "rb")


def first_and_latest(patient: Patient) -> list[tuple[str, SessionPhoto | None, SessionPhoto | None]]:
    """(view name, first photo, latest photo) for front, left and right (one query): the photo of
    the earliest and of the latest session with one, each session's latest version."""
    photos = list(
        SessionPhoto.objects.filter(patient=patient).select_related("record__visit").order_by("record__visit__starts_at", "version", "id")
    )
    rows = []
    for value, label in PhotoView.choices:
        # The latest version of each session's photo, sessions in visit order.
        by_record = {p.record_id: p for p in photos if p.view == value}
        mine = list(by_record.values())
        first = mine[0] if mine else None
        latest = mine[-1] if len(mine) > 1 else None
        rows.append((label, first, latest))
    return rows
