"""Make the staff groups hold exactly what clinic/roles.py says, after every ``migrate``.

ClinicConfig.ready() connects ``sync_roles_after_migrate`` to post_migrate. Django sends post_migrate
once per app, in INSTALLED_APPS order, and makes each app's permissions in that app's turn; so the
sync first makes the permissions of every installed app itself (``create_permissions`` is
idempotent) and does not depend on where clinic sits in INSTALLED_APPS.

``sync_roles()`` can be called directly too (tests, a shell). It is idempotent: a second run changes
nothing. A permission string in roles.py that no installed model defines (a typo, a model that
moved to another app) raises ImproperlyConfigured before anything is written, so a mistake never
silently grants nothing; ``manage.py check`` reports the same as clinic.E001.
"""

import sys

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, router, transaction

from clinic import roles


def defined_permissions(apps=global_apps):
    """Every "app_label.codename" the models in ``apps`` define: the default ones and Meta.permissions."""
    defined = set()
    for model in apps.get_models():
        opts = model._meta
        defined.update(f"{opts.app_label}.{action}_{opts.model_name}" for action in opts.default_permissions)
        defined.update(f"{opts.app_label}.{codename}" for codename, _ in opts.permissions)
    return defined


def unknown_permissions(role_permissions=None):
    """``[(role, permission), …]`` for each string in ROLE_PERMISSIONS that no installed model defines."""
    role_permissions = roles.ROLE_PERMISSIONS if role_permissions is None else role_permissions
    defined = defined_permissions()
    return [
        (role, permission)
        for role, permissions in role_permissions.items()
        for permission in permissions
        if permission not in defined
    ]


def _unknown_message(unknown):
    listed = "; ".join(f"{permission!r} (given to {role})" for role, permission in unknown)
    return (
        f"clinic/roles.py grants permissions that no installed model defines: {listed}. "
        'Each must be "app_label.codename" of an existing model, e.g. "patients.view_patient".'
    )


def sync_roles(*, using=DEFAULT_DB_ALIAS, apps=global_apps, verbosity=1, stdout=None):
    """Create each group in ROLE_PERMISSIONS and give it exactly the permissions listed there.

    ``apps`` is the app registry to take the models from: post_migrate passes the migration state.
    Returns ``{role: (granted, revoked)}`` for the roles that changed, each a sorted list of
    "app_label.codename".
    """
    unknown = unknown_permissions()
    if unknown:
        raise ImproperlyConfigured(_unknown_message(unknown))
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth is not migrated (e.g. `migrate auth zero`): nothing to sync into.
        return {}
    if not router.allow_migrate_model(using, Group):
        return {}

    # post_migrate reaches clinic before the apps after it have made their permissions.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=verbosity, using=using, apps=apps)

    wanted = {role: set(permissions) for role, permissions in roles.ROLE_PERMISSIONS.items()}
    labels = {permission.split(".", 1)[0] for permissions in wanted.values() for permission in permissions}
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using)
        .filter(content_type__app_label__in=labels)
        .values_list("pk", "content_type__app_label", "codename")
    }
    missing = {permission for permissions in wanted.values() for permission in permissions} - set(by_name)
    # A model the code defines but this database has not migrated yet (a partial `migrate app 0001`)
    # has no permission row to grant; it is granted on the migrate that creates the model.
    not_migrated = missing - defined_permissions(apps)
    if missing - not_migrated:
        raise ImproperlyConfigured(
            f"These permissions of migrated models are not in the database: {sorted(missing - not_migrated)}."
        )
    names = {pk: name for name, pk in by_name.items()}

    changes = {}
    with transaction.atomic(using=using):
        for role, permissions in wanted.items():
            group, _ = Group.objects.using(using).get_or_create(name=role)
            want = {by_name[name] for name in permissions if name in by_name}
            have = set(group.permissions.values_list("pk", flat=True))
            grant, revoke = want - have, have - want
            if grant:
                group.permissions.add(*grant)
            if revoke:
                group.permissions.remove(*revoke)
            if grant or revoke:
                changes[role] = (
                    sorted(names[pk] for pk in grant),
                    sorted(names.get(pk) or _name_of(Permission, using, pk) for pk in revoke),
                )

    if verbosity >= 1 and changes:
        stdout = stdout or sys.stdout
        for role, (granted, revoked) in changes.items():
            stdout.write(
                f"  Role {role}: granted {', '.join(granted) or 'nothing'}; revoked {', '.join(revoked) or 'nothing'}\n"
            )
    if verbosity >= 1 and not_migrated:
        listed = f": {', '.join(sorted(not_migrated))}" if verbosity >= 2 else " (-v 2 lists them)"
        (stdout or sys.stdout).write(
            f"  Roles: {len(not_migrated)} permissions not granted yet, their models are not migrated{listed}\n"
        )
    return changes


def _name_of(Permission, using, pk):
    permission = Permission.objects.using(using).select_related("content_type").get(pk=pk)
    return f"{permission.content_type.app_label}.{permission.codename}"


def sync_roles_after_migrate(
    sender, *, using=DEFAULT_DB_ALIAS, verbosity=1, apps=global_apps, stdout=None, **kwargs
):
    """post_migrate receiver (connected for the clinic app only, so it runs once per migrate)."""
    sync_roles(using=using, apps=apps, verbosity=verbosity, stdout=stdout)


@checks.register(checks.Tags.models)
def role_permissions_exist(app_configs, **kwargs):
    """clinic.E001: every permission string in clinic/roles.py names an installed model's permission."""
    unknown = unknown_permissions()
    if not unknown:
        return []
    return [
        checks.Error(
            _unknown_message(unknown),
            hint="Fix the string in clinic/roles.py (app label and codename of the model as it is now).",
            obj="clinic.roles.ROLE_PERMISSIONS",
            id="clinic.E001",
        )
    ]
