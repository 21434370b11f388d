"""Starter follow-up rules and note templates, which administrators then edit in admin."""

from django.db import migrations

INSTRUMENTS = {
    "PHQ-9": "Patient Health Questionnaire-9",
    "GAD-7": "Generalized Anxiety Disorder-7",
    "PCL-5": "PTSD Checklist for DSM-5",
}
KIND_NAMES = {"iv": "infusion", "im": "IM injection", "intranasal": "esketamine session"}


def rules():
    for kind, what in KIND_NAMES.items():
        yield {
            "name": f"PHQ-9 baseline before the first {what}",
            "appointment_kind": kind,
            "instrument": "PHQ-9",
            "trigger": "baseline",
        }
        for code in ("PHQ-9", "GAD-7"):
            for hours, when in ((24, "24 h"), (168, "7 days")):
                yield {
                    "name": f"{code} {when} after each {what}",
                    "appointment_kind": kind,
                    "instrument": code,
                    "trigger": "after_each",
                    "hours_after": hours,
                }
        yield {
            "name": f"PCL-5 monthly after {what}s (PTSD)",
            "appointment_kind": kind,
            "instrument": "PCL-5",
            "trigger": "periodic",
            "hours_after": 24,
            "every_days": 28,
            "indication": "ptsd",
        }


TEMPLATES = [
    {
        "name": "After a ketamine session",
        "description": "Integration within a few days of a dosing session.",
        "experience": "What happened during the session, in the patient's words (quote where you can).",
        "themes": "Recurring images, memories, relationships, body sensations.",
        "insights": "What the patient understood or felt differently.",
        "emotional_state": "Mood and affect today; sleep; anything that has lingered since the session.",
        "goals": "What the patient wants to carry forward.",
        "practices": "Practices agreed for the coming days (journaling, breath work, movement…).",
        "plan": "Next integration session; anything for the prescriber.",
        "summary": "A few kind, plain sentences the patient will read in the portal: what you talked "
        "about and the practices agreed. No diagnosis, no scores.",
    },
    {
        "name": "Standalone integration session",
        "description": "An integration appointment between treatment sessions.",
        "experience": "How the weeks since the last session have been, in the patient's words.",
        "themes": "",
        "insights": "",
        "emotional_state": "",
        "goals": "Progress on the goals set last time.",
        "practices": "",
        "plan": "",
        "summary": "",
    },
]


def forwards(apps, schema_editor):
    Instrument = apps.get_model("assessments", "Instrument")
    FollowUpRule = apps.get_model("assessments", "FollowUpRule")
    NoteTemplate = apps.get_model("assessments", "NoteTemplate")
    instruments = {
        code: Instrument.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in INSTRUMENTS.items()
    }
    if not FollowUpRule.objects.exists():
        for rule in rules():
            FollowUpRule.objects.create(**{**rule, "instrument": instruments[rule["instrument"]]})
    for template in TEMPLATES:
        NoteTemplate.objects.get_or_create(name=template["name"], defaults=template)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_notes_and_follow_ups")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
