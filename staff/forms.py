from django import forms
from django.contrib.auth.forms import AuthenticationForm

from staff.throttle import login_failed, login_locked, login_succeeded


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "Too many failed attempts. Please wait 15 minutes or reset your password.",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if login_locked(username, ip):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failed(username, ip)
            raise
        login_succeeded(username, ip)
        return cleaned
