"""Two PostgreSQL roles: the owner of the tables, which migrations run as, and the application's
role, which is neither superuser nor owner. So the application — and anyone who gets hold of its
connection — can read and write rows, but cannot switch triggers off (``ALTER TABLE … DISABLE
TRIGGER``, ``DROP TRIGGER``, ``SET session_replication_role = replica``), TRUNCATE a table or
change the schema: the write-once history (``staff.write_once``) and the audit chain hold.

``DATABASE_URL`` names the application's role; ``DATABASE_OWNER_URL`` (same server and database,
another role) the owner's. ``manage.py migrate`` runs as the owner when it is set
(``staff/management/commands/migrate.py``) and then grants the application's role what it needs
on every table and sequence. Without ``DATABASE_OWNER_URL`` (SQLite, or a single role) nothing
changes: everything runs on ``DATABASE_URL``.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

# What differs between the two roles' connections (never the database name: tests add "test_").
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def owner_configured(alias: str = "default") -> bool:
    return bool(settings.DATABASE_OWNER) and connections[alias].vendor == "postgresql"


def use_credentials(connection: BaseDatabaseWrapper, credentials: dict) -> None:
    """Reconnects ``connection`` (at its next query) with ``credentials``."""
    connection.close()
    connection.settings_dict.update({key: credentials[key] for key in CREDENTIALS})


@contextmanager
def as_owner(alias: str = "default") -> Iterator[None]:
    """Runs the block on a connection of the owner role (no-op without ``DATABASE_OWNER_URL``)."""
    if not owner_configured(alias):
        yield
        return
    connection = connections[alias]
    before = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    use_credentials(connection, settings.DATABASE_OWNER)
    try:
        yield
    finally:
        use_credentials(connection, before)


def grant_app_role(alias: str = "default") -> None:
    """As the owner: lets the application's role read and write the rows of every table (and use
    the sequences), now and for tables created later — and nothing more (no TRUNCATE, TRIGGER or
    REFERENCES)."""
    if not owner_configured(alias) or settings.DATABASE_APP["USER"] == settings.DATABASE_OWNER["USER"]:
        return
    connection = connections[alias]
    role = connection.ops.quote_name(settings.DATABASE_APP["USER"])
    with connection.cursor() as cursor:
        for statement in (
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
        ):
            cursor.execute(statement)
