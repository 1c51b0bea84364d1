"""Sign-in events: the audit of logins, logouts, failures and lockouts; idle logoff; the limit on
password reset e-mails."""

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.utils import timezone

from staff.audit import audit_account
from staff.models import PasswordResetRequest

# Session keys
LAST_SEEN = "last_seen"
LOGOFF_REASON = "logoff_reason"
# Refresh the last-seen time at most this often: a session write on every page would be a query.
LAST_SEEN_GRANULARITY = 60  # seconds


def _address(request) -> str:
    return getattr(request, "axes_ip_address", None) or (request.META.get("REMOTE_ADDR", "") if request else "")


def on_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())
    audit_account(user=user, action="login", account=user, summary=f"from {_address(request)}")


def on_logout(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    reason = request.session.get(LOGOFF_REASON, "signed out") if request is not None else "signed out"
    audit_account(user=user, action="logout", account=user, summary=reason)


def _account(username: str) -> User | None:
    return User.objects.filter(username=username).first() if username else None


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = (credentials or {}).get("username", "")
    audit_account(user=None, action="login_failed", account=_account(username),
                  summary=f"as {username!r} from {_address(request)}")


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    audit_account(user=None, action="lockout", account=_account(username), summary=f"as {username!r} from {ip_address}")


def is_idle(session, *, now: float) -> bool:
    last_seen = session.get(LAST_SEEN)
    return last_seen is not None and now - last_seen > settings.IDLE_LOGOFF_MINUTES * 60


class IdleLogoffMiddleware:
    """Signs a staff member out after IDLE_LOGOFF_MINUTES without a request. The last-seen time
    lives in the session and is rewritten only when it is a minute old, so most pages add no query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            if is_idle(request.session, now=now):
                request.session[LOGOFF_REASON] = "idle logoff"
                logout(request)
                return redirect_to_login(request.get_full_path())
            if now - request.session.get(LAST_SEEN, 0) >= LAST_SEEN_GRANULARITY:
                request.session[LAST_SEEN] = int(now)
        return self.get_response(request)


@transaction.atomic
def password_reset_claim(*, email: str) -> bool:
    """True when another reset e-mail may go to this address now (and counts it); False once
    PASSWORD_RESET_PER_HOUR have gone within the hour."""
    email = email.strip().lower()
    now = timezone.now()
    PasswordResetRequest.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    recent = PasswordResetRequest.objects.select_for_update().filter(email=email, at__gte=now - dt.timedelta(hours=1))
    if len(recent) >= settings.PASSWORD_RESET_PER_HOUR:
        return False
    PasswordResetRequest.objects.create(email=email, at=now)
    return True
