"""Grant the measurement-based-care permissions (clinic/roles.py), frozen here."""

import importlib

from django.db import migrations

MEASUREMENT = [
    "assessments.view_assessmentresponse",
    "assessments.add_assessmentresponse",
    "assessments.add_questionnaireassignment",
    "assessments.view_riskalert",
    "assessments.change_riskalert",
    "assessments.view_outcomes",
]
GRANTS = {
    "Administrator": [
        "assessments.view_outcomes",
        "assessments.view_instrument",
        "assessments.change_instrument",
        "assessments.view_instrumentversion",
        "assessments.add_instrumentversion",
    ],
    "Prescriber": MEASUREMENT,
    "Nurse": MEASUREMENT,
    "Therapist": MEASUREMENT,
}


def forwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0002_roles").grant(apps, GRANTS)


def revoke(apps, grants):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in grants.items():
        group = Group.objects.filter(name=role).first()
        if group:
            for name in names:
                app_label, codename = name.split(".")
                group.permissions.remove(
                    *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                )


def backwards(apps, schema_editor):
    revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_clinicsettings_crisis_line_and_more"),
        ("assessments", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
