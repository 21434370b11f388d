"""The patient, the clinic's staff who appear in the record, and the diagnoses (ICD-10-CM)."""

from interop.fhir import codes
from interop.fhir.context import identifier, instant, part_id
from interop.fhir.registry import builds, make

#: Patient.sex_at_birth -> FHIR administrative gender (hl7.org/fhir/R4/valueset-administrative-gender.html).
GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}


@builds("Patient")
def patient_resource(ctx):
    patient = ctx.patient
    names = [{"use": "official", "family": patient.legal_family_name, "given": [patient.legal_given_name]}]
    if patient.preferred_name and patient.preferred_name != patient.legal_given_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    telecom = [{"system": "phone", "value": patient.phone, "use": "home"}]
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    data = {
        "resourceType": "Patient",
        "id": ctx.patient_id,
        "identifier": [identifier("patient", patient.external_id)],
        "active": patient.status != "discharged",
        "name": names,
        "telecom": telecom,
        "gender": GENDER.get(patient.sex_at_birth, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
    }
    lines = [line for line in (patient.address_line1, patient.address_line2) if line]
    if lines or patient.city:
        data["address"] = [
            {
                k: v
                for k, v in {
                    "line": lines or None,
                    "city": patient.city or None,
                    "state": patient.region or None,
                    "postalCode": patient.postal_code or None,
                }.items()
                if v
            }
        ]
    if patient.emergency_contact_name:
        contact = {
            "relationship": [{"text": patient.emergency_contact_relationship or "Emergency contact"}],
            "name": {"text": patient.emergency_contact_name},
        }
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        data["contact"] = [contact]
    return [make(data)]


@builds("Practitioner")
def practitioner_resources(ctx):
    resources = []
    for resource_id, user in sorted(ctx.practitioners.items()):
        data = {
            "resourceType": "Practitioner",
            "id": resource_id,
            "name": [{"text": user.get_full_name() or user.email}],
        }
        if user.first_name or user.last_name:
            data["name"][0].update(
                {
                    k: v
                    for k, v in {"family": user.last_name, "given": [user.first_name]}.items()
                    if v and v != [""]
                }
            )
        if user.credential:
            data["qualification"] = [{"code": {"text": user.credential}}]
        resources.append(make(data))
    return resources


@builds("Condition")
def condition_resources(ctx, intake, sections):
    """Diagnoses entered on the intake ("diagnoses" section rows: ICD-10-CM code, text, primary)."""
    section = sections.get("diagnoses")
    if intake is None or section is None:
        return []
    resources = []
    for row in section.data.get("rows", []):
        code = (row.get("code") or "").strip()
        if not code:
            continue
        data = {
            "resourceType": "Condition",
            "id": part_id(intake.external_id, "diagnosis", code),
            "clinicalStatus": codes.concept(codes.coding(codes.CONDITION_CLINICAL, "active")),
            "verificationStatus": codes.concept(
                codes.coding(
                    codes.CONDITION_VERIFICATION, "confirmed" if section.is_verified else "provisional"
                )
            ),
            "category": [codes.concept(codes.coding(codes.CONDITION_CATEGORY, "problem-list-item"))],
            "code": codes.concept(
                codes.coding(codes.ICD10CM, code, row.get("description") or None),
                text=row.get("description") or code,
            ),
            "subject": ctx.subject,
            "recordedDate": instant(section.entered_at),
            "recorder": ctx.signer(section.entered_by),
        }
        if row.get("primary"):
            data["note"] = [{"text": "Primary diagnosis"}]
        resources.append(make(data))
    return resources
