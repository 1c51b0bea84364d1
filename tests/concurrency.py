"""Two requests at the same moment, as a double click or a retry sends them (PostgreSQL tests)."""

import threading

from django.db import connection
from django.test import Client

JOIN_TIMEOUT = 30  # seconds; a request still running after this means something hangs


def post_twice_at_once(cookies, url: str, data: dict) -> list:
    """POSTs ``data`` to ``url`` twice, from two threads released together, with the same
    session cookies (one browser clicking twice); returns both responses in thread order."""
    barrier = threading.Barrier(2)
    responses = [None, None]

    def submit(index):
        try:
            client = Client()
            client.cookies = cookies
            barrier.wait(timeout=JOIN_TIMEOUT)
            responses[index] = client.post(url, data)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a request hangs"
    return responses
