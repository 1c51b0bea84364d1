"""The staff admin: nobody widens their own access, passwords for others go by e-mail, all audited."""

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import mail

from staff.audit import audit_record
from staff.models import AuditEvent
from staff.roles import ACUPUNCTURIST, CLINIC_ADMIN, FRONT_DESK
from tests.factories import PASSWORD, PatientFactory, UserFactory, clinic_admin_user, front_desk_user

pytestmark = pytest.mark.django_db


def change_url(user) -> str:
    return f"/admin/auth/user/{user.pk}/change/"


def account_post(user, **overrides) -> dict:
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "is_active": "on", "groups": [g.pk for g in user.groups.all()]}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def admin_user(db):
    return clinic_admin_user(username="boss")


@pytest.fixture
def admin_web(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_clinic_admin_cannot_make_itself_superuser_or_give_itself_a_role(admin_web, admin_user):
    acupuncturist = Group.objects.get(name=ACUPUNCTURIST)
    response = admin_web.post(change_url(admin_user), account_post(
        admin_user, is_superuser="on", groups=[acupuncturist.pk, Group.objects.get(name=CLINIC_ADMIN).pk]))
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser
    assert set(admin_user.groups.values_list("name", flat=True)) == {CLINIC_ADMIN}


def test_a_clinic_admin_cannot_grant_superuser_staff_status_or_single_permissions_to_others(admin_web):
    desk = front_desk_user()
    perm = Permission.objects.get(codename="view_sessionrecord")
    admin_web.post(change_url(desk), account_post(desk, is_superuser="on", is_staff="on", user_permissions=[perm.pk]))
    desk.refresh_from_db()
    assert (desk.is_superuser, desk.is_staff, desk.user_permissions.count()) == (False, False, 0)


def test_a_role_change_for_someone_else_is_audited_with_before_and_after(admin_web, admin_user):
    desk = front_desk_user()
    acupuncturist = Group.objects.get(name=ACUPUNCTURIST)
    admin_web.post(change_url(desk), account_post(desk, groups=[acupuncturist.pk]))
    assert list(desk.groups.values_list("name", flat=True)) == [ACUPUNCTURIST]
    event = AuditEvent.objects.get(action="change", object_type="auth.user", object_id=str(desk.pk))
    assert event.user == admin_user
    assert event.changes == {"groups": [[FRONT_DESK], [ACUPUNCTURIST]]}


def test_a_superuser_grants_single_permissions_and_it_is_audited(client):
    root = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(root)
    desk = front_desk_user()
    perm = Permission.objects.get(codename="view_sessionrecord")
    client.post(change_url(desk), account_post(desk, user_permissions=[perm.pk]))
    assert desk.has_perm("treatments.view_sessionrecord")
    event = AuditEvent.objects.get(action="change", object_id=str(desk.pk))
    assert event.changes == {"user_permissions": [[], ["treatments.view_sessionrecord"]]}


def test_a_superuser_cannot_change_its_own_roles_either(client):
    root = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(root)
    client.post(change_url(root), account_post(root, groups=[Group.objects.get(name=ACUPUNCTURIST).pk]))
    assert not root.groups.exists()


def test_a_clinic_admin_cannot_edit_a_superuser_account(admin_web):
    root = UserFactory(is_superuser=True, is_staff=True, email="root@clinic.example")
    response = admin_web.post(change_url(root), account_post(root, email="boss@evil.example"))
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.email == "root@clinic.example"


def test_nobody_types_another_users_password(admin_web, admin_user):
    desk = front_desk_user()
    url = f"/admin/auth/user/{desk.pk}/password/"
    assert admin_web.get(url).status_code == 403
    assert admin_web.post(url, {"password1": "Taken-over-2026", "password2": "Taken-over-2026"}).status_code == 403
    desk.refresh_from_db()
    assert desk.check_password(PASSWORD)
    assert admin_web.get(f"/admin/auth/user/{admin_user.pk}/password/").url == "/accounts/password_change/"


def test_the_reset_action_mails_the_account_owner_and_is_audited(admin_web, admin_user):
    desk = front_desk_user()
    admin_web.post("/admin/auth/user/", {"action": "send_password_reset", "_selected_action": [desk.pk]})
    assert [m.to for m in mail.outbox] == [[desk.email]]
    assert AuditEvent.objects.filter(user=admin_user, object_id=str(desk.pk), summary="password reset e-mail sent").exists()


def test_a_new_account_gets_no_typed_password_but_a_reset_e_mail_and_an_audit_event(admin_web, admin_user):
    admin_web.post("/admin/auth/user/add/", {"username": "newbie", "first_name": "New", "last_name": "Bie",
                                             "email": "newbie@clinic.example"})
    newbie = User.objects.get(username="newbie")
    assert newbie.has_usable_password() and not newbie.is_staff
    assert [m.to for m in mail.outbox] == [["newbie@clinic.example"]]
    event = AuditEvent.objects.get(action="create", object_id=str(newbie.pk))
    assert event.changes["username"] == [None, "newbie"]


def test_role_permissions_are_read_only_in_the_admin(admin_web):
    group = Group.objects.get(name=FRONT_DESK)
    before = set(group.permissions.values_list("pk", flat=True))
    assert admin_web.get(f"/admin/auth/group/{group.pk}/change/").status_code == 200
    response = admin_web.post(f"/admin/auth/group/{group.pk}/change/",
                              {"name": FRONT_DESK, "permissions": [Permission.objects.get(codename="view_sessionrecord").pk]})
    assert response.status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before


def test_the_audit_log_exports_the_selected_events_as_csv(admin_web, admin_user):
    desk = front_desk_user()
    admin_web.post(change_url(desk), account_post(desk, first_name="=HYPERLINK(1)"))
    event = AuditEvent.objects.get(action="change")
    response = admin_web.post("/admin/staff/auditevent/", {"action": "export_csv", "_selected_action": [event.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["seq", "at", "user", "action"]
    assert rows[1][2:4] == ["boss", "change"]
    assert '"=HYPERLINK(1)"' in rows[1][8]


def test_the_audit_log_filters_by_patient_staff_member_and_period(admin_web, admin_user):
    desk = front_desk_user()
    mine, other = PatientFactory(), PatientFactory()
    audit_record(user=desk, action="view", obj=mine, patient_id=mine.pk)
    audit_record(user=admin_user, action="view", obj=mine, patient_id=mine.pk)
    audit_record(user=desk, action="view", obj=other, patient_id=other.pk)
    response = admin_web.get("/admin/staff/auditevent/", {"patient_id": mine.pk, "user__id__exact": desk.pk,
                                                          "at__gte": "2000-01-01T00:00:00+00:00",
                                                          "at__lt": "2999-01-01T00:00:00+00:00"})
    assert [(e.user, e.patient_id) for e in response.context["cl"].result_list] == [(desk, mine.pk)]
