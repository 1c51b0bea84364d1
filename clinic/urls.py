from django.contrib import admin
from django.urls import include, path

from staff.two_factor_views import two_factor_account, two_factor_verify
from staff.views import (
    StaffLoginView,
    StaffPasswordChangeView,
    StaffPasswordResetConfirmView,
    StaffPasswordResetView,
    admin_login,
    home,
)

admin.site.site_header = "Acuclinic administration"
admin.site.site_title = "Acuclinic"
# The admin uses the same throttled login as the app; signed-in staff without the admin right get 403.
admin.site.login = admin_login

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", StaffLoginView.as_view(), name="login"),
    # Audited password changes and the hourly limit on reset e-mails; the rest as Django has them.
    path("accounts/password_change/", StaffPasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_reset/", StaffPasswordResetView.as_view(), name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", StaffPasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/two-factor/", two_factor_account, name="two_factor"),
    path("accounts/two-factor/code/", two_factor_verify, name="two_factor_verify"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("scheduling/", include("scheduling.urls")),
    # Reminder e-mail links: no login, the signed token is the key.
    path("r/", include("scheduling.link_urls")),
    path("treatments/", include("treatments.urls")),
    path("admin/", admin.site.urls),
]
