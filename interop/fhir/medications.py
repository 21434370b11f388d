"""The prescriber's order (MedicationRequest) and the doses given (MedicationAdministration): RxNorm
drug codes, SNOMED CT routes, UCUM doses and rates; the lot is the contained Medication's batch
(R4 keeps lot numbers on Medication, not on the administration)."""

from decimal import Decimal

from interop.fhir import codes
from interop.fhir.context import instant, part_id, ref
from interop.fhir.encounters import session_encounter_id
from interop.fhir.registry import builds, make


def request_id(session):
    return part_id(session.external_id, "MedicationRequest")


def _plain(value):
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _number(value):
    """A Decimal without its trailing zeros (36.20 -> 36.2), for quantities."""
    return Decimal(_plain(value)) if isinstance(value, Decimal) else value


def _drug(session):
    if session.route == "intranasal":
        return codes.concept(*codes.ESKETAMINE, text="Esketamine nasal spray, 28 mg per device")
    strength = f" {_plain(session.ordered_concentration)} mg/mL" if session.ordered_concentration else ""
    return codes.concept(codes.KETAMINE, text=f"Ketamine hydrochloride injection{strength}")


def _route(session):
    return codes.concept(codes.ROUTES[session.route])


def order_text(session):
    """The order in words, as the chart states it."""
    if session.route == "intranasal":
        return f"Esketamine {_plain(session.ordered_dose_mg)} mg intranasal ({session.ordered_devices} devices of 28 mg, 5 minutes apart)"
    parts = []
    if session.ordered_mg_per_kg is not None and session.weight_kg is not None:
        parts.append(
            f"{_plain(session.ordered_mg_per_kg)} mg/kg × {_plain(session.weight_kg)} kg = {_plain(session.ordered_dose_mg)} mg"
        )
    else:
        parts.append(f"{_plain(session.ordered_dose_mg)} mg")
    if session.ordered_concentration and session.ordered_volume_ml:
        parts.append(
            f"({_plain(session.ordered_volume_ml)} mL of {_plain(session.ordered_concentration)} mg/mL)"
        )
    parts.append(session.get_route_display())
    if session.is_diluted:
        parts.append(f"in 0.9 % sodium chloride to {_plain(session.ordered_final_volume_ml)} mL")
    if session.ordered_minutes:
        parts.append(f"over {session.ordered_minutes} min")
    if session.ordered_rate_ml_per_h is not None:
        parts.append(f"at {session.rate_text} mL/h")
    return " ".join(parts)


def _rate(session):
    if session.route == "iv" and session.ordered_rate_ml_per_h is not None:
        return codes.quantity(_number(Decimal(session.rate_text)), "mL/h")
    return None


@builds("MedicationRequest")
def medication_request(ctx, session):
    if not session.is_ordered:
        return []
    dose_and_rate = {"doseQuantity": codes.quantity(_number(session.ordered_dose_mg), "mg")}
    if _rate(session):
        dose_and_rate["rateQuantity"] = _rate(session)
    if session.is_administered:
        status = "completed"
    else:
        status = "active" if session.status == "charting" else "stopped"
    data = {
        "resourceType": "MedicationRequest",
        "id": request_id(session),
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": _drug(session),
        "subject": ctx.subject,
        "encounter": ref(session_encounter_id(session)),
        "authoredOn": instant(session.ordered_at),
        "requester": ctx.practitioner(session.ordered_by),
        "dosageInstruction": [
            {"text": order_text(session), "route": _route(session), "doseAndRate": [dose_and_rate]}
        ],
    }
    if session.limit_override_reason:
        data["note"] = [{"text": f"Above the clinic's dose limit: {session.limit_override_reason}"}]
    return [make(data)]


def _administration(ctx, session, resource_id, *, lot, expiry, performer, effective, dose_mg, text):
    medication = {"resourceType": "Medication", "id": "drug", "code": _drug(session)}
    batch = {k: v for k, v in {"lotNumber": lot or None, "expirationDate": expiry}.items() if v}
    if batch:
        medication["batch"] = batch
    dosage = {"text": text, "route": _route(session), "dose": codes.quantity(_number(dose_mg), "mg")}
    if _rate(session):
        dosage["rateQuantity"] = _rate(session)
    data = {
        "resourceType": "MedicationAdministration",
        "id": resource_id,
        "contained": [medication],
        "status": "completed",
        "medicationReference": {"reference": "#drug"},
        "subject": ctx.subject,
        "context": ref(session_encounter_id(session)),
        **effective,
        "performer": [{"actor": performer}],
        "request": ref(request_id(session)),
        "dosage": dosage,
    }
    return make(data)


@builds("MedicationAdministration")
def medication_administrations(ctx, session):
    """IV and IM: one administration, drawn from a ledger vial (its lot and expiry). Esketamine: one
    per 28 mg device, each with its time and lot."""
    if not session.is_administered:
        return []
    if session.route == "intranasal":
        return [
            _administration(
                ctx,
                session,
                part_id(session.external_id, "device", device.number),
                lot=device.lot_number,
                expiry=None,
                performer=ctx.practitioner(device.recorded_by),
                effective={"effectiveDateTime": instant(device.taken_at)},
                dose_mg=codes.ESKETAMINE_DEVICE_MG,
                text=f"Device {device.number} of {session.ordered_devices}: esketamine 28 mg intranasal",
            )
            for device in session.devices.all()
        ]
    # The dose is the order's, as the chart and the session record state it; the volume drawn from the
    # vial (rounded to 0.01 mL, as the ledger records it) is in the text.
    text = order_text(session)
    if session.administered_volume_ml is not None:
        text += f"; {_plain(session.administered_volume_ml)} mL drawn from vial lot {session.lot_number}"
    end = session.infusion_end
    effective = (
        {"effectivePeriod": {"start": instant(session.dose_started_at), "end": instant(end)}}
        if end
        else {"effectiveDateTime": instant(session.dose_started_at)}
    )
    return [
        _administration(
            ctx,
            session,
            part_id(session.external_id, "MedicationAdministration"),
            lot=session.lot_number,
            expiry=session.vial.expiry.isoformat() if session.vial else None,
            performer=ctx.practitioner(session.administered_by),
            effective=effective,
            dose_mg=session.ordered_dose_mg,
            text=text,
        )
    ]


def administration_ids(session):
    if not session.is_administered:
        return []
    if session.route == "intranasal":
        return [part_id(session.external_id, "device", device.number) for device in session.devices.all()]
    return [part_id(session.external_id, "MedicationAdministration")]
