"""What a locked-out login sees (django-axes calls ``lockout_response``, see AXES_LOCKOUT_CALLABLE)."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

HTTP_TOO_MANY_REQUESTS = 429


def lockout_message(cooloff: dt.timedelta) -> str:
    """The message names the cool-off actually configured, not a number written into a template."""
    minutes = max(1, round(cooloff.total_seconds() / 60))
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"Too many failed login attempts. Please wait {wait} before trying again, or reset your password."


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """The login page again, with the lockout message instead of a form error (and 429)."""
    username = (credentials or {}).get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    return render(
        request,
        "registration/login.html",
        {"form": form, "lockout_message": lockout_message(settings.AXES_COOLOFF_TIME), "next": request.POST.get("next", "")},
        status=HTTP_TOO_MANY_REQUESTS,
    )
