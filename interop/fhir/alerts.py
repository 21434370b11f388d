"""Alerts and the prescriber's overrides, each as a DetectedIssue.

Why DetectedIssue and not Flag: an alert in Clinic is a clinical issue found in the record (a
questionnaire answer past a safety rule, a vital sign past a threshold during a session) that stops
treatment until a clinician acknowledges it *saying what was done*. DetectedIssue carries exactly
that: what was found (``code``, ``detail``), from what (``evidence``: the QuestionnaireResponse, the
vital-sign Observation, the AdverseEvent), how serious (``severity``), and the response as
``mitigation`` (what was done, when, by whom). A Flag is only a banner with a period and has nowhere to
put the acknowledgement. An override is the same shape the other way round: the stops it lifted are
the issue, the prescriber's written reason the mitigation, the session (and its order) implicated.

Ids: a questionnaire alert keeps its external id; a session alert, an override and a dose-limit override
get a uuid5 under their session's external id.
"""

from interop.fhir import codes
from interop.fhir.context import instant, part_id, ref
from interop.fhir.encounters import session_encounter_id
from interop.fhir.medications import request_id
from interop.fhir.observations import moaas_id, reading_ids, slug, vital_id
from interop.fhir.registry import builds, make
from interop.fhir.safety import adverse_event_id

#: The local code system "alert": what kind of issue each DetectedIssue is.
KINDS = {
    "risk": "Questionnaire answer past a safety rule",
    "vital-sign": "Vital sign past an alert threshold during a session",
    "sedation": "Sedation at or past the alert threshold during a session",
    "adverse-event": "Severe or serious adverse event during a session",
    "session": "Session alert",
    "override-gate": "Treatment gate overridden by a prescriber",
    "override-hold": "Pre-dose hold overridden by a prescriber",
    "dose-limit": "Dose above the clinic's limit ordered",
}


def _kind(kind, text=None):
    return codes.concept(
        codes.coding(codes.local_system(codes.ALERT), kind, KINDS[kind]), text=text or KINDS[kind]
    )


def session_alert_id(session, alert):
    return part_id(session.external_id, f"alert/{alert.pk}")


def remember_alerts(ctx, sessions, responses):
    """Map the treatment gate's alert keys ("alert:risk:<pk>", "alert:session:<pk>", as an override's
    ``covers`` names them) to the DetectedIssue ids, so an override can point at the alerts it lifted."""
    for response in responses:
        for alert in response.alerts.all():
            ctx.alert_ids[f"alert:risk:{alert.pk}"] = str(alert.external_id)
    for session in sessions:
        for alert in session.alerts.all():
            ctx.alert_ids[f"alert:session:{alert.pk}"] = session_alert_id(session, alert)


def _mitigation(text, when, who):
    return {"action": {"text": text}, "date": instant(when), "author": who}


def _acknowledgement(ctx, alert, text):
    """What was done about an acknowledged alert, by whom and when; None while it is open."""
    if not alert.acknowledged_at:
        return None
    return [
        _mitigation(text or "Acknowledged", alert.acknowledged_at, ctx.practitioner(alert.acknowledged_by))
    ]


def _issue(ctx, resource_id, code, severity, identified, **more):
    data = {
        "resourceType": "DetectedIssue",
        "id": resource_id,
        "status": "final",
        "code": code,
        "severity": severity,
        "patient": ctx.subject,
        "identifiedDateTime": instant(identified),
        **{key: value for key, value in more.items() if value},
    }
    return make(data)


@builds("DetectedIssue")
def risk_alert(ctx, response, alert):
    """A questionnaire alert (e.g. PHQ-9 item 9 answered): the rule as a second, local coding, the
    response as evidence, the acknowledgement as mitigation."""
    rule = codes.coding(
        codes.local_system(codes.RISK_RULE), f"{slug(response.version.instrument.code)}-{slug(alert.rule)}"
    )
    code = _kind("risk", alert.message)
    code["coding"].append(rule)
    mitigation = _acknowledgement(ctx, alert, alert.acknowledgement_note)
    return [
        _issue(
            ctx,
            str(alert.external_id),
            code,
            "high" if alert.is_risk else "moderate",
            alert.created_at,
            evidence=[{"detail": [ref(str(response.external_id))]}],
            detail=alert.message,
            mitigation=mitigation,
        )
    ]


def _session_alert_source(session, alert):
    """``(kind, [ids of the resources that raised it])``."""
    if alert.vital_id:
        readings = [reading for reading in session.vitals.all() if reading.pk == alert.vital_id]
        return "vital-sign", [i for reading in readings for i in reading_ids(session, reading)]
    if alert.observation_id:
        return "sedation", [moaas_id(session, alert.observation_id)]
    if alert.adverse_event_id:
        return "adverse-event", [adverse_event_id(session, alert.adverse_event_id)]
    return "session", []


@builds("DetectedIssue")
def session_alert(ctx, session, alert):
    """A value past a threshold on the chart (vital sign, sedation, severe or serious adverse event):
    the charted value as evidence, the session implicated, the acknowledgement ("action taken") as
    mitigation."""
    kind, sources = _session_alert_source(session, alert)
    mitigation = _acknowledgement(ctx, alert, alert.acknowledgement)
    return [
        _issue(
            ctx,
            session_alert_id(session, alert),
            _kind(kind, alert.message),
            "high",
            alert.raised_at,
            implicated=[ref(session_encounter_id(session))],
            evidence=[{"detail": [ref(source) for source in sources]}] if sources else None,
            detail=alert.message,
            mitigation=mitigation,
        )
    ]


def _covered_evidence(ctx, session, override):
    """References to what an override lifted, where it is in the bundle: an alert's DetectedIssue, a
    pre-dose reading's Observation. Other stops (a checklist answer, the patient's status, a consent)
    are in the override's detail text only."""
    found = []
    for item in override.covers:
        key = item.get("key", "")
        if key in ctx.alert_ids:
            found.append(ctx.alert_ids[key])
        elif key.startswith("reading:"):
            _prefix, reading_pk, field = [*key.split(":"), "", ""][:3]
            if reading_pk.isdigit() and field and any(r.pk == int(reading_pk) for r in session.vitals.all()):
                found.append(vital_id(session, reading_pk, field))
    return list(dict.fromkeys(found))


def _implicated(session):
    implicated = [ref(session_encounter_id(session))]
    if session.is_ordered:
        implicated.append(ref(request_id(session)))
    return implicated


@builds("DetectedIssue")
def safety_override(ctx, session, override):
    """A prescriber's written decision to go on although the treatment gate was closed or dosing held:
    the stops it covered as the detail (and evidence where they are resources of the bundle), the reason
    as mitigation, by the prescriber at the time of the override."""
    kind = f"override-{override.kind}"
    covered = "; ".join(text for text in override.covered_texts if text)
    evidence = _covered_evidence(ctx, session, override)
    prescriber = ctx.practitioner(override.by)
    return [
        _issue(
            ctx,
            part_id(session.external_id, f"override/{override.pk}"),
            _kind(kind),
            "high",
            override.at,
            author=prescriber,
            implicated=_implicated(session),
            evidence=[{"detail": [ref(item) for item in evidence]}] if evidence else None,
            detail=f"{KINDS[kind]}. Stopped by: {covered}" if covered else KINDS[kind],
            mitigation=[
                _mitigation(f"Overridden by the prescriber: {override.reason}", override.at, prescriber)
            ],
        )
    ]


@builds("DetectedIssue")
def dose_limit_override(ctx, session):
    """An order above the clinic's dose limit, with the prescriber's reason (also a note on the
    MedicationRequest)."""
    if not session.is_ordered or not session.limit_override_reason:
        return []
    prescriber = ctx.practitioner(session.ordered_by)
    return [
        _issue(
            ctx,
            part_id(session.external_id, "dose-limit-override"),
            _kind("dose-limit"),
            "moderate",
            session.ordered_at,
            author=prescriber,
            implicated=[ref(request_id(session))],
            detail=KINDS["dose-limit"],
            mitigation=[
                _mitigation(
                    f"Ordered by the prescriber: {session.limit_override_reason}",
                    session.ordered_at,
                    prescriber,
                )
            ],
        )
    ]
