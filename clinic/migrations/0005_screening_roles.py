"""Grant the intake, screening and consent permissions (clinic/roles.py), frozen here."""

import importlib

from django.db import migrations

GRANTS = {
    "Administrator": [
        "patients.view_consentdocument",
        "patients.add_consentdocument",
        "patients.change_consentdocument",
        "patients.view_screeningrule",
        "patients.change_screeningrule",
    ],
    "Prescriber": [
        "patients.view_intakesection",
        "patients.change_intakesection",
        "patients.verify_intakesection",
        "patients.view_screeningdecision",
        "patients.add_screeningdecision",
        "patients.witness_consent",
    ],
    "Nurse": [
        "patients.view_intakesection",
        "patients.change_intakesection",
        "patients.verify_intakesection",
        "patients.view_screeningdecision",
        "patients.witness_consent",
    ],
    "Therapist": ["patients.view_intakesection", "patients.view_screeningdecision"],
    "Front desk": [
        "patients.view_intakesection",
        "patients.change_intakesection",
        "patients.witness_consent",
    ],
}


def forwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0002_roles").grant(apps, GRANTS)


def backwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0004_measurement_roles").revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0004_measurement_roles"),
        ("patients", "0003_screeningrule_consentdocument_consentsignature_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
