"""Addenda: a session record is never changed, so a correction is a new row under it (text, author,
time), shown with the record, audited, and itself append-only down to raw SQL (the triggers, with
those of the other history tables: ``tests/treatments/test_history_triggers.py``)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import NotSupportedError
from django.urls import reverse

from patients import rights
from staff.models import AuditEvent
from tests.factories import acupuncturist_user
from tests.scheduling.factories import at
from tests.treatments.factories import record_session
from treatments.addenda import addendum_add
from treatments.models import SessionAddendum

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(series, acupuncturist, traveller):
    traveller.move_to(at("2026-03-02", "10:30"))
    return record_session(series.visits.get(sequence=1), by=acupuncturist, notes="Needled LI4 both sides")


def add_url(record) -> str:
    return reverse("treatments:addendum_new", args=[record.pk])


def test_an_addendum_is_added_under_the_record_with_author_and_time_and_audited(acupuncturist_client, acupuncturist, record):
    response = acupuncturist_client.post(add_url(record), {"text": "Correction: LI4 on the left side only."})
    assert response.status_code == 302 and response.url == reverse("treatments:session_detail", args=[record.pk])
    addendum = SessionAddendum.objects.get()
    assert (addendum.record, addendum.author, addendum.text) == (record, acupuncturist, "Correction: LI4 on the left side only.")
    record.refresh_from_db()
    assert record.notes == "Needled LI4 both sides"  # the record itself is unchanged
    assert AuditEvent.objects.filter(
        user=acupuncturist, action="create", object_type="treatments.sessionaddendum", object_id=str(addendum.pk),
        patient_id=record.patient_id,
    ).exists()
    page = acupuncturist_client.get(reverse("treatments:session_detail", args=[record.pk])).content.decode()
    addenda = page[page.index('id="record-addenda"'):]
    assert "Correction: LI4 on the left side only." in addenda and "02 Mar 2026 10:30" in addenda
    assert acupuncturist.get_full_name() in addenda


def test_a_later_acupuncturist_adds_an_addendum_in_their_own_name(client, record):
    colleague = acupuncturist_user(username="sara", first_name="Sara", last_name="Ito")
    client.force_login(colleague)
    assert client.post(add_url(record), {"text": "Bruise seen a day later."}).status_code == 302
    assert SessionAddendum.objects.get().author == colleague


@pytest.mark.parametrize(
    "text, message",
    [("", "This field is required"), ("   \n ", "Write the addendum"), ("x" * 2001, "Keep this to 2000 characters"),
     ("bad \x1b[2J", "control characters")],
    ids=["empty", "blank", "too-long", "control"],
)
def test_an_empty_overlong_or_garbled_addendum_is_refused_with_its_message(acupuncturist_client, record, text, message):
    response = acupuncturist_client.post(add_url(record), {"text": text})
    assert response.status_code == 400
    assert message in response.content.decode() and not SessionAddendum.objects.exists()


def test_the_addendum_is_shown_escaped(acupuncturist_client, acupuncturist, record):
    addendum_add(by=acupuncturist, record=record, text="<script>alert(1)</script>")
    page = acupuncturist_client.get(reverse("treatments:session_detail", args=[record.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_front_desk_can_neither_add_nor_see_addenda(front_desk_client, acupuncturist, record):
    addendum_add(by=acupuncturist, record=record, text="Private clinical note")
    assert front_desk_client.post(add_url(record), {"text": "desk"}).status_code == 403
    assert front_desk_client.get(reverse("treatments:session_detail", args=[record.pk])).status_code == 403
    patient_page = front_desk_client.get(reverse("patients:detail", args=[record.patient_id])).content.decode()
    assert "Private clinical note" not in patient_page
    assert SessionAddendum.objects.count() == 1


def test_the_clinic_admin_cannot_add_an_addendum(admin_client_, record):
    assert admin_client_.post(add_url(record), {"text": "admin"}).status_code == 403
    assert not SessionAddendum.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, record):
    response = client.post(add_url(record), {"text": "x"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not SessionAddendum.objects.exists()


def test_a_get_adds_nothing(acupuncturist_client, record):
    assert acupuncturist_client.get(add_url(record), {"text": "x"}).status_code == 405
    assert not SessionAddendum.objects.exists()


def test_the_orm_never_changes_or_deletes_an_addendum(acupuncturist, record):
    addendum = addendum_add(by=acupuncturist, record=record, text="First words")
    addendum.text = "Other words"
    with pytest.raises(ValidationError, match="never changed"):
        addendum.save()
    with pytest.raises(ValidationError, match="never changed"):
        addendum.delete()
    with pytest.raises(NotSupportedError):
        SessionAddendum.objects.filter(pk=addendum.pk).update(text="Other words")
    addendum._state.adding = True  # an insert over the saved row cannot pass either
    with pytest.raises(ValidationError, match="never changed"):
        addendum.save()
    assert SessionAddendum.objects.get().text == "First words"


def test_anonymisation_removes_the_addendum_text_and_keeps_the_row(acupuncturist, record, clinic_admin, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    addendum_add(by=acupuncturist, record=record, text="She mentioned her new job at the bank")
    rights.patient_anonymise(patient=record.patient, by=clinic_admin, confirmation=f"patient {record.patient_id}")
    addendum = SessionAddendum.objects.get()
    assert addendum.text == rights.REMOVED and addendum.author == acupuncturist
    assert "bank" not in str(rights.patient_data(record.patient))
    with pytest.raises(ValidationError, match="anonymised"):
        addendum_add(by=acupuncturist, record=record, text="Another thought")


def test_the_export_lists_the_addenda(acupuncturist, record):
    addendum = addendum_add(by=acupuncturist, record=record, text="Later observation")
    section = rights.patient_data(record.patient)["sections"]["Session record addenda"]
    assert [(row["id"], row["record"], row["text"]) for row in section] == [(addendum.pk, record.pk, "Later observation")]


def test_the_sessions_list_counts_each_records_addenda(acupuncturist_client, acupuncturist, record):
    addendum_add(by=acupuncturist, record=record, text="One")
    addendum_add(by=acupuncturist, record=record, text="Two")
    page = acupuncturist_client.get(reverse("treatments:patient_sessions", args=[record.patient_id])).content.decode()
    row = page[page.index('id="session-records"'):]
    assert "<td>2</td>" in row.split("</tr>")[1]
