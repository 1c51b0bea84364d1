"""Benchmark: reminder e-mails through the production path — Celery beat on Redis sweeps, a real
``celery worker`` sends over SMTP to a local sink — measuring sustained e-mails per second and
counting, by Message-ID at the sink, lost and duplicated messages. Target (issue 13): at least
300 e-mails/s sustained, none lost, none duplicated.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/acuclinic REDIS_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/reminders.py

BENCH_REMINDERS (default 5000) due reminders are seeded in bulk; BENCH_CONCURRENCY (default 4) is
the worker's prefork pool. It works in a throwaway test database (``test_<name>``) and empties the
Celery queue of the Redis database it is given: give it one of its own. The rate runs from the
first e-mail the sink receives to the last (beat's first sweep comes a few seconds after start).
"""

import contextlib
import datetime as dt
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings_test")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from patients.models import Patient  # noqa: E402
from scheduling.models import AppointmentType, Practitioner, Reminder, Room, Visit  # noqa: E402
from scheduling.reminders.upkeep import visit_reminders_replace  # noqa: E402

TARGET_PER_SECOND = 300
# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Sink:
    """An SMTP server that keeps, for each message, when it arrived and its Message-ID."""

    def __init__(self):
        self.received: list[tuple[float, str]] = []
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # Once per connection (no STARTTLS here).
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.original_content or envelope.content)
        self.received.append((time.monotonic(), found.group(1).decode() if found else ""))
        return "250 Message accepted"


@dataclass
class Result:
    reminders: int
    received: int
    lost: int
    duplicated: int
    connections: int
    seconds: float
    per_second: float
    worker_cpu_ms: float  # CPU time of the worker and its pool, per e-mail
    sink_cpu_ms: float  # CPU time of this process (the SMTP sink, and polling), per e-mail
    load: float  # the machine's 1-minute load average at the end (other work slows the rate)

    @property
    def ok(self) -> bool:
        return self.per_second >= TARGET_PER_SECOND and self.lost == 0 and self.duplicated == 0


def seed(count: int) -> set[str]:
    """``count`` patients with consent, each with a visit ahead and its reminder, all due now;
    returns their Message-IDs."""
    user = get_user_model().objects.create(username="bench-practitioner")
    practitioner = Practitioner.objects.create(user=user, display_name="Bench Practitioner")
    room = Room.objects.create(name="Bench room")
    treatment, _ = AppointmentType.objects.get_or_create(
        name="Bench treatment", defaults={"kind": AppointmentType.Kind.TREATMENT, "duration_minutes": 60}
    )
    now = timezone.now()
    patients = Patient.objects.bulk_create(
        Patient(first_name=f"P{i}", last_name="Bench", date_of_birth=dt.date(1980, 1, 1),
                email=f"p{i}@bench.example", reminder_consent=True, reminder_consent_changed_at=now)
        for i in range(count)
    )
    start = now + dt.timedelta(hours=1)
    visits = Visit.objects.bulk_create(
        Visit(patient=patient, practitioner=practitioner, room=room, appointment_type=treatment,
              starts_at=start + dt.timedelta(hours=i), ends_at=start + dt.timedelta(hours=i + 1))
        for i, patient in enumerate(patients)
    )
    rows = visit_reminders_replace(visits=visits, note="")
    # The booking rule makes most of them due later (48 hours before); here all are due now.
    Reminder.objects.filter(pk__in=[r.pk for r in rows]).update(due_at=now, next_attempt_at=now)
    return {r.message_id for r in rows}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _purge(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).delete("celery", "unacked", "unacked_index", "unacked_mutex")


def _start(args: list[str], *, env: dict, log: Path) -> subprocess.Popen:
    # Its own process group, so stopping it reaches the pool's children too.
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(process: subprocess.Popen) -> float:
    """Stops the process group (SIGTERM: a warm shutdown) and returns the CPU seconds the process
    and the children it reaped (the worker's pool) used (0 if it had already ended)."""
    if process.returncode is not None:
        return 0.0
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pid, _, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = 0
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = -signal.SIGKILL
    return usage.ru_utime + usage.ru_stime


def _settled() -> bool:
    waiting = [Reminder.State.PENDING, Reminder.State.QUEUED, Reminder.State.SENDING]
    return not Reminder.objects.filter(state__in=waiting).exists()


def run(*, count: int, concurrency: int = 4, sweep_seconds: float = 5, timeout: float = 600) -> Result:
    """Seeds ``count`` due reminders in the current database, then lets beat and a worker send them
    to a local sink; stops when no reminder is left waiting (or after ``timeout`` seconds)."""
    redis_url = os.environ["REDIS_URL"]
    expected = seed(count)
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    folder = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.reminders_settings", "BENCH_SMTP_PORT": str(port),
           "BENCH_DB_NAME": connection.settings_dict["NAME"], "BENCH_SWEEP_SECONDS": str(sweep_seconds)}
    celery = [sys.executable, "-m", "celery", "-A", "clinic"]
    _purge(redis_url)
    worker = _start([*celery, "worker", "--loglevel=WARNING", f"--concurrency={concurrency}", "--pool=prefork",
                     "--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname=bench@%h"],
                    env=env, log=folder / "worker.log")
    beat = _start([*celery, "beat", "--loglevel=WARNING", f"--schedule={folder / 'beat-schedule'}",
                   f"--pidfile={folder / 'beat.pid'}"], env=env, log=folder / "beat.log")
    cpu_before = time.process_time()
    try:
        deadline = time.monotonic() + timeout
        while not (len(sink.received) >= count and _settled()):
            if time.monotonic() > deadline:
                break
            if worker.poll() is not None or beat.poll() is not None:
                raise RuntimeError(f"a Celery process stopped; logs in {folder}")
            time.sleep(0.2)
    finally:
        load = os.getloadavg()[0]
        sink_cpu = time.process_time() - cpu_before
        _stop(beat)
        worker_cpu = _stop(worker)
        controller.stop()
        connection.close()
        _purge(redis_url)
    ids = Counter(message_id for _, message_id in sink.received)
    times = [at for at, _ in sink.received]
    seconds = (times[-1] - times[0]) if len(times) > 1 else 0.0
    return Result(
        reminders=count, received=len(sink.received), lost=len(expected - set(ids)),
        duplicated=sum(n - 1 for n in ids.values()), connections=sink.connections, seconds=seconds,
        per_second=(len(times) - 1) / seconds if seconds else 0.0,
        worker_cpu_ms=worker_cpu * 1000 / max(len(times), 1), sink_cpu_ms=sink_cpu * 1000 / max(len(times), 1),
        load=load,
    )


def report(result: Result) -> str:
    mark = "✓" if result.ok else "✗"
    return "\n".join([
        f"{'reminders':<28}{result.reminders:>10}",
        f"{'e-mails at the sink':<28}{result.received:>10}",
        f"{'SMTP connections':<28}{result.connections:>10}",
        f"{'seconds, first to last':<28}{result.seconds:>10.1f}",
        f"{'e-mails per second':<28}{result.per_second:>10.0f}   target ≥ {TARGET_PER_SECOND}",
        f"{'lost':<28}{result.lost:>10}   target 0",
        f"{'duplicated':<28}{result.duplicated:>10}   target 0",
        f"{'worker CPU ms per e-mail':<28}{result.worker_cpu_ms:>10.1f}",
        f"{'sink CPU ms per e-mail':<28}{result.sink_cpu_ms:>10.1f}",
        f"{'load average (1 min)':<28}{result.load:>10.1f}   on {os.cpu_count()} cores",
        f"{mark} {'all targets met' if result.ok else 'a target is missed'}",
    ])


def main() -> int:
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        print("bench/reminders.py needs DATABASE_URL (PostgreSQL) and REDIS_URL", file=sys.stderr)
        return 2
    old = setup_databases(verbosity=0, interactive=False, aliases=["default"])
    try:
        result = run(count=int(os.environ.get("BENCH_REMINDERS", "5000")),
                     concurrency=int(os.environ.get("BENCH_CONCURRENCY", "4")))
    finally:
        with contextlib.suppress(Exception):
            connection.close()
        teardown_databases(old, verbosity=0)
    print(report(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
