import re

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from staff.roles import ACUPUNCTURIST, CLINIC_ADMIN, FRONT_DESK, role_permissions, sync_roles, user_roles
from tests.factories import PASSWORD, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_NAMESPACES = {"patients", "scheduling", "treatments"}


def staff_urls() -> list[str]:
    """Every URL of the staff apps, with 1 for each path argument."""
    urls = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace in STAFF_NAMESPACES:
                route = prefix + str(pattern.pattern)
                urls.append("/" + re.sub(r"<(?:\w+:)?\w+>", "1", route).lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "", None)
    return urls


def test_every_app_has_staff_urls():
    assert len(staff_urls()) >= 7


@pytest.mark.parametrize("url", staff_urls())
def test_anonymous_requests_to_staff_pages_go_to_login(client, url):
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_home_needs_login(client):
    assert client.get("/").url.startswith(reverse("login"))


@pytest.mark.parametrize("url_name", ["patients:intake", "patients:edit", "patients:screening_new"])
def test_roles_without_the_right_get_403(client, url_name):
    PatientFactory(pk=1)
    acupuncturist = UserFactory(role=ACUPUNCTURIST)
    client.force_login(acupuncturist)
    kwargs = {} if url_name == "patients:intake" else {"pk": 1}
    expected = 200 if url_name == "patients:screening_new" else 403  # acupuncturists record screening at the visit
    assert client.get(reverse(url_name, kwargs=kwargs)).status_code == expected


def test_staff_without_a_role_sees_nothing(client):
    client.force_login(UserFactory())
    assert client.get(reverse("patients:list")).status_code == 403


@pytest.mark.parametrize("role", [FRONT_DESK, ACUPUNCTURIST])
def test_only_the_clinic_admin_manages_staff(client, role):
    client.force_login(UserFactory(role=role))
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_clinic_admin_manages_staff_and_reads_the_audit_log(client):
    client.force_login(UserFactory(role=CLINIC_ADMIN))
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    assert client.get(reverse("admin:staff_auditevent_changelist")).status_code == 200


def test_groups_match_the_role_lists_after_sync():
    group = Group.objects.get(name=FRONT_DESK)
    group.permissions.clear()
    sync_roles()
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert granted == role_permissions()[FRONT_DESK]


def test_front_desk_holds_no_clinical_permission():
    clinical = {perm for perm in role_permissions()[FRONT_DESK] if perm.startswith("treatments.")}
    # Front desk may only learn that a plan exists (SPEC §1).
    assert clinical <= {"treatments.view_plan_status"}


def test_login_works_and_logout_is_a_post(client):
    user = UserFactory(role=FRONT_DESK)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_an_email_with_a_working_link(client):
    user = UserFactory(email="lin@clinic.example")
    client.post(reverse("password_reset"), {"email": "lin@clinic.example"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session value
    response = client.post(form_url, {"new_password1": "a-brand-new-secret-9", "new_password2": "a-brand-new-secret-9"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-secret-9")


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "another-long-secret-7", "new_password2": "another-long-secret-7"},
    )
    user.refresh_from_db()
    assert user.check_password("another-long-secret-7")


def test_roles_and_permissions_are_read_in_one_query_as_django_reads_them(django_assert_num_queries):
    user = UserFactory(role=FRONT_DESK)
    user.groups.add(Group.objects.get(name=ACUPUNCTURIST))
    user.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        assert user_roles(fresh) == {FRONT_DESK, ACUPUNCTURIST}
        assert fresh.has_perm("admin.view_logentry") and fresh.has_perm("scheduling.view_visit")
        permissions = fresh.get_all_permissions()
    django = ModelBackend()  # two queries of its own, and the roles a third
    expected = User.objects.get(pk=user.pk)
    assert permissions == django.get_all_permissions(expected)
    assert fresh.get_group_permissions() == django.get_group_permissions(expected)
    assert fresh.get_user_permissions() == {"admin.view_logentry"}
    assert user_roles(UserFactory()) == set()  # no role: no permissions either
