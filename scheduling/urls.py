from django.urls import path

from scheduling import calendar_views, closure_views, intake_views, views, waitlist_views

app_name = "scheduling"
urlpatterns = [
    path("calendar/", calendar_views.calendar, name="calendar"),
    path("series/new/", views.series_new, name="series_new"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("visits/<int:pk>/move/", views.visit_move, name="visit_move"),
    path("visits/<int:pk>/cancel/", views.visit_cancel, name="visit_cancel"),
    path("visits/<int:pk>/status/<str:status>/", views.visit_change_status, name="visit_status"),
    path("patients/<int:pk>/", views.patient_visits, name="patient"),
    path("patients/<int:pk>/maintenance/", views.maintenance_interval, name="maintenance_interval"),
    path("maintenance/", views.maintenance_list, name="maintenance"),
    path("reminders/", views.reminder_list, name="reminders"),
    path("reminders/<int:pk>/send-again/", views.reminder_send_again, name="reminder_send_again"),
    path("requests/", views.request_list, name="requests"),
    path("intake/invite/", intake_views.intake_invite_page, name="intake_invite"),
    path("closures/decisions/", closure_views.decision_list, name="decisions"),
    path("closures/decisions/<int:pk>/", closure_views.decision_make, name="decision_make"),
    path("requests/<int:pk>/handled/", views.request_handled, name="request_handled"),
    path("waitlist/", waitlist_views.waitlist_list, name="waitlist"),
    path("waitlist/<int:pk>/close/", waitlist_views.waitlist_close, name="waitlist_close"),
    path("waitlist/<int:pk>/book/", waitlist_views.waitlist_book, name="waitlist_book"),
]
