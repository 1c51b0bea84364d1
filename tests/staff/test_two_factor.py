"""Optional two-factor sign-in (TOTP, django-otp): enrolment confirmed by a code, the code asked
after the password, removal, the setting that requires it for clinic admins, wrong codes counted
by the login throttle, and the audit of each step."""

import datetime as dt
from urllib.parse import quote

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import two_factor
from staff.models import AuditEvent
from staff.roles import CLINIC_ADMIN, FRONT_DESK
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def later(clock, seconds: int = 31) -> None:
    """A new 30-second step, so the app shows a new code (a code is accepted once)."""
    clock.shift(dt.timedelta(seconds=seconds))


def sign_in(client, user, *, address: str = "198.51.100.1"):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=address)


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=two_factor.DEVICE_NAME, confirmed=True)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_staff_member_enrols_an_app_confirmed_by_a_code(client, clock):
    user = UserFactory(role=FRONT_DESK)
    client.force_login(user)
    url = reverse("two_factor")
    assert "Off:" in client.get(url).content.decode()
    assert client.post(url, {"action": "start"}).status_code == 302
    page = client.get(url).content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert 'src="data:image/svg+xml;base64,' in page and two_factor.secret(device) in page
    # Not active until a right code comes back from the app.
    response = client.post(url, {"action": "confirm", "code": wrong(two_factor.current_code(device))})
    assert response.status_code == 400 and "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.get(user=user).confirmed
    later(clock)
    response = client.post(url, {"action": "confirm", "code": two_factor.current_code(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=user).confirmed
    assert AuditEvent.objects.filter(user=user, action="change", summary="two-factor sign-in enrolled (TOTP)").exists()
    assert AuditEvent.objects.filter(action="login_failed", object_id=str(user.pk)).exists()


def test_an_unconfirmed_device_does_not_ask_for_a_code_at_login(client):
    user = UserFactory(role=FRONT_DESK)
    TOTPDevice.objects.create(user=user, name=two_factor.DEVICE_NAME, confirmed=False)
    sign_in(client, user)
    assert client.get(reverse("home")).status_code == 200


def test_login_asks_for_the_code_and_a_wrong_code_does_not_log_in(client, clock):
    user = UserFactory(role=FRONT_DESK)
    device = enrolled(user)
    assert sign_in(client, user).status_code == 302
    code_page = reverse("two_factor_verify")
    for url in (reverse("home"), reverse("patients:list"), reverse("two_factor")):
        response = client.get(url)
        assert response.status_code == 302 and response.url == f"{code_page}?next={quote(url, safe='')}", url
    assert client.post(reverse("patients:intake"), {}).url == code_page
    response = client.post(code_page, {"code": wrong(two_factor.current_code(device))}, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 400 and "That code is not right" in response.content.decode()
    assert client.get(reverse("patients:list")).url.startswith(code_page)
    failed = AuditEvent.objects.get(action="login_failed", object_id=str(user.pk))
    assert user.username in failed.summary
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 1
    later(clock)
    response = client.post(code_page, {"code": two_factor.current_code(device), "next": reverse("patients:list")})
    assert response.status_code == 302 and response.url == reverse("patients:list")
    assert client.get(reverse("patients:list")).status_code == 200
    assert AuditEvent.objects.filter(user=user, action="login", summary="two-factor code accepted").exists()


def test_without_a_device_login_is_as_before(client):
    user = UserFactory(role=FRONT_DESK)
    sign_in(client, user)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("two_factor_verify")).url == reverse("home")


def test_wrong_codes_count_towards_the_login_lockout(client, clock, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(role=FRONT_DESK)
    device = enrolled(user)
    sign_in(client, user)
    code_page = reverse("two_factor_verify")
    for _ in range(2):
        later(clock)
        assert client.post(code_page, {"code": wrong(two_factor.current_code(device))}).status_code == 400
    later(clock)
    response = client.post(code_page, {"code": wrong(two_factor.current_code(device))})
    assert response.status_code == 429 and "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="lockout", object_id=str(user.pk)).exists()
    # The password alone now gets nowhere either, nor does the right code.
    later(clock)
    assert sign_in(client, user).status_code == 429


def test_removal_needs_a_current_code_and_is_audited(client, clock):
    user = UserFactory(role=FRONT_DESK)
    device = enrolled(user)
    client.force_login(user)  # a login like any other: the code comes first
    assert client.post(reverse("two_factor_verify"), {"code": two_factor.current_code(device)}).status_code == 302
    later(clock)
    url = reverse("two_factor")
    assert "On:" in client.get(url).content.decode()
    response = client.post(url, {"action": "remove", "code": wrong(two_factor.current_code(device))})
    assert response.status_code == 400 and TOTPDevice.objects.filter(user=user).exists()
    later(clock)
    assert client.post(url, {"action": "remove", "code": two_factor.current_code(device)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(user=user, action="change", summary="two-factor sign-in removed").exists()
    client.logout()
    sign_in(client, user)
    assert client.get(reverse("home")).status_code == 200


def test_when_required_an_admin_without_a_device_is_sent_to_enrolment_first(client, clock, settings):
    settings.ACUCLINIC_REQUIRE_2FA_FOR_ADMINS = True
    admin = UserFactory(role=CLINIC_ADMIN, is_staff=True)
    sign_in(client, admin)
    for url in (reverse("home"), reverse("admin:index"), reverse("patients:list")):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("two_factor"), url
    page = client.get(reverse("two_factor")).content.decode()
    assert "requires two-factor sign-in for clinic admins" in page
    client.post(reverse("two_factor"), {"action": "start"})
    device = TOTPDevice.objects.get(user=admin)
    later(clock)
    assert client.post(reverse("two_factor"), {"action": "confirm", "code": two_factor.current_code(device)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_when_required_other_roles_are_not_forced(client, settings):
    settings.ACUCLINIC_REQUIRE_2FA_FOR_ADMINS = True
    sign_in(client, UserFactory(role=FRONT_DESK))
    assert client.get(reverse("home")).status_code == 200


def test_by_default_an_admin_is_not_forced_to_enrol(client, settings):
    assert settings.ACUCLINIC_REQUIRE_2FA_FOR_ADMINS is False
    sign_in(client, UserFactory(role=CLINIC_ADMIN, is_staff=True))
    assert client.get(reverse("home")).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for name in ("two_factor", "two_factor_verify"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name


@pytest.mark.parametrize("data", [{}, {"action": "other"}, {"action": "confirm"}, {"action": "remove", "code": "x" * 50}])
def test_a_malformed_post_changes_nothing_and_says_why(client, data):
    user = UserFactory(role=FRONT_DESK)
    client.force_login(user)
    response = client.post(reverse("two_factor"), data, follow=True)
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert "Choose set up, confirm or remove" in page or "This field is required" in page or "at most 12" in page
    assert not TOTPDevice.objects.exists()


def test_an_active_app_is_not_replaced_by_setting_up_another(client, clock):
    user = UserFactory(role=FRONT_DESK)
    device = enrolled(user)
    client.force_login(user)
    client.post(reverse("two_factor_verify"), {"code": two_factor.current_code(device)})
    response = client.post(reverse("two_factor"), {"action": "start"}, follow=True)
    assert "already set up" in response.content.decode()
    assert list(TOTPDevice.objects.values_list("pk", flat=True)) == [device.pk]


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "/patients/\r\nSet-Cookie: x=1", "//elsewhere.example"])
def test_after_the_code_only_a_page_of_this_site_is_followed(client, clock, target):
    user = UserFactory(role=FRONT_DESK)
    device = enrolled(user)
    sign_in(client, user)
    response = client.post(reverse("two_factor_verify"), {"code": two_factor.current_code(device), "next": target})
    assert response.status_code == 302 and response.url == reverse("home")
