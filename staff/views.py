from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from staff.access import staff_only
from staff.accounts import password_changed
from staff.authentication import password_reset_claim


class StaffLoginView(auth_views.LoginView):
    # Throttled by django-axes (its authentication backend and middleware), see settings.
    redirect_authenticated_user = True


class StaffPasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        if not password_reset_claim(email=form.cleaned_data["email"]):
            # Over the hourly limit: the same "sent" page, so the page tells nothing about the address.
            return redirect(self.get_success_url())
        return super().form_valid(form)


class StaffPasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(account=form.user, how="signed in")
        return response


class StaffPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(account=form.user, how="reset link")
        return response


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
