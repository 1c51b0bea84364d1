from django.urls import path

from patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.intake, name="intake"),
    path("search/", views.patient_search_results, name="search"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/screening/new/", views.screening_new, name="screening_new"),
    path("<int:pk>/concerns/", views.concerns_edit, name="concerns"),
    path("<int:pk>/consent/", views.consent_change, name="consent"),
    path("<int:pk>/export/", views.patient_export, name="export"),
    path("<int:pk>/anonymise/", views.patient_anonymise, name="anonymise"),
]
