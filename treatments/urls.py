from django.urls import path

from treatments import record_views, views

app_name = "treatments"
urlpatterns = [
    path("patients/<int:patient_pk>/plan/", views.patient_plan, name="patient_plan"),
    path("patients/<int:patient_pk>/plan/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/template/", views.template_new, name="template_new"),
    path("templates/", views.template_list, name="template_list"),
    path("today/", views.today, name="today"),
    path("visits/<int:visit_pk>/session/", views.session_new, name="session_new"),
    path("visits/<int:visit_pk>/session/screening/", views.session_screening, name="session_screening"),
    path("sessions/<int:pk>/", record_views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/addenda/", record_views.addendum_new, name="addendum_new"),
    path("sessions/<int:pk>/photos/", record_views.photo_new, name="photo_new"),
    path("photos/<int:pk>/", record_views.photo_file, name="photo_file"),
    path("patients/<int:patient_pk>/sessions/", record_views.patient_sessions, name="patient_sessions"),
    path("patients/<int:patient_pk>/photos/", record_views.photo_compare, name="photo_compare"),
    path("series/<int:pk>/outcomes/", record_views.series_outcomes, name="series_outcomes"),
]
