"""Patient-facing pages for e-mail links, mounted without login (see clinic/urls.py)."""

from django.urls import path

from scheduling import intake_views, link_views

app_name = "links"
urlpatterns = [
    path("<str:token>/", link_views.link_page, name="page"),
    path("intake/<str:token>/", intake_views.intake_page, name="intake"),
]
