"""staff.audit_chain and ``manage.py audit_verify``: tampering shows, concurrent writers keep one chain."""

from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from staff.audit import audit_record
from staff.audit_chain import verify_chain
from staff.models import AuditEvent
from tests.concurrency import run_together
from tests.factories import PatientFactory

JOIN_TIMEOUT = 60  # seconds; a writer still running after this means the lock deadlocks


def write_events(count: int, summary: str = "detail") -> list[AuditEvent]:
    patient = PatientFactory()
    for n in range(count):
        audit_record(user=None, action="view", obj=patient, patient_id=patient.pk, summary=f"{summary} {n}")
    return list(AuditEvent.objects.order_by("seq"))


@contextmanager
def append_only_lifted():
    """What a database owner could do: switch the refusal off (rolled back with the test, or
    switched on again; the test must use ``db_owner``: the application's role cannot)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks would otherwise block the ALTER.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE staff_auditevent DISABLE TRIGGER staff_auditevent_append_only")
            yield cursor
            cursor.execute("ALTER TABLE staff_auditevent ENABLE TRIGGER staff_auditevent_append_only")
        else:
            cursor.execute("DROP TRIGGER staff_auditevent_no_update")
            cursor.execute("DROP TRIGGER staff_auditevent_no_delete")
            yield cursor


@pytest.mark.django_db
def test_an_untouched_chain_verifies(capsys):
    write_events(3)
    assert verify_chain().intact
    call_command("audit_verify")
    assert "Audit chain intact: 3 events." in capsys.readouterr().out


@pytest.mark.django_db
def test_an_event_edited_by_raw_sql_is_reported_as_the_first_break(db_owner):
    events = write_events(4)
    with append_only_lifted() as cursor:
        cursor.execute("UPDATE staff_auditevent SET summary = 'nothing' WHERE id = %s", [events[1].pk])
    report = verify_chain()
    assert (report.checked, report.first_break.event_id) == (1, events[1].pk)
    assert "altered" in report.first_break.reason
    with pytest.raises(CommandError, match=f"broken at event #{events[1].pk} \\(seq 2\\)"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_an_event_deleted_by_raw_sql_breaks_the_chain_at_the_next_one(db_owner):
    events = write_events(4)
    with append_only_lifted() as cursor:
        cursor.execute("DELETE FROM staff_auditevent WHERE id = %s", [events[2].pk])
    assert verify_chain().first_break.event_id == events[3].pk


@pytest.mark.django_db
def test_a_rewritten_event_with_a_recomputed_content_hash_still_breaks_the_link(db_owner):
    events = write_events(3)
    with append_only_lifted() as cursor:
        cursor.execute("UPDATE staff_auditevent SET content_hash = %s WHERE id = %s", ["0" * 64, events[1].pk])
    assert verify_chain().first_break.event_id == events[1].pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(needs_postgres):
    writers, per_writer = 6, 15
    patient = PatientFactory()

    def write(index: int) -> None:
        for n in range(per_writer):
            audit_record(user=None, action="view", obj=patient, patient_id=patient.pk, summary=f"writer {index} #{n}")

    results = run_together([lambda index=index: write(index) for index in range(writers)], timeout=JOIN_TIMEOUT)
    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    report = verify_chain()
    assert report.intact, report.first_break
    assert report.checked == writers * per_writer
