"""The pre-session checklist (docs/clinical-reference.md, "Pre-session checklist"): what is asked, of whom,
for which route. A "no" holds dosing until a prescriber overrides it with a written reason
(sessions.charting.safety)."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    asked_of: str  # "patient" (the patient's answer) or "nurse" (the nurse's check)
    routes: tuple = ()  # empty: every route
    allows_na: bool = False


#: docs/clinical-reference.md, "Pre-session checklist". A "no" holds dosing until a prescriber overrides it
#: with a reason.
CHECKLIST = (
    ChecklistItem("fasting", "Fasted as told for this visit", "patient"),  # the rule: checklist_for()
    ChecklistItem("escort", "Escort arranged; will not drive until tomorrow", "patient"),
    ChecklistItem("no_substances", "No alcohol, benzodiazepines or cannabis in the last 24 hours", "patient"),
    ChecklistItem(
        "nasal", "No nasal steroid or decongestant in the last hour", "patient", routes=("intranasal",)
    ),
    ChecklistItem("medications", "Current medications reviewed", "nurse"),
    ChecklistItem("pregnancy", "Pregnancy test negative today", "nurse", allows_na=True),
    ChecklistItem("iv_access", "IV access placed and patent", "nurse", routes=("iv",)),
)
ANSWERS = {"yes": "Yes", "no": "No", "na": "Not applicable"}


def checklist_for(route, appointment_type=None):
    """The questions for a route. The fasting question says the rule the patient was told for this
    kind of visit (``AppointmentType.fasting_rule``), so the portal, the reminder and the nurse ask the
    same thing."""
    items = [item for item in CHECKLIST if not item.routes or route in item.routes]
    rule = appointment_type.fasting_rule if appointment_type is not None else ""
    label = f"Fasted as told: {rule}" if rule else "Fasted as told for this visit"
    return [replace(item, label=label) if item.key == "fasting" else item for item in items]


def checklist_rows(session):
    return [
        {
            "item": item,
            "answer": session.checklist.get(item.key),
            "label": ANSWERS.get(session.checklist.get(item.key)),
        }
        for item in checklist_for(session.route, session.appointment.appointment_type)
    ]
