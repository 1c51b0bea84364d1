"""The application's PostgreSQL role (``staff.db_roles``) is neither superuser nor owner: the
triggers that keep history write-once and the audit trail append-only are out of its reach. The
test suite itself runs as that role when DATABASE_OWNER_URL is set (as CI does)."""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from staff import db_roles
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_role(db):
    if not db_roles.owner_configured():
        skip_or_fail("needs PostgreSQL with DATABASE_OWNER_URL (the owner role) and DATABASE_URL (the app role)")
    return settings.DATABASE_APP["USER"]


def refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(refusal.value)


def test_the_tests_run_as_a_role_that_is_neither_superuser_nor_owner(app_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (app_role, False)
        cursor.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        assert [owner for (owner,) in cursor.fetchall()] == [settings.DATABASE_OWNER["USER"]]


@pytest.mark.parametrize(
    "sql",
    [
        "SET session_replication_role = replica",
        "SET LOCAL session_replication_role = replica",
        "ALTER TABLE treatments_plan DISABLE TRIGGER treatments_plan_write_once",
        "ALTER TABLE patients_screening DISABLE TRIGGER ALL",
        "ALTER TABLE staff_auditevent DISABLE TRIGGER staff_auditevent_append_only",
        "DROP TRIGGER treatments_planitem_write_once ON treatments_planitem",
        "DROP FUNCTION patients_screening_write_once() CASCADE",
        "CREATE OR REPLACE FUNCTION treatments_plan_write_once() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
        "TRUNCATE treatments_sessionitem",
        "ALTER TABLE patients_screening ADD COLUMN sneaky boolean",
    ],
)
def test_the_app_role_cannot_lift_the_triggers(app_role, sql):
    message = refused(sql)
    assert "permission denied" in message or "must be owner" in message


def test_the_owner_can_and_is_who_migrations_run_as(db_owner):
    if not db_roles.owner_configured():
        skip_or_fail("needs PostgreSQL with DATABASE_OWNER_URL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (settings.DATABASE_OWNER["USER"],)
        cursor.execute("SELECT has_table_privilege(%s, 'treatments_plan', 'TRUNCATE')", [settings.DATABASE_APP["USER"]])
        assert cursor.fetchone() == (False,)
        cursor.execute("SELECT has_table_privilege(%s, 'treatments_plan', 'INSERT')", [settings.DATABASE_APP["USER"]])
        assert cursor.fetchone() == (True,)


def test_without_an_owner_url_everything_runs_on_one_connection(settings):
    settings.DATABASE_OWNER = None
    before = dict(connection.settings_dict)
    with db_roles.as_owner():
        assert connection.settings_dict == before
    db_roles.grant_app_role()  # nothing to grant
