from django.contrib import admin
from django.urls import include, path

from staff.views import StaffLoginView, admin_login, home

admin.site.site_header = "Acuclinic administration"
admin.site.site_title = "Acuclinic"
# The admin uses the same throttled login as the app; signed-in staff without the admin right get 403.
admin.site.login = admin_login

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", StaffLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("scheduling/", include("scheduling.urls")),
    # Reminder e-mail links: no login, the signed token is the key.
    path("r/", include("scheduling.link_urls")),
    path("treatments/", include("treatments.urls")),
    path("admin/", admin.site.urls),
]
