from django.contrib.auth.views import LoginView
from django.shortcuts import render

from staff.access import staff_only


class StaffLoginView(LoginView):
    # Throttled by django-axes (its authentication backend and middleware), see settings.
    redirect_authenticated_user = True


@staff_only
def home(request):
    return render(request, "staff/home.html")
