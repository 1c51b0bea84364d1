"""Work at the same moment from several threads, each on its own database connection (PostgreSQL
tests): double clicks, simultaneous bookings and saves, concurrent audit writers."""

import threading
from collections.abc import Callable

from django.db import connection
from django.test import Client

JOIN_TIMEOUT = 30  # seconds; a thread still running after this means something hangs


def run_together(jobs: list[Callable[[], object]], *, timeout: float = JOIN_TIMEOUT) -> list:
    """Runs each job in its own thread, all released at the same moment by a barrier; returns
    each job's result, or the exception it raised, in job order (the test decides what an
    exception means). Fails if a thread is still running after ``timeout`` seconds."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = job()
        except Exception as exc:  # handed to the test, not swallowed
            results[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    return results


def post_twice_at_once(cookies, url: str, data: dict) -> list:
    """POSTs ``data`` to ``url`` twice, from two threads released together, with the same
    session cookies (one browser clicking twice); returns both responses in thread order."""

    def submit():
        client = Client()
        client.cookies = cookies
        return client.post(url, data)

    responses = run_together([submit, submit])
    for response in responses:
        if isinstance(response, Exception):
            raise response
    return responses
