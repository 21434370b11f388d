"""The pre-session checklist (domain.md, "Pre-session checklist"): what is asked, of whom, for which
route. A "no" holds dosing until a prescriber overrides it with a written reason (sessions.safety)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    asked_of: str  # "patient" (the patient's answer) or "nurse" (the nurse's check)
    routes: tuple = ()  # empty: every route
    allows_na: bool = False


#: domain.md, "Pre-session checklist". A "no" holds dosing until a prescriber overrides it with a reason.
CHECKLIST = (
    ChecklistItem("fasting", "Fasted: no solid food for 6 hours, no liquids for 2 hours", "patient"),
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


def checklist_for(route):
    return [item for item in CHECKLIST if not item.routes or route in item.routes]


def checklist_rows(session):
    return [
        {
            "item": item,
            "answer": session.checklist.get(item.key),
            "label": ANSWERS.get(session.checklist.get(item.key)),
        }
        for item in checklist_for(session.route)
    ]
