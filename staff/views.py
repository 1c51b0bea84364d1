from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from staff.access import staff_only


class StaffLoginView(LoginView):
    # Throttled by django-axes (its authentication backend and middleware), see settings.
    redirect_authenticated_user = True


@staff_only
def home(request):
    return render(request, "staff/home.html")


def admin_login(request, extra_context=None):
    """The admin's login page. Staff signed in without the admin right (front desk,
    acupuncturists) get the friendly 403 with navigation: sending them to a login page that
    sends signed-in users back to /admin/ looped ("too many redirects")."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return StaffLoginView.as_view(template_name="registration/login.html", extra_context=extra_context)(request)
