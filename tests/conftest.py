import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from scheduling import timetable
from staff import db_roles
from tests import factories

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_ALL = os.environ.get("ACUCLINIC_REQUIRE_ALL_TESTS") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The tests run as a role that is neither superuser nor owner (staff.db_roles).
OWNER_URL = bool(os.environ.get("DATABASE_OWNER_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres"))


def skip_or_fail(reason: str) -> None:
    """Outside CI a missing service skips the test; in CI (ACUCLINIC_REQUIRE_ALL_TESTS=1) it fails."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # With DATABASE_OWNER_URL (CI), the owner creates and migrates the test database, and the tests
    # run as the application's role, as production does (staff.db_roles).
    if db_roles.owner_configured():
        db_roles.use_credentials(connection, settings.DATABASE_OWNER)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    # Serialized rollback restores the data-migration rows (catalogues) after a transactional
    # test from a copy Django keeps on the connection object. Connections are per thread *and*
    # per asyncio context, and Playwright's sync API runs tests in a context of its own, where
    # that attribute would be missing and nothing restored. Keep the copy on the class instead.
    from django.db import connections

    for alias in connections:
        conn = connections[alias]
        if hasattr(conn, "_test_serialized_contents"):
            type(conn)._test_serialized_contents = conn._test_serialized_contents
    owner = db_roles.owner_configured()
    if owner:
        db_roles.use_credentials(connection, settings.DATABASE_APP)
    yield django_db_setup
    if owner:  # the owner drops the test database
        db_roles.use_credentials(connection, settings.DATABASE_OWNER)


@pytest.fixture
def db_owner(request):
    """The test runs connected as the database owner (with DATABASE_OWNER_URL, as a transactional
    test: a connection cannot change role inside a transaction); without it, as any test."""
    if not db_roles.owner_configured():
        request.getfixturevalue("db")
        yield
        return
    request.getfixturevalue("transactional_db")
    with db_roles.as_owner():
        yield


@pytest.fixture(scope="session", autouse=True)
def _postgres_flush_as_owner():
    """Transactional tests end with a flush, on PostgreSQL a TRUNCATE: the application's role may
    not truncate (that would skip the row triggers), the owner does it."""
    if not db_roles.owner_configured():
        yield
        return
    DatabaseOperations = type(connection.ops)
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with db_roles.as_owner(self.connection.alias):
            original(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(scope="session", autouse=True)
def _sqlite_flush_past_append_only_triggers():
    """Transactional tests end with a flush; on SQLite that is DELETE FROM every table, which the
    append-only triggers (the audit trail) refuse. Lift them for the flush only, in tests only
    (on PostgreSQL the flush is a TRUNCATE, which row triggers do not see)."""
    if connection.vendor != "sqlite":
        yield
        return
    DatabaseOperations = type(connection.ops)
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%RAISE(ABORT%'")
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture
def needs_postgres(db):
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def front_desk(db):
    return factories.front_desk_user(username="frontdesk")


@pytest.fixture
def acupuncturist(db):
    return factories.acupuncturist_user(username="acupuncturist")


@pytest.fixture
def clinic_admin(db):
    return factories.clinic_admin_user(username="clinicadmin")


@pytest.fixture
def front_desk_client(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def acupuncturist_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


@pytest.fixture
def admin_client_(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


# --- Browser -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        skip_or_fail(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    }


@pytest.fixture
def login(live_server, page):
    """``login(user)`` signs the user in through the real login form of the live server."""

    def _login(user, password: str = factories.PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _login



@pytest.hookimpl(tryfirst=True)  # before pytest-django's, which puts transactional tests last
def pytest_collection_modifyitems(items):
    # Tests that commit for real (live server, threads) end with a flush of every table, which
    # would also wipe the catalogues that data migrations load (concerns, points). Serialized
    # rollback restores them, so every transactional test gets it.
    for item in items:
        if "needs_postgres" in item.fixturenames:
            item.add_marker(pytest.mark.postgres)
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        transactional = {"live_server", "transactional_db"} | ({"db_owner"} if OWNER_URL else set())
        if kwargs.get("transaction") or transactional & set(item.fixturenames):
            if not kwargs.get("serialized_rollback"):
                # The closest marker wins, so this one goes first.
                mark = pytest.mark.django_db(**{**kwargs, "transaction": True, "serialized_rollback": True})
                item.own_markers.insert(0, mark.mark)


@pytest.fixture(autouse=True)
def _empty_cache():
    # The test cache lives in the process: without this one test's cached values (e.g. the reminder
    # sweep's heartbeat) would reach the next test's pages. Each test also starts without a cached
    # timetable, so its query counts do not depend on the test before.
    cache.clear()
    timetable.forget()
