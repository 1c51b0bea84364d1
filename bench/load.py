"""Load test: the front desk's busiest pages under gunicorn, as real clients use them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/acuclinic .venv/bin/python bench/load.py group-500k

Starts gunicorn as the Procfile does (clinic/gunicorn.py: gthread, keep-alive) with 2 workers
(127.0.0.1 only) on the size's benchmark database (seeded by
``bench/run.py``), then 10 clients each log in through the real login form and request, in
turn, the week calendar and a patient search as you type, until ``LOAD_REQUESTS`` (default
2,000) requests are done or ``LOAD_SECONDS`` (default 60) have passed. Prints requests per
second, median and 95th-percentile latency, and errors; stops gunicorn.
"""

import datetime as dt
import http.client
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import database_for  # noqa: E402
from bench.sizes import DESK_PASSWORD, DESK_USERNAME  # noqa: E402

CLIENTS = 10
WORKERS = 2
REQUESTS = int(os.environ.get("LOAD_REQUESTS", "2000"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
SEARCHES = ["smi", "okaf", "amelia", "zhao", "jones", "07700001", "patel", "wright"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(size: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, ACUCLINIC_BENCH_DB=database_for(size), DJANGO_SETTINGS_MODULE="bench.settings")
    # The production settings (clinic/gunicorn.py: gthread workers, keep-alive) with 2 workers.
    env.update(WEB_CONCURRENCY=str(WORKERS), WEB_BIND=f"127.0.0.1:{port}", DEBUG="0", LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic.wsgi", "--config", "python:clinic.gunicorn",
         "--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                sys.exit("gunicorn did not start")
            time.sleep(0.2)  # polling for the port to open, bounded by the deadline
    server.kill()
    sys.exit("gunicorn did not open its port in 30 s")


class Client:
    """One front-desk browser: its own cookies, logged in through the form, then one kept-alive
    connection for its requests (as a browser keeps one; a new TCP connection per request would
    spend the shared cores on the client rather than the server)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        address = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)

    def login(self) -> None:
        page = self.opener.open(f"{self.base}/accounts/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": DESK_USERNAME,
                                       "password": DESK_PASSWORD}).encode()
        request = urllib.request.Request(f"{self.base}/accounts/login/", data=data,
                                         headers={"Referer": f"{self.base}/accounts/login/"})
        response = self.opener.open(request, timeout=30)
        if "/accounts/login/" in response.geturl():
            sys.exit("login through the form failed")

    def get(self, path: str) -> None:
        headers = {"Cookie": "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)}
        try:
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed the idle kept-alive connection: a browser retries on a new one.
            self.connection.close()
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            raise urllib.error.HTTPError(path, response.status, "not OK", response.headers, None)


def run(base: str) -> dict:
    week = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    paths = [f"/scheduling/calendar/?view=week&date={week}"] + [f"/patients/search/?q={q}" for q in SEARCHES]
    clients = [Client(base) for _ in range(CLIENTS)]
    for client in clients:
        client.login()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    issued = iter(range(REQUESTS))
    deadline = time.monotonic() + SECONDS

    def work(client: Client, offset: int) -> None:
        while time.monotonic() < deadline:
            with lock:
                number = next(issued, None)
            if number is None:
                return
            # Every other request is the week calendar; the others cycle through searches.
            path = paths[0] if number % 2 == 0 else paths[1 + (number // 2 + offset) % len(SEARCHES)]
            started = time.perf_counter()
            try:
                client.get(path)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                with lock:
                    errors.append(f"{path}: {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=work, args=(client, i)) for i, client in enumerate(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"requests": len(latencies), "seconds": elapsed, "per_second": len(latencies) / elapsed,
            "median_ms": statistics.median(latencies) * 1000 if latencies else 0.0, "p95_ms": cuts[94] * 1000,
            "errors": errors}


def main(argv: list[str]) -> None:
    size = argv[0] if argv else "group-500k"
    port = free_port()
    server = start_gunicorn(size, port)
    try:
        result = run(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{size}: {CLIENTS} clients, {WORKERS} gunicorn workers; load average {load}")
    print(f"{result['requests']} requests in {result['seconds']:.1f} s: {result['per_second']:.0f} req/s, "
          f"median {result['median_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, {len(result['errors'])} errors")
    ok = result["per_second"] >= 100 and result["p95_ms"] < 150 and not result["errors"]
    print(("✓" if ok else "✗") + " target: ≥ 100 req/s, p95 < 150 ms, 0 errors")
    for error in result["errors"][:5]:
        print("  ", error)


if __name__ == "__main__":
    main(sys.argv[1:])
