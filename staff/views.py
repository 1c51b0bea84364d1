from django.contrib.auth.views import LoginView
from django.shortcuts import render

from staff.access import staff_only
from staff.forms import ThrottledAuthenticationForm


class StaffLoginView(LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@staff_only
def home(request):
    return render(request, "staff/home.html")
