"""The audit trail becomes append-only and hash-chained, in the database itself.

An insert trigger takes a lock (PostgreSQL: a transaction-level advisory lock; SQLite: writers are
already serialised), reads the last event and sets ``seq`` = last + 1, ``prev_hash`` = its hash
and ``hash`` = SHA-256(prev_hash || content_hash). UPDATE and DELETE are refused by triggers.
Events written before this migration are chained here, oldest first.
"""

import datetime as dt
import hashlib
import json

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

PG_INSTALL = """
CREATE FUNCTION staff_auditevent_chain() RETURNS trigger AS $$
DECLARE
    last_seq bigint;
    last_hash varchar(64);
BEGIN
    -- One chain: inserts queue here; each statement below sees the events committed before it.
    PERFORM pg_advisory_xact_lock(hashtext('staff_auditevent_chain'));
    SELECT seq, hash INTO last_seq, last_hash FROM staff_auditevent
        WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    NEW.seq := COALESCE(last_seq, 0) + 1;
    NEW.prev_hash := COALESCE(last_hash, '');
    NEW.hash := encode(sha256(convert_to(NEW.prev_hash || NEW.content_hash, 'UTF8')), 'hex');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER staff_auditevent_chain BEFORE INSERT ON staff_auditevent
    FOR EACH ROW EXECUTE FUNCTION staff_auditevent_chain();

CREATE FUNCTION staff_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'staff_auditevent is append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER staff_auditevent_append_only BEFORE UPDATE OR DELETE ON staff_auditevent
    FOR EACH ROW EXECUTE FUNCTION staff_auditevent_append_only();
"""
PG_UNINSTALL = """
DROP TRIGGER staff_auditevent_append_only ON staff_auditevent;
DROP FUNCTION staff_auditevent_append_only();
DROP TRIGGER staff_auditevent_chain ON staff_auditevent;
DROP FUNCTION staff_auditevent_chain();
"""

# SHA256() is the function Django registers on its SQLite connections; a connection without it
# (the sqlite3 shell) cannot insert events at all, which fails safe.
_SQLITE_LAST_HASH = "COALESCE((SELECT hash FROM staff_auditevent WHERE seq = (SELECT MAX(seq) FROM staff_auditevent)), '')"
SQLITE_INSTALL = [
    f"""CREATE TRIGGER staff_auditevent_chain AFTER INSERT ON staff_auditevent
    BEGIN
        UPDATE staff_auditevent SET
            seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM staff_auditevent),
            prev_hash = {_SQLITE_LAST_HASH},
            hash = SHA256({_SQLITE_LAST_HASH} || NEW.content_hash)
        WHERE id = NEW.id;
    END""",
    # The chain trigger's own UPDATE is the only one allowed: it fills a row whose seq is NULL.
    """CREATE TRIGGER staff_auditevent_no_update BEFORE UPDATE ON staff_auditevent
    WHEN OLD.seq IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'staff_auditevent is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER staff_auditevent_no_delete BEFORE DELETE ON staff_auditevent
    BEGIN SELECT RAISE(ABORT, 'staff_auditevent is append-only: DELETE refused'); END""",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER staff_auditevent_no_delete",
    "DROP TRIGGER staff_auditevent_no_update",
    "DROP TRIGGER staff_auditevent_chain",
]


def _content_hash(event) -> str:
    # Frozen copy of staff.audit.canonical_content as it stood when this migration was written.
    content = {
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "user": event.user_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient": event.patient_id,
        "summary": event.summary,
        "changes": event.changes,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()).hexdigest()


def chain_existing(apps, schema_editor):
    AuditEvent = apps.get_model("staff", "AuditEvent")
    prev_hash = ""
    for seq, event in enumerate(AuditEvent.objects.order_by("id").iterator(), start=1):
        event.seq = seq
        event.content_hash = _content_hash(event)
        event.prev_hash = prev_hash
        event.hash = hashlib.sha256((prev_hash + event.content_hash).encode()).hexdigest()
        event.save(update_fields=["seq", "content_hash", "prev_hash", "hash"])
        prev_hash = event.hash


def install_triggers(apps, schema_editor):
    statements = PG_INSTALL if schema_editor.connection.vendor == "postgresql" else SQLITE_INSTALL
    for statement in [statements] if isinstance(statements, str) else statements:
        schema_editor.execute(statement, params=None)


def uninstall_triggers(apps, schema_editor):
    statements = PG_UNINSTALL if schema_editor.connection.vendor == "postgresql" else SQLITE_UNINSTALL
    for statement in [statements] if isinstance(statements, str) else statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("staff", "0003_auditevent_changes"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.AlterField(
            model_name="auditevent", name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="auditevent", name="user",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name="auditevent", name="action",
            field=models.CharField(max_length=20, choices=[
                ("view", "viewed"), ("create", "created"), ("change", "changed"), ("login", "logged in"),
                ("logout", "logged out"), ("login_failed", "failed login"), ("lockout", "locked out"),
            ]),
        ),
        migrations.AddField(model_name="auditevent", name="seq",
                            field=models.BigIntegerField(editable=False, null=True, unique=True)),
        migrations.AddField(model_name="auditevent", name="content_hash",
                            field=models.CharField(default="", editable=False, max_length=64), preserve_default=False),
        migrations.AddField(model_name="auditevent", name="prev_hash",
                            field=models.CharField(blank=True, editable=False, max_length=64)),
        migrations.AddField(model_name="auditevent", name="hash",
                            field=models.CharField(blank=True, editable=False, max_length=64)),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
