"""Only a superuser grants or removes superuser status, staff status, roles or permissions, in Django
admin, to anyone, themself included (issue 15, item 2). The Administrator role manages accounts
(change_user) but a crafted POST cannot raise anyone's privileges, its own included."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from clinic import roles
from clinic.models import User
from testing.factories import UserFactory


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@test.example", "a-long-password-77")


def change_form(user, **overrides):
    """Everything the user change form posts, plus whatever a crafted request adds."""
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "credential": user.credential,
        "is_active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def role_id(name):
    return Group.objects.get(name=name).pk


def post_change(client, user, **overrides):
    return client.post(reverse("admin:clinic_user_change", args=[user.pk]), change_form(user, **overrides))


def test_administrator_cannot_make_itself_superuser_staff_or_prescriber(client_for, administrator):
    response = post_change(
        client_for(administrator),
        administrator,
        first_name="Changed",
        is_superuser="on",
        is_staff="on",
        groups=[role_id(roles.ADMINISTRATOR), role_id(roles.PRESCRIBER)],
        user_permissions=[Permission.objects.get(codename="view_integrationnote").pk],
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    administrator.refresh_from_db()
    assert administrator.first_name == "Changed"  # the rest of the form was saved
    assert not administrator.is_superuser
    assert set(administrator.groups.values_list("name", flat=True)) == {roles.ADMINISTRATOR}
    assert not administrator.user_permissions.exists()
    assert not administrator.has_perm(roles.VIEW_NOTE)


def test_administrator_cannot_make_anyone_superuser_staff_or_give_a_role(client_for, administrator, nurse):
    post_change(
        client_for(administrator),
        nurse,
        is_superuser="on",
        is_staff="on",
        groups=[role_id(roles.NURSE), role_id(roles.ADMINISTRATOR)],
    )
    nurse.refresh_from_db()
    assert not nurse.is_superuser and not nurse.is_staff
    assert set(nurse.groups.values_list("name", flat=True)) == {roles.NURSE}


def test_administrator_cannot_remove_a_role(client_for, administrator, nurse):
    post_change(client_for(administrator), nurse, groups=[])
    assert nurse.has_role(roles.NURSE)


def test_administrator_sees_privileges_read_only(client_for, administrator, nurse):
    page = (
        client_for(administrator).get(reverse("admin:clinic_user_change", args=[nurse.pk])).content.decode()
    )
    assert 'name="first_name"' in page
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page
    assert "Only a superuser grants or removes roles" in page


def test_administrator_creates_an_account_without_a_role(client_for, administrator):
    client = client_for(administrator)
    assert 'name="groups"' not in client.get(reverse("admin:clinic_user_add")).content.decode()
    response = client.post(
        reverse("admin:clinic_user_add"),
        {
            "email": "new.hire@test.example",
            "first_name": "New",
            "last_name": "Hire",
            "groups": [role_id(roles.ADMINISTRATOR)],
            "is_superuser": "on",
            "password1": "a-long-password-77",
            "password2": "a-long-password-77",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.hire@test.example")
    assert not user.is_superuser and not user.is_staff and not user.groups.exists()


def test_administrator_cannot_change_a_superuser_s_account(client_for, administrator, superuser):
    client = client_for(administrator)
    assert post_change(client, superuser, email="attacker@test.example").status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "root@test.example"
    response = client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),  # Django's fixed name
        {"password1": "taken-over-password-1", "password2": "taken-over-password-1"},
    )
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert not superuser.check_password("taken-over-password-1")


def test_superuser_grants_and_removes_roles_staff_and_superuser(client_for, superuser, nurse):
    client = client_for(superuser)
    response = post_change(client, nurse, groups=[role_id(roles.ADMINISTRATOR)], is_superuser="on")
    assert response.status_code == 302, response.content.decode()[:2000]
    nurse.refresh_from_db()
    assert nurse.is_superuser and nurse.is_staff  # staff status follows the Administrator role
    assert set(nurse.groups.values_list("name", flat=True)) == {roles.ADMINISTRATOR}

    post_change(client, nurse, groups=[role_id(roles.NURSE)])
    nurse.refresh_from_db()
    assert not nurse.is_superuser and not nurse.is_staff
    assert set(nurse.groups.values_list("name", flat=True)) == {roles.NURSE}


def test_superuser_creates_an_account_with_a_role(client_for, superuser):
    response = client_for(superuser).post(
        reverse("admin:clinic_user_add"),
        {
            "email": "New.Nurse@test.example",
            "first_name": "New",
            "last_name": "Nurse",
            "credential": "RN",
            "groups": [role_id(roles.NURSE)],
            "password1": "a-long-password-77",
            "password2": "a-long-password-77",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.nurse@test.example")
    assert user.has_role(roles.NURSE) and not user.is_staff


def test_administrator_cannot_edit_role_permissions(client_for, administrator):
    client = client_for(administrator)
    nurse_role = Group.objects.get(name=roles.NURSE)
    url = reverse("admin:auth_group_change", args=[nurse_role.pk])
    assert client.get(url).status_code == 200  # may look (auth.view_group)
    before = set(nurse_role.permissions.values_list("pk", flat=True))
    granted = Permission.objects.get(codename="add_screeningdecision").pk  # a prescriber's
    response = client.post(url, {"name": roles.NURSE, "permissions": [*before, granted]})
    assert response.status_code == 403
    assert set(nurse_role.permissions.values_list("pk", flat=True)) == before
    assert (
        client.post(reverse("admin:auth_group_add"), {"name": "Shadow", "permissions": [granted]}).status_code
        == 403
    )
    assert not Group.objects.filter(name="Shadow").exists()


def test_superuser_sees_role_permissions_read_only(client_for, superuser):
    """The role sync after every migrate would undo an edit (clinic/role_sync.py)."""
    nurse_role = Group.objects.get(name=roles.NURSE)
    page = (
        client_for(superuser).get(reverse("admin:auth_group_change", args=[nurse_role.pk])).content.decode()
    )
    assert 'name="permissions"' not in page


def test_an_account_saved_in_admin_has_a_verified_address(client_for, administrator):
    """The administrator vouches for the address, so allauth lets the new staff member enrol MFA."""
    staff_member = UserFactory(email="before@test.example")
    EmailAddress.objects.filter(user=staff_member).update(verified=False)
    post_change(client_for(administrator), staff_member, email="after@test.example")
    assert list(
        EmailAddress.objects.filter(user=staff_member).values_list("email", "verified", "primary")
    ) == [("after@test.example", True, True)]
