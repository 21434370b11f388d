"""Grant the treatment-session charting permissions (clinic/roles.py), frozen here."""

import importlib

from django.db import migrations

CHARTING = [
    "treatment_sessions.view_treatmentsession",
    "treatment_sessions.add_treatmentsession",
    "treatment_sessions.change_treatmentsession",
    "treatment_sessions.sign_session",
    "treatment_sessions.add_sessionaddendum",
]
GRANTS = {
    "Administrator": [
        "treatment_sessions.view_cadssitem",
        "treatment_sessions.add_cadssitem",
        "treatment_sessions.change_cadssitem",
    ],
    "Prescriber": [*CHARTING, "treatment_sessions.order_dose"],
    "Nurse": CHARTING,
    "Therapist": ["treatment_sessions.view_treatmentsession"],
}


def forwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0002_roles").grant(apps, GRANTS)


def backwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0004_measurement_roles").revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0009_clinicsettings_alert_dbp_above_and_more"),
        ("treatment_sessions", "0004_cadssitem_historicaltreatmentplan_fixed_dose_mg_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
