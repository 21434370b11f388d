"""Capabilities are named once, in clinic/roles.py: views, templates and tests use the names, and the
groups in the database are synced from ROLE_PERMISSIONS after every migrate."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.template import Context, Template, TemplateSyntaxError, engines

from clinic import role_sync, roles

TEMPLATE_DIRS = [Path(folder) for folder in settings.TEMPLATES[0]["DIRS"]]
CAN = re.compile(r"""\|\s*can\s*:\s*(?P<quote>["'])(?P<name>.*?)(?P=quote)""")


def every_template():
    """(path, text) of every project template, including app templates/ folders."""
    folders = list(TEMPLATE_DIRS)
    folders += [Path(loader_dir) for loader_dir in _app_template_dirs()]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in {".html", ".txt", ".xml", ".svg"}:
                yield path, path.read_text(encoding="utf-8")


def _app_template_dirs():
    from django.template.utils import get_app_template_dirs

    base = Path(settings.BASE_DIR).resolve()
    return [folder for folder in get_app_template_dirs("templates") if base in Path(folder).resolve().parents]


def perm(name):
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def granted(role):
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


# Capabilities ------------------------------------------------------------------------------------


def test_every_capability_is_a_permission_some_role_holds():
    for name, permission in roles.CAPABILITIES.items():
        assert getattr(roles, name) == permission
        assert any(permission in perms for perms in roles.ROLE_PERMISSIONS.values()), name


def test_every_permission_in_roles_py_names_an_installed_model():
    assert role_sync.unknown_permissions() == []


def test_a_permission_no_model_defines_is_found_and_reported_by_check():
    unknown = role_sync.unknown_permissions({roles.NURSE: [roles.VIEW_PATIENT, "patients.view_pateint"]})
    assert unknown == [(roles.NURSE, "patients.view_pateint")]


def test_check_reports_a_typo_in_roles_py(monkeypatch):
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, roles.NURSE, ["patients.view_pateint"])
    [error] = role_sync.role_permissions_exist(None)
    assert error.id == "clinic.E001"
    assert "'patients.view_pateint' (given to Nurse)" in error.msg


def test_users_have_capabilities_by_constant(nurse, therapist):
    assert nurse.has_perm(roles.CHART_SESSION)
    assert not therapist.has_perm(roles.CHART_SESSION)


# Templates --------------------------------------------------------------------------------------


def test_no_template_uses_perms_literals():
    """Templates name capabilities (user|can:"NAME"), never an app label and codename."""
    offenders = [
        f"{path}:{number}: {line.strip()}"
        for path, text in every_template()
        for number, line in enumerate(text.splitlines(), start=1)
        if re.search(r"\bperms\b", line)
    ]
    assert not offenders, 'use {% load roles %} and user|can:"NAME" instead:\n' + "\n".join(offenders)


def test_every_capability_a_template_names_exists_and_the_template_loads_roles():
    """{% if %} turns an error inside and/or/not into False, so a typo there would not fail a render."""
    used = 0
    for path, text in every_template():
        names = [match["name"] for match in CAN.finditer(text)]
        if not names:
            continue
        used += len(names)
        assert len(names) == len(re.findall(r"\|\s*can\s*:", text)), f"{path}: name capabilities in quotes"
        assert re.search(r"{%\s*load\s[^%]*\broles\b", text), f"{path} uses |can: without {{% load roles %}}"
        unknown = sorted(set(names) - set(roles.CAPABILITIES))
        assert not unknown, f"{path} names capabilities that clinic/roles.py does not have: {unknown}"
    assert used > 20  # the walk found the templates


def test_every_template_compiles():
    engine = engines["django"]
    compiled = [
        engine.get_template(str(path.relative_to(folder)))
        for folder in TEMPLATE_DIRS
        for path in sorted(folder.rglob("*.html")) + sorted(folder.rglob("*.txt"))
    ]
    assert len(compiled) > 100  # the walk found the project's templates, and each one parsed


def render(source, user):
    return Template("{% load roles %}" + source).render(Context({"user": user}))


def test_can_filter_asks_the_user(nurse, therapist):
    source = '{% if user|can:"CHART_SESSION" %}yes{% else %}no{% endif %}'
    assert render(source, nurse) == "yes"
    assert render(source, therapist) == "no"
    assert render(source, AnonymousUser()) == "no"
    assert render(source, "") == "no"  # no user in the context


@pytest.mark.parametrize(
    "name",
    [
        "CHART_SESION",
        "treatment_sessions.change_treatmentsession",
        "chart_session",
        "ROLE_PERMISSIONS",
        "NURSE",
    ],
)
def test_can_filter_refuses_a_name_that_is_not_a_capability(nurse, name):
    with pytest.raises(TemplateSyntaxError, match=r"not a capability in clinic/roles\.py"):
        render(f'{{% if user|can:"{name}" %}}yes{{% endif %}}', nurse)


def test_staff_menu_follows_the_capabilities(client_for, nurse, therapist, administrator):
    from django.urls import reverse

    def menu(user):
        return client_for(user).get(reverse("patients:list")).content.decode()

    assert ">Ledger</a>" in menu(nurse)
    assert ">Ledger</a>" not in menu(therapist)
    assert ">Caseload</a>" in menu(therapist)
    assert ">Caseload</a>" not in menu(administrator)


# Sync -------------------------------------------------------------------------------------------


def test_the_database_matches_roles_py_after_migrate(db):
    for role, perms in roles.ROLE_PERMISSIONS.items():
        assert granted(role) == set(perms), role


def test_migrate_revokes_an_extra_permission_and_grants_a_missing_one(db):
    nurse = Group.objects.get(name=roles.NURSE)
    nurse.permissions.add(perm(roles.ORDER_DOSE))
    nurse.permissions.remove(perm(roles.CHART_SESSION))

    call_command("migrate", verbosity=0)

    assert granted(roles.NURSE) == set(roles.ROLE_PERMISSIONS[roles.NURSE])


def test_migrate_says_what_it_changed(db):
    Group.objects.get(name=roles.THERAPIST).permissions.add(perm(roles.ORDER_DOSE))
    out = io.StringIO()
    call_command("migrate", verbosity=1, stdout=out)
    assert f"Role Therapist: granted nothing; revoked {roles.ORDER_DOSE}" in out.getvalue()


def test_sync_creates_a_missing_group_and_keeps_other_groups(db):
    Group.objects.filter(name=roles.FRONT_DESK).delete()
    other = Group.objects.create(name="Volunteers")
    other.permissions.add(perm(roles.VIEW_PATIENT))

    changes = role_sync.sync_roles(verbosity=0)

    assert changes == {roles.FRONT_DESK: (sorted(roles.ROLE_PERMISSIONS[roles.FRONT_DESK]), [])}
    assert granted(roles.FRONT_DESK) == set(roles.ROLE_PERMISSIONS[roles.FRONT_DESK])
    assert granted("Volunteers") == {roles.VIEW_PATIENT}


def test_sync_keeps_the_group_and_its_members(db, nurse):
    group = Group.objects.get(name=roles.NURSE)
    group.permissions.clear()
    role_sync.sync_roles(verbosity=0)
    assert Group.objects.get(name=roles.NURSE).pk == group.pk
    assert list(nurse.groups.values_list("name", flat=True)) == [roles.NURSE]


def test_sync_twice_changes_nothing(db):
    Group.objects.get(name=roles.PRESCRIBER).permissions.clear()
    assert role_sync.sync_roles(verbosity=0)
    before = {role: granted(role) for role in roles.ALL_ROLES}
    assert role_sync.sync_roles(verbosity=0) == {}
    assert role_sync.sync_roles(verbosity=0) == {}
    assert {role: granted(role) for role in roles.ALL_ROLES} == before


def test_a_new_grant_in_roles_py_reaches_the_database_on_migrate(db, monkeypatch):
    monkeypatch.setitem(
        roles.ROLE_PERMISSIONS,
        roles.FRONT_DESK,
        [*roles.ROLE_PERMISSIONS[roles.FRONT_DESK], roles.VIEW_LEDGER],
    )
    call_command("migrate", verbosity=0)
    assert roles.VIEW_LEDGER in granted(roles.FRONT_DESK)


def test_a_typo_in_roles_py_stops_migrate_before_anything_changes(db, monkeypatch):
    Group.objects.get(name=roles.NURSE).permissions.add(perm(roles.ORDER_DOSE))
    monkeypatch.setitem(
        roles.ROLE_PERMISSIONS,
        roles.NURSE,
        [*roles.ROLE_PERMISSIONS[roles.NURSE], "treatment_sessions.view_sesion"],
    )
    with pytest.raises(ImproperlyConfigured, match=r"'treatment_sessions\.view_sesion' \(given to Nurse\)"):
        call_command("migrate", verbosity=0)
    assert roles.ORDER_DOSE in granted(roles.NURSE)  # nothing was synced


def test_a_permission_of_an_app_that_is_not_installed_is_refused(db, monkeypatch):
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, roles.NURSE, ["billing.view_invoice"])
    with pytest.raises(ImproperlyConfigured, match=r"billing\.view_invoice"):
        role_sync.sync_roles(verbosity=0)


def test_sync_does_not_depend_on_the_order_apps_make_their_permissions(db):
    """post_migrate reaches clinic before the apps listed after it have made their permissions."""
    Permission.objects.filter(content_type__app_label__in=["treatment_sessions", "assessments"]).delete()
    assert not granted(roles.NURSE) >= {roles.CHART_SESSION, roles.VIEW_RESPONSES}

    role_sync.sync_roles(verbosity=0)

    for role, perms in roles.ROLE_PERMISSIONS.items():
        assert granted(role) == set(perms), role
