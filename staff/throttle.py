"""Login throttling: after LOGIN_MAX_FAILURES failed logins for one username from one address,
further attempts are refused for LOGIN_LOCKOUT_SECONDS (even with the right password)."""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_locked(username: str, ip: str) -> bool:
    return cache.get(_key(username, ip), 0) >= settings.LOGIN_MAX_FAILURES


def login_failed(username: str, ip: str) -> None:
    key = _key(username, ip)
    cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)


def login_succeeded(username: str, ip: str) -> None:
    cache.delete(_key(username, ip))
