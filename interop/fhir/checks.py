"""What is checked on the chart besides the measurements: the pre-session checklist, the discharge
criteria other than the Aldrete score, and the Spravato REMS answers the nurse gives.

Each is one Observation of the session, with one component per question (a local code: the
question's key, its wording as display) and the answer as the component's value. An Observation and
not a QuestionnaireResponse: these are checks charted by a nurse at a time, as the Aldrete score
is, not a form the patient fills in, and a receiver reads components without first resolving a
Clinic-defined Questionnaire. The questions' wording comes from the chart's own definitions
(``sessions.charting.checklist``, ``sessions.charting.monitoring``).
"""

from interop.fhir import codes
from interop.fhir.context import instant, part_id, ref
from interop.fhir.encounters import session_encounter_id
from interop.fhir.observations import _observation, aldrete_id
from interop.fhir.registry import builds
from sessions.charting import monitoring
from sessions.charting.checklist import ANSWERS, checklist_for

SURVEY = codes.concept(codes.coding(codes.OBSERVATION_CATEGORY, "survey", "Survey"))
EXAM = codes.concept(codes.coding(codes.OBSERVATION_CATEGORY, "exam", "Exam"))
#: Discharge criteria charted as yes/no: field -> wording.
DISCHARGE_CRITERIA = {
    "vitals_near_baseline": "Vital signs near baseline",
    "alert_and_oriented": "Alert and oriented",
    "escort_present": "Escort present",
    "instructions_given": "Written discharge instructions given",
}
REMS_LABELS = dict(monitoring.REMS_FIELDS + monitoring.REMS_DETAIL_FIELDS)


def _code(system, key, display):
    return codes.concept(
        codes.coding(codes.local_system(system), key.replace("_", "-"), display), text=display
    )


def _value(value):
    """A component value: yes/no as valueBoolean, anything else as its text."""
    if isinstance(value, bool):
        return {"valueBoolean": value}
    return {"valueString": str(value)}


def _panel(ctx, session, resource_id, code, category, effective, performer, components, **more):
    """One Observation of a session with a component per answer (observations._observation's shape)."""
    present = {key: value for key, value in more.items() if value}
    return _observation(
        ctx,
        resource_id,
        category,
        code,
        instant(effective),
        encounter=session_encounter_id(session),
        performer=performer,
        component=components,
        **present,
    )


@builds("Observation")
def pre_session_checklist(ctx, session):
    """Each checklist question answered (Yes / No / Not applicable), as asked for the session's route and
    visit type; a "No" is what held dosing until a prescriber's override (see the DetectedIssues)."""
    if not session.checklist or session.checklist_at is None:
        return []
    components = []
    for item in checklist_for(session.route, session.appointment.appointment_type):
        answer = session.checklist.get(item.key)
        if answer is None:
            continue
        components.append(
            {
                "code": _code(codes.CHECKLIST, item.key, item.label),
                "valueCodeableConcept": codes.concept(
                    codes.coding(
                        codes.local_system(codes.CHECKLIST_ANSWERS), answer, ANSWERS.get(answer, answer)
                    ),
                    text=ANSWERS.get(answer, answer),
                ),
            }
        )
    if not components:
        return []
    return [
        _panel(
            ctx,
            session,
            part_id(session.external_id, "checklist"),
            _code(codes.CHECKLIST, "pre-session-checklist", "Pre-session checklist"),
            SURVEY,
            session.checklist_at,
            ctx.practitioner(session.checklist_by),
            components,
            note=[{"text": session.checklist_note}] if session.checklist_note else None,
        )
    ]


@builds("Observation")
def discharge_criteria(ctx, session):
    """The discharge criteria besides the Aldrete score (vital signs near baseline, alert and oriented,
    escort present and named, instructions given), with the discharge note; ``hasMember`` the Aldrete
    Observation when there is one."""
    if session.discharged_at is None:
        return []
    components = [
        {"code": _code(codes.DISCHARGE, field, label), "valueBoolean": getattr(session, field)}
        for field, label in DISCHARGE_CRITERIA.items()
        if getattr(session, field) is not None
    ]
    if session.escort_name:
        components.append(
            {
                "code": _code(codes.DISCHARGE, "escort_name", "Escort's name"),
                "valueString": session.escort_name,
            }
        )
    if not components:
        return []
    return [
        _panel(
            ctx,
            session,
            part_id(session.external_id, "discharge", "criteria"),
            _code(codes.DISCHARGE, "discharge-criteria", "Discharge criteria"),
            EXAM,
            session.discharged_at,
            ctx.practitioner(session.discharged_by),
            components,
            note=[{"text": session.discharge_note}] if session.discharge_note else None,
            hasMember=[ref(aldrete_id(session))] if session.aldrete else None,
        )
    ]


@builds("Observation")
def rems_answers(ctx, session):
    """The answers to the Spravato REMS patient monitoring form that the chart cannot supply itself
    (enrolment, concomitant medicines, readiness, sedation, dissociation, respiratory depression,
    serious adverse events), as the nurse gave them. The rest of the form is the chart (vital signs,
    doses, lots, times), exported in its own resources."""
    if session.route != "intranasal" or not session.rems:
        return []
    components = [
        {"code": _code(codes.REMS, key, REMS_LABELS.get(key, key)), **_value(value)}
        for key, value in session.rems.items()
        if value not in (None, "")
    ]
    if not components:
        return []
    return [
        _panel(
            ctx,
            session,
            part_id(session.external_id, "rems"),
            _code(codes.REMS, "rems-monitoring", "Spravato REMS patient monitoring answers"),
            SURVEY,
            session.discharged_at or session.started_at,
            None,  # who gave the answers is not recorded; the session's signatures cover them
            components,
        )
    ]
