"""The two-factor pages: the code asked after the password, and the account page where a staff
member sets up or removes their authenticator app (``staff.two_factor`` holds the rules)."""

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from staff import two_factor
from staff.access import staff_only
from staff.errors import add_domain_errors
from staff.lockout import lockout_response
from staff.text import single_line_problem


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from your authenticator app", max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if safe and single_line_problem(wanted) is None:  # no CR/LF into the Location header
        return wanted
    return settings.LOGIN_REDIRECT_URL


@staff_only
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """After the password, for a user with a device: the code, counted by the login throttle."""
    if request.session.get(two_factor.SESSION_KEY) != two_factor.PENDING:
        return redirect(settings.LOGIN_REDIRECT_URL)
    credentials = {"username": request.user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        logout(request)
        return lockout_response(request, None, credentials)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if two_factor.totp_verify(request, code=form.cleaned_data["code"]):
            return redirect(_next_url(request))
        if getattr(request, "axes_locked_out", False):
            logout(request)  # axes' middleware turns this response into the lockout page
        form.add_error("code", two_factor.WRONG_CODE)
    status = 400 if form.errors else 200
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}, status=status)


@staff_only
@require_http_methods(["GET", "POST"])
def two_factor_account(request):
    """Set up (then confirm with a code) or remove the user's authenticator app."""
    action = request.POST.get("action", "")
    # Only confirming and removing take a code.
    form = CodeForm(request.POST if action in ("confirm", "remove") else None)
    if request.method == "POST":
        if action not in ("start", "confirm", "remove"):
            messages.error(request, "Choose set up, confirm or remove.")
            return redirect("two_factor")
        try:
            if action == "start":
                two_factor.totp_start(user=request.user)
                return redirect("two_factor")
            if form.is_valid():
                act = two_factor.totp_confirm if action == "confirm" else two_factor.totp_remove
                act(request, code=form.cleaned_data["code"])
                messages.success(request, "Two-factor sign-in is on." if action == "confirm" else "Two-factor sign-in is off.")
                return redirect("two_factor" if action == "remove" else settings.LOGIN_REDIRECT_URL)
        except ValidationError as exc:
            if not form.is_bound:  # refused before any code was asked (set up twice)
                messages.error(request, " ".join(exc.messages))
                return redirect("two_factor")
            add_domain_errors(exc, form)
    device = two_factor.confirmed_device(request.user)
    pending = None if device else request.user.totpdevice_set.filter(confirmed=False).first()
    context = {
        "form": form,
        "device": device,
        "pending": pending,
        "qr_code": two_factor.qr_code(pending) if pending else "",
        "secret": two_factor.secret(pending) if pending else "",
        "required": request.session.get(two_factor.SESSION_KEY) == two_factor.ENROL,
    }
    return render(request, "registration/two_factor.html", context, status=400 if form.errors else 200)
