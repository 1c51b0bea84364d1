from django.urls import path

from treatments import views

app_name = "treatments"
urlpatterns = [
    path("patients/<int:patient_pk>/plan/", views.patient_plan, name="patient_plan"),
    path("patients/<int:patient_pk>/plan/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/template/", views.template_new, name="template_new"),
    path("templates/", views.template_list, name="template_list"),
]
