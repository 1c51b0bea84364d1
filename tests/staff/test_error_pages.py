"""The 403, 404 and 500 pages in the site layout, and /admin/ for staff without the admin right."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["front_desk", "acupuncturist"])
def test_staff_without_the_admin_right_get_the_friendly_403_at_admin_not_a_redirect_loop(client, request, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert len(response.redirect_chain) <= 1  # at most /admin/ → /admin/login/, then the 403
    page = response.content.decode()
    assert "not part of your role" in page and 'aria-label="Main"' in page
    assert reverse("patients:list") in page  # the navigation is there


def test_the_clinic_admin_still_reaches_the_admin(admin_client_):
    assert admin_client_.get("/admin/").status_code == 200


def test_anonymous_visitors_of_the_admin_are_asked_to_sign_in(client):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200 and 'name="password"' in response.content.decode()


def test_a_403_inside_the_app_has_the_layout_and_navigation(acupuncturist_client):
    response = acupuncturist_client.get(reverse("scheduling:series_new"))
    assert response.status_code == 403
    assert "not part of your role" in response.content.decode() and 'aria-label="Main"' in response.content.decode()


def test_a_404_has_the_layout_and_navigation(front_desk_client):
    response = front_desk_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode() and reverse("patients:list") in response.content.decode()


def test_the_500_page_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and 'href="/"' in page and "<nav" in page
