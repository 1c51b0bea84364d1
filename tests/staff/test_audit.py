"""staff.audit: what an event holds and how the database chains it."""

import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from staff.audit import audit_account, audit_record, audit_records, changed_fields, content_hash
from staff.audit_chain import link_hash
from staff.models import AuditEvent
from tests.factories import PatientFactory, front_desk_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 10, 30, 15, 123456, tzinfo=dt.UTC)


def test_changed_fields_keeps_only_the_fields_that_differ_with_before_and_after():
    before = {"first_name": "Lin", "phone": "0100", "email": "a@example.com"}
    after = {"first_name": "Lin", "phone": "0200", "email": ""}
    assert changed_fields(before=before, after=after) == {"phone": ["0100", "0200"], "email": ["a@example.com", ""]}


def test_an_event_keeps_changes_as_stored_json_and_its_content_hash_matches_what_is_read_back():
    patient = PatientFactory()
    with time_machine.travel(NOW, tick=False):
        audit_record(user=None, action="change", obj=patient, patient_id=patient.pk, summary="demographics",
                     changes={"date_of_birth": [dt.date(1980, 1, 2), dt.date(1981, 1, 2)]})
    event = AuditEvent.objects.get()
    assert event.changes == {"date_of_birth": ["1980-01-02", "1981-01-02"]}
    assert event.at == NOW
    assert event.content_hash == content_hash(event)


def test_the_database_chains_each_event_to_the_one_before():
    patient = PatientFactory()
    user = front_desk_user()
    audit_record(user=user, action="view", obj=patient, patient_id=patient.pk)
    audit_records(user=user, action="view", items=[(patient, patient.pk), (patient, patient.pk)], summary="list")
    audit_account(user=user, action="login", account=user)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == ""
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    for event in events:
        assert event.hash == link_hash(event.prev_hash, event.content_hash)


def test_a_writer_cannot_choose_the_chain_values():
    patient = PatientFactory()
    audit_record(user=None, action="view", obj=patient, patient_id=patient.pk)
    first = AuditEvent.objects.get(seq=1)
    forged = AuditEvent(action="view", object_type="x", object_id="1", content_hash="c" * 64,
                        seq=99, prev_hash="f" * 64, hash="e" * 64)
    try:
        with transaction.atomic():
            forged.save()
    except DatabaseError:
        # SQLite: the chain trigger may only fill an unchained row, so the insert is refused.
        assert connection.vendor == "sqlite"
        assert AuditEvent.objects.count() == 1
        return
    # PostgreSQL: the insert trigger overwrites whatever the writer sent.
    forged = AuditEvent.objects.get(pk=forged.pk)
    assert (forged.seq, forged.prev_hash) == (2, first.hash)
    assert forged.hash == link_hash(first.hash, "c" * 64)


@pytest.mark.parametrize("statement", [
    "UPDATE staff_auditevent SET summary = 'nothing to see'",
    "DELETE FROM staff_auditevent",
])
def test_the_database_refuses_to_update_or_delete_an_event(statement):
    patient = PatientFactory()
    audit_record(user=None, action="view", obj=patient, patient_id=patient.pk, summary="detail")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.get().summary == "detail"


def test_deleting_a_staff_member_with_a_trail_is_refused():
    from django.db.models import ProtectedError

    user = front_desk_user()
    audit_account(user=user, action="login", account=user)
    with pytest.raises(ProtectedError):
        user.delete()
