"""Login throttling by django-axes: per username, per address, per both; recorded in the database."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from staff.lockout import lockout_message
from staff.roles import CLINIC_ADMIN
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def three_failures_lock(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=20)


def attempt(client, username: str, password: str, *, address: str = "198.51.100.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_guesses_at_one_username_from_many_addresses_lock_that_username(client):
    user = UserFactory()
    for n in range(3):
        attempt(client, user.username, "wrong", address=f"203.0.113.{n + 1}")
    response = attempt(client, user.username, PASSWORD, address="192.0.2.50")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_guess_at_each_of_many_usernames_locks_the_address(client):
    for n in range(3):
        attempt(client, f"someone{n}", "wrong", address="203.0.113.7")
    user = UserFactory()
    assert attempt(client, user.username, PASSWORD, address="203.0.113.7").status_code == 429
    # Another address is not locked.
    assert attempt(client, user.username, PASSWORD, address="192.0.2.8").status_code == 302


def test_the_lockout_message_states_the_configured_cool_off(client):
    user = UserFactory()
    for _ in range(3):
        attempt(client, user.username, "wrong")
    page = attempt(client, user.username, PASSWORD).content.decode()
    assert "Please wait 20 minutes before trying again" in page
    assert lockout_message(dt.timedelta(hours=1)).startswith(f"{LOCKED}. Please wait 60 minutes")


def test_failures_below_the_limit_do_not_lock(client):
    user = UserFactory()
    for _ in range(2):
        assert attempt(client, user.username, "wrong").status_code == 200
    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_lockouts_are_rows_the_clinic_admin_sees_and_releases(client):
    user = UserFactory()
    for _ in range(3):
        attempt(client, user.username, "wrong")
    locked = AccessAttempt.objects.get(username=user.username)
    assert locked.failures_since_start == 3

    admin_client = client.__class__()
    admin_client.force_login(UserFactory(role=CLINIC_ADMIN))
    assert user.username in admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    delete_url = reverse("admin:axes_accessattempt_delete", args=[locked.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302

    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_the_client_address_comes_from_the_configured_proxy_header(client, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 1
    user = UserFactory()
    # One trusted proxy appends the address it saw; whatever the client wrote before it is ignored.
    attempt_with = {"HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.44", "REMOTE_ADDR": "10.0.0.2"}
    client.post(reverse("login"), {"username": user.username, "password": "wrong"}, **attempt_with)
    assert AccessAttempt.objects.get().ip_address == "203.0.113.44"


def test_login_works_with_redis_unreachable(client, settings):
    # Nothing on the login path may need the cache (the old cache-based throttle answered 500).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    user = UserFactory()
    assert attempt(client, user.username, "wrong").status_code == 200
    assert attempt(client, user.username, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
