"""Optional two-factor sign-in with a TOTP authenticator app (``django-otp``).

A staff member enrols a device from *Two-factor sign-in* (their account): it is created
unconfirmed and only becomes active once a code from the app is accepted. From then on the
password alone is not enough: after it, every page sends them to the code page until a code is
accepted. With ``ACUCLINIC_REQUIRE_2FA_FOR_ADMINS`` on, a clinic admin without a device is sent
to enrolment before any other page. A wrong code is a failed login for django-axes (so it counts
towards the lockout) and an audit event; enrolment and removal are audited too.

Where a session stands is kept in the session (``SESSION_KEY``), set at login, so pages make no
extra query to know it.
"""

import base64
import io

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from staff.audit import audit_account
from staff.roles import CLINIC_ADMIN

SESSION_KEY = "two_factor"
PENDING = "pending"  # has a device; no code accepted yet in this session
ENROL = "enrol"  # must enrol a device before anything else (clinic admin, when required)
VERIFIED = "verified"
DEVICE_NAME = "Authenticator app"
WRONG_CODE = "That code is not right (or it was already used). Type the 6-digit code your app shows now."
CODE_PAGE = "two_factor_verify"
ACCOUNT_PAGE = "two_factor"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def must_enrol(user) -> bool:
    """Two-factor sign-in is required for this user and they have no device yet."""
    return (
        settings.ACUCLINIC_REQUIRE_2FA_FOR_ADMINS
        and user.groups.filter(name=CLINIC_ADMIN).exists()
        and confirmed_device(user) is None
    )


def on_login(sender, request, user, **kwargs) -> None:
    """After the password: what this session still needs (a code, or an enrolment)."""
    if request is None or not hasattr(request, "session"):
        return
    if confirmed_device(user) is not None:
        request.session[SESSION_KEY] = PENDING
    elif must_enrol(user):
        request.session[SESSION_KEY] = ENROL


def _check_code(device: TOTPDevice, code: str) -> bool:
    """``device.verify_token`` under a row lock (django-otp's throttling and its no-reuse of a
    code rely on it)."""
    code = "".join(code.split())
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        return code.isdigit() and locked.verify_token(code)


def code_failed(request, user, *, what: str) -> None:
    """A wrong code counts as a failed login (django-axes' lockout, and the audit's
    ``login_failed`` through ``staff.authentication.on_login_failed``)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username(), "two_factor": what}, request=request
    )


def totp_verify(request, *, code: str) -> bool:
    """The code page: True (and the session verified) when the user's device accepts ``code``."""
    user = request.user
    device = confirmed_device(user)
    if device is None or not _check_code(device, code):
        code_failed(request, user, what="sign-in code")
        return False
    request.session[SESSION_KEY] = VERIFIED
    audit_account(user=user, action="login", account=user, summary="two-factor code accepted")
    return True


def _require_code(request, device: TOTPDevice | None, code: str, *, missing: str, what: str) -> None:
    """Refuses (ValidationError) unless ``device`` exists and accepts ``code``; a wrong code is a failed login."""
    if device is None:
        raise ValidationError(missing)
    if not _check_code(device, code):
        code_failed(request, request.user, what=what)
        raise ValidationError({"code": WRONG_CODE})


def totp_start(*, user) -> TOTPDevice:
    """A new, unconfirmed device (replacing an earlier unconfirmed one): shown as a QR code and
    a secret until a code from it is accepted. Refused while the user has an active device."""
    if confirmed_device(user) is not None:
        raise ValidationError("Two-factor sign-in is already set up: remove it first to use another app.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_confirm(request, *, code: str) -> TOTPDevice:
    """Activates the user's unconfirmed device once ``code`` from it is accepted; the session
    counts as verified (a code was just given)."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    _require_code(request, device, code, missing="Start the set-up first.", what="enrolment code")
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        audit_account(user=user, action="change", account=user, summary="two-factor sign-in enrolled (TOTP)")
    request.session[SESSION_KEY] = VERIFIED
    device.confirmed = True
    return device


def totp_remove(request, *, code: str) -> None:
    """Removes the user's device, on a current code from it (a borrowed, signed-in session alone
    cannot turn two-factor off)."""
    user = request.user
    device = confirmed_device(user)
    _require_code(request, device, code, missing="Two-factor sign-in is not set up.", what="removal code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit_account(user=user, action="change", account=user, summary="two-factor sign-in removed")
    request.session.pop(SESSION_KEY, None)
    if must_enrol(user):
        request.session[SESSION_KEY] = ENROL


def qr_code(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URL as an SVG QR code, in a ``data:`` URL for an <img>."""
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def secret(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app that cannot scan."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def current_code(device: TOTPDevice) -> str:
    """The code the device shows now (tests and the demo use it as an app would)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


class TwoFactorMiddleware:
    """Sends a signed-in user whose session still needs a code (or, when required, an
    enrolment) to that page; they may only reach it and log out meanwhile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if state in (PENDING, ENROL) and request.user.is_authenticated:
            page = reverse(CODE_PAGE if state == PENDING else ACCOUNT_PAGE)
            if request.path not in (page, reverse("logout")):
                # After the code, back to the page asked for (the code page checks it is ours).
                if state == PENDING and request.method == "GET":
                    page += "?" + urlencode({"next": request.get_full_path()})
                return redirect(page)
        return self.get_response(request)
