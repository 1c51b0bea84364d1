"""Fixtures for the reminder tests: a small clinic, the mail folder, and for tests marked
``celery`` the real broker (Redis from REDIS_URL) with a real worker, in this process or as a
``celery -A clinic worker`` subprocess."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, connections

from clinic.celery import app
from scheduling import tasks  # noqa: F401  (registers the tasks with the app)
from scheduling.models import Reminder
from tests.conftest import skip_or_fail
from tests.reminders.mailbox import message_ids
from tests.scheduling.conftest import clinic, frozen, lin, patient  # noqa: F401  (shared fixtures)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mail_dir(tmp_path, settings):
    """Every e-mail sent in the test becomes a file here (see tests/reminders/mailbox.py)."""
    path = tmp_path / "mail"
    path.mkdir()
    settings.EMAIL_BACKEND = "tests.reminders.mailbox.FolderBackend"
    settings.EMAIL_FILE_PATH = str(path)
    return path


def emails(path: Path) -> list[str]:
    """The reminder e-mails in the folder. A worker also sends the booking notices (a moved
    visit's new time, ...) that these tests' bookings queue; those are tested in test_notices.py."""
    return [message_id for message_id in message_ids(path) if message_id.startswith("<reminder.")]


# E-mails each fault case produced, printed at the end of the run.
EMAIL_COUNTS: list[tuple[str, int, str]] = []


@pytest.fixture
def record_emails(request):
    def record(count: int, note: str = "") -> None:
        EMAIL_COUNTS.append((request.node.name, count, note))

    return record


def pytest_terminal_summary(terminalreporter):
    if EMAIL_COUNTS:
        terminalreporter.section("reminder e-mails per fault case")
        for name, count, note in EMAIL_COUNTS:
            terminalreporter.write_line(f"{count:5d}  {name}{f'  ({note})' if note else ''}")


# --- The real broker ------------------------------------------------------------------------------
def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("needs Redis (set REDIS_URL)")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis at {url} is not reachable: {exc}")
    return url


def purge_broker(url: str) -> None:
    """Empties the Celery queue and its unacknowledged messages (left by a killed worker of an
    earlier test), so each test starts with nothing in flight."""
    client = redis.Redis.from_url(url)
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def broker():
    url = _redis_url()
    if not app.conf.broker_url.startswith("redis"):
        skip_or_fail("the Celery app is not on Redis (REDIS_URL must be set before Django starts)")
    purge_broker(url)
    yield url
    purge_broker(url)


def _close_db(**kwargs):
    # The worker's thread opens its own connection to the test database; close it after each task
    # so the test database can be flushed and dropped.
    connections.close_all()


@contextlib.contextmanager
def broker_at(url: str):
    """Points the Celery app (publishing and in-process workers) at another broker for a while."""
    def reset():
        # The connection and producer pools are looked up again, for the new URL (kombu keeps
        # one pool per broker URL, so the old ones stay usable for when we switch back).
        app._pool = None
        app.amqp._producer_pool = None

    old = app.conf.broker_url
    app.conf.broker_url = url
    reset()
    try:
        yield
    finally:
        app.conf.broker_url = old
        reset()


@contextlib.contextmanager
def worker_in_thread(celery_app=app, **kwargs):
    """A real Celery worker consuming from the broker in a thread of this process (shares the
    test database and settings, including the mail folder)."""
    kwargs.setdefault("pool", "solo")
    task_postrun.connect(_close_db)
    try:
        with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=30, **kwargs) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_db)


@pytest.fixture
def worker(broker, mail_dir, transactional_db):
    with worker_in_thread():
        yield


def settle(*, timeout: float = 30, now=None) -> None:
    """Waits until no due reminder is still waiting for, or in the hands of, a worker."""
    from django.utils import timezone

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = Reminder.objects.filter(state__in=[Reminder.State.QUEUED, Reminder.State.SENDING]).exists() or (
            Reminder.objects.filter(state=Reminder.State.PENDING, next_attempt_at__lte=now or timezone.now()).exists()
        )
        if not busy:
            return
        time.sleep(0.05)
    states = list(Reminder.objects.values_list("state", flat=True))
    raise AssertionError(f"reminders did not settle in {timeout}s: {states}")


# --- A worker as a separate process ---------------------------------------------------------------
class WorkerProcess:
    """``celery -A clinic worker`` on the test database and broker, writing mail to ``mail_dir``."""

    def __init__(self, *, mail_dir: Path, name: str, concurrency: int = 2, pool: str = "prefork", env=None):
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reminders.worker_settings",
            "REMINDER_TEST_DB_NAME": db["NAME"],
            "EMAIL_FILE_PATH": str(mail_dir),
            **(env or {}),
        }
        self.args = [
            sys.executable, "-m", "celery", "-A", "clinic", "worker", "--loglevel=INFO", f"--hostname={name}@%h",
            f"--concurrency={concurrency}", f"--pool={pool}", "--without-gossip", "--without-mingle",
            "--without-heartbeat",
        ]
        self.log = mail_dir.parent / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        # The log is appended to on a restart: only what this start writes counts.
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            # Its own process group, so kill() reaches the pool's children too.
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if b"ready." in self.log.read_bytes()[offset:]:
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"worker did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """A normal shutdown (SIGTERM: finish the task in hand, then exit)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL to the worker and its pool children at once: no chance to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def worker_processes(broker, mail_dir, transactional_db):
    if connection.vendor != "postgresql":
        # A worker process cannot see SQLite's in-memory test database.
        skip_or_fail("needs PostgreSQL (set DATABASE_URL)")
    started: list[WorkerProcess] = []

    def make(name: str, **kwargs) -> WorkerProcess:
        process = WorkerProcess(mail_dir=mail_dir, name=name, **kwargs)
        started.append(process)
        return process

    yield make
    for process in started:
        process.kill()
