"""The sweep's heartbeat (``scheduling.reminders.heartbeat``): each sweep records when it ran; staff
see it on the Reminders page, and every staff page warns once reminders have not been swept for
ten minutes, without a database query."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import SweepHeartbeat
from scheduling.reminders.heartbeat import CACHE_KEY, cached_last_sweep, sweep_overdue
from scheduling.reminders.outbox import reminders_dispatch
from tests.scheduling.factories import at

pytestmark = pytest.mark.usefixtures("frozen")

WARNING = "Reminder e-mails are not going out"


@pytest.fixture(autouse=True)
def no_idle_logoff(settings):
    # These tests move the clock by days while staff stay signed in; idle logoff and the session's
    # 12-hour cap have their own tests (tests/staff/test_authentication.py).
    settings.IDLE_LOGOFF_MINUTES = 60 * 24 * 365
    settings.SESSION_COOKIE_AGE = 60 * 60 * 24 * 365


@pytest.fixture(autouse=True)
def empty_cache():
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


def sweep() -> None:
    reminders_dispatch(publish=lambda ids: None)


def last_sweep():
    row = SweepHeartbeat.objects.first()
    return row.swept_at if row else None


def test_a_sweep_records_when_it_ran_in_the_row_and_the_cache(db, frozen):
    assert last_sweep() is None and cached_last_sweep() is None
    sweep()
    first = last_sweep()
    frozen.shift(dt.timedelta(minutes=1))
    sweep()
    assert last_sweep() == cached_last_sweep() == first + dt.timedelta(minutes=1)
    assert SweepHeartbeat.objects.count() == 1


def test_staff_see_the_last_sweep_on_the_reminders_page(front_desk_client, frozen):
    assert "Last sweep: <strong>not known</strong>" in front_desk_client.get(reverse("scheduling:reminders")).content.decode()
    frozen.move_to(at("2026-03-04", "09:30"))
    sweep()
    assert "Wed 04 Mar 2026 09:30" in front_desk_client.get(reverse("scheduling:reminders")).content.decode()


def test_the_clinic_admin_sees_the_recorded_sweep_when_the_cache_has_none(admin_client_, frozen):
    frozen.move_to(at("2026-03-04", "09:30"))
    sweep()
    cache.delete(CACHE_KEY)
    response = admin_client_.get(reverse("admin:scheduling_sweepheartbeat_changelist"))
    page = response.content.decode()
    assert response.status_code == 200 and "4 Mar 2026, 9:30" in page


def test_every_staff_page_warns_when_reminders_were_not_swept_for_ten_minutes(front_desk_client, frozen):
    frozen.move_to(at("2026-03-04", "09:30"))
    sweep()
    frozen.shift(dt.timedelta(minutes=10))
    assert WARNING not in front_desk_client.get(reverse("home")).content.decode()
    frozen.shift(dt.timedelta(seconds=1))
    for name in ("home", "patients:list", "scheduling:reminders"):
        page = front_desk_client.get(reverse(name)).content.decode()
        assert WARNING in page and "Wed 04 Mar 09:30" in page, name


def test_the_warning_costs_no_query(front_desk_client, frozen):
    home = reverse("home")
    front_desk_client.get(home)
    with CaptureQueriesContext(connection) as quiet:
        assert WARNING not in front_desk_client.get(home).content.decode()
    sweep()
    frozen.shift(dt.timedelta(hours=1))
    front_desk_client.get(home)  # the hourly session write (last seen) out of the way
    with CaptureQueriesContext(connection) as warned:
        assert WARNING in front_desk_client.get(home).content.decode()
    assert len(warned.captured_queries) == len(quiet.captured_queries)


def test_with_the_cache_down_pages_cannot_check_and_still_answer(front_desk_client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    assert sweep_overdue() is None
    sweep()  # the sweep still sends reminders and keeps the row
    assert last_sweep() is not None
    response = front_desk_client.get(reverse("home"))
    assert response.status_code == 200 and WARNING not in response.content.decode()


def test_anonymous_pages_do_not_warn(client, frozen, db):
    sweep()
    frozen.shift(dt.timedelta(hours=1))
    assert WARNING not in client.get(reverse("login")).content.decode()
