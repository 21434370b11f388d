"""The readable copy of a patient's whole record (the PDF in the right-of-access ZIP).

It reads exactly what the FHIR export reads (interop.fhir.bundle.load: each relation once, private
integration-note fields never loaded), so the two documents of one ZIP cannot disagree about what is in
the record. Every value goes through Django's autoescaping; nothing is marked safe.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from clinic.models import ClinicSettings
from interop.fhir.bundle import load


def _who(user):
    if user is None:
        return ""
    name = user.get_full_name() or "Clinic staff"
    return f"{name}, {user.credential}" if user.credential else name


def _range(values):
    values = [v for v in values if v is not None]
    if not values:
        return ""
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


def _session_summary(session):
    vitals = list(session.vitals.all())
    observations = list(session.observations.all())
    pre_dose = next((r for r in vitals if r.pre_dose), vitals[0] if vitals else None)
    bp = [f"{r.sbp}/{r.dbp}" for r in vitals if r.sbp is not None and r.dbp is not None]
    dose = ""
    if session.ordered_dose_mg is not None:
        dose = f"{session.ordered_dose_mg} mg"
        if session.ordered_mg_per_kg is not None:
            dose += f" ({session.ordered_mg_per_kg} mg/kg)"
        if session.ordered_minutes:
            dose += f" over {session.ordered_minutes} min"
    devices = list(session.devices.all())
    return {
        "session": session,
        "date": timezone.localtime(session.dose_started_at or session.started_at),
        "route": session.get_route_display(),
        "status": session.get_status_display(),
        "weight": session.weight_kg,
        "dose": dose,
        "rate": session.rate_text if session.ordered_rate_ml_per_h is not None else "",
        "lot": session.lot_number,
        "devices": len(devices),
        "readings": len(vitals),
        "pre_dose_bp": f"{pre_dose.sbp}/{pre_dose.dbp}" if pre_dose and pre_dose.sbp and pre_dose.dbp else "",
        "highest_bp": max(bp, key=lambda text: int(text.split("/")[0])) if bp else "",
        "hr": _range([r.hr for r in vitals]),
        "spo2": _range([r.spo2 for r in vitals]),
        "rr": _range([r.rr for r in vitals]),
        "moaas": _range([o.moaas for o in observations]),
        "cadss": _range([o.cadss_total for o in observations]),
        "aldrete": sum(session.aldrete.values()) if session.aldrete else None,
        "adverse_events": list(session.adverse_events.all()),
        "signed_by": [
            _who(user) for user in (session.nurse_signed_by, session.prescriber_signed_by) if user is not None
        ],
        "alerts": [
            {
                "at": timezone.localtime(alert.raised_at),
                "message": alert.message,
                "acknowledged_at": alert.acknowledged_at and timezone.localtime(alert.acknowledged_at),
                "by": _who(alert.acknowledged_by),
                "action": alert.acknowledgement,
            }
            for alert in session.alerts.all()
        ],
        "overrides": [
            {
                "at": timezone.localtime(override.at),
                "kind": override.get_kind_display(),
                "reason": override.reason,
                "by": _who(override.by),
            }
            for override in session.overrides.all()
        ],
        "addenda": [
            {
                "at": timezone.localtime(addendum.created_at),
                "by": _who(addendum.author),
                "reason": addendum.reason,
                "text": addendum.text,
            }
            for addendum in session.addenda.all()
        ],
    }


def _scores(responses):
    by_instrument = {}
    for response in responses:
        instrument = response.version.instrument
        by_instrument.setdefault(
            instrument.code, {"name": response.version.definition.get("name", instrument.code), "rows": []}
        )
        by_instrument[instrument.code]["rows"].append(
            {
                "when": timezone.localtime(response.completed_at),
                "total": response.total,
                "band": response.band,
            }
        )
    return list(by_instrument.values())


def _score_alerts(responses):
    return [
        {
            "at": timezone.localtime(alert.created_at),
            "instrument": response.version.instrument.code,
            "message": alert.message,
            "acknowledged_at": alert.acknowledged_at and timezone.localtime(alert.acknowledged_at),
            "by": _who(alert.acknowledged_by),
            "action": alert.acknowledgement_note,
        }
        for response in responses
        for alert in response.alerts.all()
    ]


def _screening(patient):
    """The prescriber's decisions on the patient's screening, oldest first (prefetched by ``load``)."""
    return [
        {
            "at": timezone.localtime(decision.signed_at),
            "outcome": decision.outcome_words,
            "by": f"{decision.signer_name}, {decision.signer_credential}"
            if decision.signer_credential
            else decision.signer_name,
            "note": decision.note,
            "conditions": decision.conditions,
            "override_reason": decision.override_reason,
        }
        for decision in patient.screening_decisions.all()
    ]


def _diagnoses(sections):
    section = sections.get("diagnoses")
    if section is None:
        return []
    return [
        {
            "code": row.get("code", ""),
            "description": row.get("description", ""),
            "primary": row.get("primary"),
        }
        for row in section.data.get("rows", [])
        if (row.get("code") or "").strip()
    ]


def record_context(patient):
    _intake, sections, appointments, sessions, responses, signatures, notes = load(patient)
    generated_at = timezone.localtime()
    return {
        "patient": patient,
        "clinic": ClinicSettings.load(),
        "generated_at": generated_at,
        "tz_name": generated_at.strftime("%Z"),
        "diagnoses": _diagnoses(sections),
        "appointments": [
            {
                "start": timezone.localtime(a.start),
                "kind": a.appointment_type.name,
                "status": a.get_status_display(),
                "clinician": _who(a.clinician),
            }
            for a in appointments
        ],
        "sessions": [_session_summary(session) for session in sessions],
        "scores": _scores(responses),
        "score_alerts": _score_alerts(responses),
        "screening": _screening(patient),
        "notes": [
            {
                "shared_at": timezone.localtime(note.summary_shared_at),
                "by": _who(note.signed_by),
                "text": note.patient_summary,
            }
            for note in notes
        ],
        "consents": [
            {
                "title": s.document.title,
                "version": s.document.version,
                "signed_at": timezone.localtime(s.signed_at),
                "typed_name": s.typed_name,
            }
            for s in signatures
        ],
    }


def record_pdf(patient):
    """The PDF's bytes."""
    from weasyprint import HTML

    return HTML(string=render_to_string("interop/record.html", record_context(patient))).write_pdf(
        pdf_tags=True
    )
