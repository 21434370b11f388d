"""Grant the controlled-substance ledger permissions (clinic/roles.py), frozen here."""

import importlib

from django.db import migrations

LEDGER = [
    "treatment_sessions.view_vial",
    "treatment_sessions.add_vial",
    "treatment_sessions.add_ledgerentry",
    "treatment_sessions.view_ledgerentry",
]
GRANTS = {
    "Administrator": ["treatment_sessions.view_vial", "treatment_sessions.view_ledgerentry"],
    "Prescriber": LEDGER,
    "Nurse": LEDGER,
}


def forwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0002_roles").grant(apps, GRANTS)


def backwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0004_measurement_roles").revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0007_scheduling_roles"),
        ("treatment_sessions", "0003_vial_ledgerentry_vial_vial_balance_not_negative_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
