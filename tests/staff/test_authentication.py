"""staff.authentication: sign-in events in the audit trail, idle logoff, the reset e-mail limit."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from staff.models import AuditEvent
from tests.factories import PASSWORD, front_desk_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def desk(db):
    return front_desk_user(username="desk")


def log_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_login_and_a_logout_are_audited(client, desk):
    log_in(client, "desk")
    client.post(reverse("logout"))
    events = list(AuditEvent.objects.order_by("seq").values_list("action", "user", "object_id", "summary"))
    assert events[0][:3] == ("login", desk.pk, str(desk.pk))
    assert events[1] == ("logout", desk.pk, str(desk.pk), "signed out")


def test_a_failed_login_is_audited_with_the_name_tried(client, desk):
    log_in(client, "desk", "wrong-password")
    log_in(client, "nobody", "wrong-password")
    failures = list(AuditEvent.objects.filter(action="login_failed").order_by("seq").values_list("user", "object_id", "summary"))
    assert failures[0][:2] == (None, str(desk.pk)) and "'desk'" in failures[0][2]
    assert failures[1][:2] == (None, "") and "'nobody'" in failures[1][2]


@override_settings(AXES_FAILURE_LIMIT=2)
def test_a_lockout_is_audited(client, desk):
    for _ in range(3):
        log_in(client, "desk", "wrong-password")
    assert AuditEvent.objects.filter(action="lockout", object_id=str(desk.pk)).exists()


def test_a_session_ends_with_the_browser(client, desk):
    log_in(client, "desk")
    assert client.cookies["sessionid"]["expires"] == "" and client.cookies["sessionid"]["max-age"] == ""


def test_fifteen_idle_minutes_sign_a_staff_member_out(client, desk):
    with time_machine.travel(NOW, tick=False) as clock:
        log_in(client, "desk")
        clock.shift(dt.timedelta(minutes=14))
        assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=14))  # 14 minutes after the last request
        assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=15, seconds=1))
        response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert AuditEvent.objects.filter(action="logout", user=desk, summary="idle logoff").exists()
    assert client.get(reverse("home")).status_code == 302


def test_the_last_seen_time_is_written_at_most_once_a_minute(client, desk, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False) as clock:
        log_in(client, "desk")
        clock.shift(dt.timedelta(seconds=30))
        # session, user, roles and permissions (one query) for the nav, the closure-decisions
        # banner, the front desk's day panel (5): no session write
        with django_assert_num_queries(9):
            client.get(reverse("home"))
        clock.shift(dt.timedelta(seconds=31))
        # ... and the session written back once the last-seen time is a minute old (an UPDATE,
        # inside a savepoint here because the test runs in a transaction)
        with django_assert_num_queries(12):
            client.get(reverse("home"))


@override_settings(PASSWORD_RESET_PER_HOUR=3)
def test_reset_e_mails_to_one_address_are_limited_per_hour(client, desk):
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(5):
            response = client.post(reverse("password_reset"), {"email": desk.email.upper()})
            assert response.status_code == 302
        assert len(mail.outbox) == 3
        other = front_desk_user(email="other@clinic.example")
        client.post(reverse("password_reset"), {"email": other.email})
        assert len(mail.outbox) == 4
        clock.shift(dt.timedelta(hours=1, seconds=1))
        client.post(reverse("password_reset"), {"email": desk.email})
        assert len(mail.outbox) == 5


def test_a_password_change_is_audited_without_the_password(client, desk):
    client.force_login(desk)
    client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Lotus-pond-2026",
                                              "new_password2": "Lotus-pond-2026"})
    event = AuditEvent.objects.get(action="change", object_id=str(desk.pk))
    assert event.summary == "password changed (signed in)"
    assert "Lotus" not in str(event.changes)
