"""Adverse events charted during a session."""

from interop.fhir import codes
from interop.fhir.context import instant, part_id, ref
from interop.fhir.encounters import session_encounter_id
from interop.fhir.medications import administration_ids
from interop.fhir.registry import builds, make

#: AdverseEvent.outcome (R4 adverse-event-outcome). "Transferred to emergency care" is still ongoing.
OUTCOME = {"resolved": "resolved", "improving": "recovering", "ongoing": "ongoing", "transferred": "ongoing"}


def adverse_event_id(session, event_pk):
    return part_id(session.external_id, f"adverse-event/{event_pk}")


@builds("AdverseEvent")
def adverse_event(ctx, session, event):
    description = " ".join(
        part
        for part in (
            event.description,
            f"Intervention: {event.intervention}." if event.intervention else "",
            "Transferred to emergency care." if event.outcome == "transferred" else "",
        )
        if part
    )
    data = {
        "resourceType": "AdverseEvent",
        "id": adverse_event_id(session, event.pk),
        "actuality": "actual",
        "event": codes.concept(
            codes.coding(codes.local_system("adverse-event-kind"), event.kind, event.get_kind_display()),
            text=description or event.get_kind_display(),
        ),
        "subject": ctx.subject,
        "encounter": ref(session_encounter_id(session)),
        "date": instant(event.taken_at),
        "recordedDate": instant(event.recorded_at),
        "recorder": ctx.practitioner(event.recorded_by),
        "seriousness": codes.concept(
            codes.coding(
                codes.AE_SERIOUSNESS,
                "Serious" if event.serious else "Non-serious",
                "Serious" if event.serious else "Non-serious",
            )
        ),
        "severity": codes.concept(
            codes.coding(codes.AE_SEVERITY, event.severity, event.get_severity_display())
        ),
        "outcome": codes.concept(
            codes.coding(codes.AE_OUTCOME, OUTCOME.get(event.outcome, "unknown")),
            text=event.get_outcome_display(),
        ),
    }
    suspects = administration_ids(session)
    if suspects:
        data["suspectEntity"] = [{"instance": ref(suspects[0])}]
    return [make(data)]
