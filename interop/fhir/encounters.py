"""An Encounter for every appointment, and one for each treatment session inside its appointment's
(``partOf``): the session's charted facts point at the session's Encounter."""

from interop.fhir import codes
from interop.fhir.context import identifier, instant, part_id, ref
from interop.fhir.registry import builds, make

#: Appointment.status -> Encounter.status (hl7.org/fhir/R4/valueset-encounter-status.html). R4 has no
#: no-show: a missed visit is "cancelled", and its type's text says so.
APPOINTMENT_STATUS = {
    "scheduled": "planned",
    "confirmed": "planned",
    "checked_in": "arrived",
    "in_treatment": "in-progress",
    "completed": "finished",
    "cancelled": "cancelled",
    "no_show": "cancelled",
}
AMBULATORY = codes.coding(codes.ACT_CODE, "AMB", "ambulatory")


def session_encounter_id(session):
    return part_id(session.external_id, "Encounter")


@builds("Encounter")
def appointment_encounter(ctx, appointment):
    kind = appointment.appointment_type
    data = {
        "resourceType": "Encounter",
        "id": str(appointment.external_id),
        "identifier": [identifier("appointment", appointment.external_id)],
        "status": APPOINTMENT_STATUS.get(appointment.status, "unknown"),
        "class": AMBULATORY,
        "type": [
            codes.concept(
                codes.coding(codes.local_system("appointment-kind"), kind.kind, kind.get_kind_display()),
                text=kind.name + (" (no-show)" if appointment.status == "no_show" else ""),
            )
        ],
        "subject": ctx.subject,
        "participant": [
            {
                "type": [codes.concept(codes.coding(codes.PARTICIPATION_TYPE, "ATND", "attender"))],
                "individual": ctx.practitioner(appointment.clinician),
            }
        ],
        "period": {"start": instant(appointment.start), "end": instant(appointment.end)},
    }
    return [make(data)]


@builds("Encounter")
def session_encounter(ctx, session):
    period = {"start": instant(session.started_at)}
    if session.discharged_at:
        period["end"] = instant(session.discharged_at)
    data = {
        "resourceType": "Encounter",
        "id": session_encounter_id(session),
        "identifier": [identifier("treatment-session", session.external_id)],
        "status": "in-progress" if session.status == "charting" else "finished",
        "class": AMBULATORY,
        "type": [
            codes.concept(
                codes.coding(
                    codes.local_system("treatment-route"), session.route, session.get_route_display()
                ),
                text=f"Treatment session: {session.get_route_display()}",
            )
        ],
        "subject": ctx.subject,
        "participant": [
            {
                "type": [codes.concept(codes.coding(codes.PARTICIPATION_TYPE, "PPRF", "primary performer"))],
                "individual": ctx.practitioner(session.started_by),
            }
        ],
        "period": period,
        "partOf": ref(str(session.appointment.external_id)),
    }
    return [make(data)]
