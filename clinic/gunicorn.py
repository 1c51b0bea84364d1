"""Gunicorn settings for the Procfile's web process, from the environment like everything else.

Gunicorn also reads ``WEB_CONCURRENCY`` (worker processes) and ``GUNICORN_CMD_ARGS`` itself.
"""

import os

# Honcho gives each Procfile process a PORT (./dev run: 8000 for web). Behind a reverse proxy
# on another host, set WEB_BIND=0.0.0.0:8000.
bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads in each worker: while one request waits for PostgreSQL (or a slow client), another runs
# its Python. Two, not more: the pages are CPU-bound Python, and a worker's threads share one
# core (the GIL), so more threads only interleave requests and switch between them — with 4, the
# load test (bench/load.py, 10 clients on 2 workers) served ~10 % fewer requests a second and
# its slowest 5 % took 155-165 ms instead of 115-145 (BENCHMARKS.md). Each thread keeps its own
# database connection (CONN_MAX_AGE).
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "2"))
# Browsers reuse the connection for the page's next request (static files, searches as you type).
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))
# Development (DEBUG=1, as ./dev run sets): restart the workers when the code changes.
reload = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
accesslog = "-"
# A request that takes longer than this is a bug or an attack, not a page.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# The management socket sits at one per-user path, which a second instance on the machine would
# fight over; nothing here uses it.
control_socket_disable = True
