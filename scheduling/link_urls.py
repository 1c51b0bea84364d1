"""Patient-facing pages for e-mail links, mounted without login (see clinic/urls.py)."""

from django.urls import path

from scheduling import health_check_views, intake_views, link_views

app_name = "links"
urlpatterns = [
    path("check/<str:token>/", health_check_views.health_check_page, name="health_check"),
    path("<str:token>/", link_views.link_page, name="page"),
    path("intake/<str:token>/", intake_views.intake_page, name="intake"),
]
