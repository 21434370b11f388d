"""Grant the scheduling permissions (clinic/roles.py), frozen here."""

import importlib

from django.db import migrations

SCHEDULING = [
    "treatment_sessions.view_appointment",
    "treatment_sessions.add_appointment",
    "treatment_sessions.change_appointment",
]
SETUP = [
    f"treatment_sessions.{action}_{model}"
    for model in ("appointmenttype", "room", "clinichours", "closure", "workinghours")
    for action in ("view", "add", "change", "delete")
] + ["treatment_sessions.view_reminder"]
GRANTS = {
    "Administrator": ["treatment_sessions.view_appointment", *SETUP],
    "Prescriber": [*SCHEDULING, "treatment_sessions.add_treatmentplan"],
    "Nurse": SCHEDULING,
    "Therapist": ["treatment_sessions.view_appointment"],
    "Front desk": SCHEDULING,
}


def forwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0002_roles").grant(apps, GRANTS)


def backwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0004_measurement_roles").revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_clinicsettings_cancellation_window_hours_and_more"),
        ("treatment_sessions", "0002_no_double_booking"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
