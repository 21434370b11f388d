"""Grant the integration-note, caseload and follow-up permissions (clinic/roles.py), frozen here."""

import importlib

from django.db import migrations

INTEGRATION = [
    "assessments.view_integrationnote",
    "assessments.add_integrationnote",
    "assessments.sign_integrationnote",
    "assessments.add_noteaddendum",
    "assessments.view_caseload",
]
GRANTS = {
    "Administrator": [
        *(
            f"assessments.{action}_{model}"
            for model in ("notetemplate", "followuprule")
            for action in ("view", "add", "change", "delete")
        ),
        "assessments.view_questionnairenotice",
    ],
    "Prescriber": INTEGRATION,
    "Nurse": ["assessments.view_integrationnote"],
    "Therapist": INTEGRATION,
}


def forwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0002_roles").grant(apps, GRANTS)


def backwards(apps, schema_editor):
    importlib.import_module("clinic.migrations.0004_measurement_roles").revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0011_clinicsettings_questionnaire_reminder_days"),
        ("assessments", "0002_notes_and_follow_ups"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
