"""Create the staff roles with the permissions clinic/roles.py gives them (frozen here)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Administrator": [
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.invite_patient",
        "patients.view_historicalpatient",
        "clinic.view_user",
        "clinic.add_user",
        "clinic.change_user",
        "auth.view_group",
        "clinic.view_clinicsettings",
        "clinic.change_clinicsettings",
        "clinic.view_historicalclinicsettings",
        "patients.view_portalinvitation",
    ],
    "Prescriber": [
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.invite_patient",
        "patients.view_historicalpatient",
    ],
    "Nurse": [
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.invite_patient",
        "patients.view_historicalpatient",
    ],
    "Therapist": ["patients.view_patient", "patients.view_historicalpatient"],
    "Front desk": [
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.invite_patient",
        "patients.view_historicalpatient",
    ],
}


def grant(apps, role_permissions):
    # Permissions are normally made after all migrations; make them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        # With the historical apps: the models as they were at this migration, not as the code is today.
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in role_permissions.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def create_roles(apps, schema_editor):
    grant(apps, ROLE_PERMISSIONS)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_initial"),
        ("patients", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
