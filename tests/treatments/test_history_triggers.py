"""Clinical history is write-once in the database (``staff.write_once``, the tables listed in
``patients.triggers`` and ``treatments.triggers``), on PostgreSQL and SQLite: raw SQL can change no
column of a screening, consent, plan, session record, their items, reactions, ratings, addenda or
photos, nor delete one; anonymisation may only blank free text, and on PostgreSQL delete the photos
of an anonymised patient. A plan or session record must name the patient's latest screening when
it is inserted."""

import datetime as dt
import io
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, NotSupportedError, connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image

from patients import triggers as patient_triggers
from patients.models import Consent, Patient, Screening
from staff import write_once
from tests.factories import ScreeningFactory, acupuncturist_user, intake_patient
from tests.scheduling.factories import at
from tests.treatments.factories import record_session
from treatments import photos
from treatments import triggers as treatment_triggers
from treatments.addenda import addendum_add
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
from treatments.sessions import ReactionEntry

pytestmark = pytest.mark.django_db

HISTORY_TABLES = patient_triggers.HISTORY_TABLES + treatment_triggers.HISTORY_TABLES
MODELS = {model._meta.db_table: model for model in (
    Screening, Consent, Plan, PlanItem, SessionRecord, SessionItem, Reaction, ConcernRating, SessionAddendum,
    SessionPhoto,
)}


def delete_guarded(table) -> bool:
    """SQLite has no DELETE guard for a table deletable under a condition (``deletable_when``)."""
    return connection.vendor == "postgresql" or not table.deletable_when


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "peachpuff").save(buffer, "JPEG")
    return SimpleUploadedFile("face.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def history(patient, series, acupuncturist, traveller, settings, tmp_path):
    """One row in every history table: the intake's screening and consents, the plan and its items,
    a session record with items, a reaction and ratings, an addendum and a photo."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    traveller.move_to(at("2026-03-02", "10:30"))
    record = record_session(
        series.visits.get(sequence=1), by=acupuncturist, notes="Slept well",
        reactions=[ReactionEntry("headache", "mild", "After the session")],
    )
    addendum_add(by=acupuncturist, record=record, text="Later: the headache passed by the evening")
    photos.photo_upload(by=acupuncturist, record=record, view="front", upload=jpeg())
    return patient


def test_every_history_table_is_a_model_whose_redactable_columns_are_free_text():
    assert sorted(table.table for table in HISTORY_TABLES) == sorted(MODELS)
    for table in HISTORY_TABLES:
        fields = {field.column: field for field in MODELS[table.table]._meta.concrete_fields}
        for column in table.redactable:
            assert isinstance(fields[column], models.CharField | models.TextField), (table.table, column)


def raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def changed(field, value):
    """A different value of the field's type (any value: the trigger fires before constraints)."""
    if field.primary_key or field.is_relation:
        return 10**9
    if value is None:
        value = {"DateField": dt.date(2000, 1, 1), "DateTimeField": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}.get(
            field.get_internal_type(), 0
        )
    elif isinstance(value, bool):
        return not value
    if isinstance(value, dt.datetime | dt.date):
        return value + dt.timedelta(days=1)
    if isinstance(value, int):
        return value + 1
    if isinstance(value, list):
        return [*value, "changed"]
    # Same length (PostgreSQL checks a varchar's length before the trigger runs).
    return value[:-1] + ("y" if value.endswith("x") else "x") if value else "x"


@pytest.mark.parametrize("table", HISTORY_TABLES, ids=lambda table: table.table)
def test_no_column_of_a_history_row_can_be_changed_by_raw_sql(history, table):
    model = MODELS[table.table]
    row = model.objects.filter(pk__in=model.objects.values("pk")).first()
    for field in model._meta.concrete_fields:
        if field.column in table.redactable:
            continue
        value = field.get_db_prep_save(changed(field, getattr(row, field.attname)), connection)
        with pytest.raises(IntegrityError, match="clinical history"):
            raw(f"UPDATE {table.table} SET {field.column} = %s WHERE id = %s", [value, row.pk])
    if delete_guarded(table):
        with pytest.raises(IntegrityError, match="clinical history"):
            raw(f"DELETE FROM {table.table} WHERE id = %s", [row.pk])
    assert model.objects.filter(pk=row.pk).exists()


def test_a_photo_is_deleted_only_once_its_patient_is_anonymised(needs_postgres, history):
    """``patients.rights.patient_anonymise`` marks the patient, then removes the photos."""
    photo = SessionPhoto.objects.get()
    with pytest.raises(IntegrityError, match="deleted only when their patient is anonymised"):
        raw("DELETE FROM treatments_sessionphoto WHERE id = %s", [photo.pk])
    Patient.objects.filter(pk=history.pk).update(anonymised_at=timezone.now())
    with pytest.raises(IntegrityError, match="never changed"):
        raw("UPDATE treatments_sessionphoto SET version = 2 WHERE id = %s", [photo.pk])
    raw("DELETE FROM treatments_sessionphoto WHERE id = %s", [photo.pk])
    assert not SessionPhoto.objects.exists()


@pytest.mark.parametrize("table", [t for t in HISTORY_TABLES if t.redactable], ids=lambda table: table.table)
def test_free_text_can_only_be_blanked(history, table):
    model = MODELS[table.table]
    row = model.objects.first()
    clinical = [f for f in model._meta.concrete_fields if not f.primary_key and f.column not in table.redactable]
    for column in table.redactable:
        with pytest.raises(IntegrityError, match="clinical history"):
            raw(f"UPDATE {table.table} SET {column} = 'Something else' WHERE id = %s", [row.pk])
        # Blanking a note together with any clinical column is refused too.
        for field in clinical:
            value = field.get_db_prep_save(changed(field, getattr(row, field.attname)), connection)
            with pytest.raises(IntegrityError, match="clinical history"):
                raw(f"UPDATE {table.table} SET {column} = '', {field.column} = %s WHERE id = %s", [value, row.pk])
        raw(f"UPDATE {table.table} SET {column} = %s WHERE id = %s", [write_once.REMOVED, row.pk])
        raw(f"UPDATE {table.table} SET {column} = '' WHERE id = %s", [row.pk])


def test_the_flip_insert_flip_attack_is_refused(history):
    """Turning a pregnancy off to save a plan with LI4, then back on: the first step is refused."""
    pregnant = ScreeningFactory(patient=history, pregnant_or_trying=True)
    with pytest.raises(IntegrityError, match="clinical history"):
        raw("UPDATE patients_screening SET pregnant_or_trying = %s WHERE id = %s", [False, pregnant.pk])
    assert Screening.objects.get(pk=pregnant.pk).pregnant_or_trying


INSERT_PLAN = (
    "INSERT INTO treatments_plan (patient_id, screening_id, created_at, created_by_id, retention_minutes, "
    "total_needles, needles_min, needles_max, retention_min, retention_max, fewer_needles, acknowledged, "
    "cautions, notes) VALUES (%s, %s, %s, %s, 25, 40, 40, 70, 20, 30, %s, '[]', '[]', '')"
)


def test_a_plan_naming_an_older_screening_is_refused_by_raw_sql():
    patient = intake_patient(concerns={"fine-lines": 7})
    older = patient.screenings.get()
    ScreeningFactory(patient=patient, pregnant_or_trying=True)
    with pytest.raises(IntegrityError, match="not their latest"):
        raw(INSERT_PLAN, [patient.pk, older.pk, dt.datetime.now(dt.UTC), acupuncturist_user().pk, False])
    assert not Plan.objects.exists()


def test_a_plan_naming_the_latest_screening_is_accepted_by_raw_sql():
    patient = intake_patient(concerns={"fine-lines": 7})
    raw(INSERT_PLAN, [patient.pk, patient.screenings.get().pk, dt.datetime.now(dt.UTC), acupuncturist_user().pk, False])
    assert Plan.objects.filter(patient=patient).exists()


def test_a_session_record_naming_an_older_screening_is_refused_by_raw_sql(history):
    record = SessionRecord.objects.get()
    columns = [f.column for f in SessionRecord._meta.concrete_fields if not f.primary_key and f.column != "visit_id"]
    copy = (
        f"INSERT INTO treatments_sessionrecord (visit_id, {', '.join(columns)}) "
        f"SELECT %s, {', '.join(columns)} FROM treatments_sessionrecord WHERE id = %s"
    )
    visits = record.visit.series.visits
    raw(copy, [visits.get(sequence=2).pk, record.pk])  # the same screening, still the latest: accepted
    ScreeningFactory(patient=history)
    with pytest.raises(IntegrityError, match="not their latest"):
        raw(copy, [visits.get(sequence=3).pk, record.pk])


def test_the_orm_cannot_delete_or_rewrite_saved_history(history):
    with pytest.raises(NotSupportedError):
        PlanItem.objects.filter(plan__patient=history).delete()
    with pytest.raises(NotSupportedError):
        SessionRecord.objects.all().delete()
    item = PlanItem.objects.filter(plan__patient=history).first()
    needles = item.needles
    item.needles += 5
    with pytest.raises(ValidationError, match="never changed"):
        item.save()
    item._state.adding = True
    with pytest.raises(ValidationError, match="never changed"):
        item.save()
    assert PlanItem.objects.get(pk=item.pk).needles == needles
    # Through the plain queryset (no model checks), the database refuses.
    unplanned = intake_patient()
    for queryset in (
        QuerySet(PlanItem), QuerySet(ConcernRating), QuerySet(Reaction),
        Screening.objects.filter(patient=unplanned), Consent.objects.filter(patient=unplanned),
    ):
        with pytest.raises(IntegrityError, match="clinical history"), transaction.atomic():
            queryset.delete()


def test_a_screening_saved_again_as_new_does_not_overwrite_the_old_one(history):
    screening = history.screenings.get()
    screening.pregnant_or_trying = True
    with pytest.raises(IntegrityError, match="clinical history"), transaction.atomic():
        screening.save()
    screening._state.adding = True
    with pytest.raises(IntegrityError, match="clinical history"), transaction.atomic():
        screening.save()
    assert not Screening.objects.get(pk=screening.pk).pregnant_or_trying


def trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


def test_every_history_table_has_its_triggers_after_the_migrations():
    """The SQLite trap: rebuilding a table (most schema changes) drops its triggers silently."""
    names = trigger_names()
    for table in HISTORY_TABLES:
        prefix = f"{table.table}_write_once"
        if connection.vendor == "postgresql":
            expected = {prefix}
        else:
            expected = {f"{prefix}_update", f"{prefix}_delete"} if delete_guarded(table) else {f"{prefix}_update"}
        assert {name for name in names if name.startswith(prefix)} == expected
    # Those of the generator folded into staff.write_once (treatments 0018, replaced by 0019).
    assert not {name for name in names if "_kept" in name}


def test_no_sqlite_write_once_trigger_names_another_table():
    """SQLite refuses to rebuild a table that any trigger names (renaming the rebuilt copy fails), so
    each names only its own: hence no DELETE guard where the condition names another table."""
    tables = {model._meta.db_table for model in apps.get_models()}
    for table in HISTORY_TABLES:
        columns = [field.column for field in MODELS[table.table]._meta.concrete_fields]
        sql = " ".join(write_once._sqlite_install(table, columns))
        assert {other for other in tables - {table.table} if re.search(rf"\b{other}\b", sql)} == set()
