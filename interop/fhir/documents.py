"""Consent, the signed PDFs (DocumentReference: by address and SHA-256, never embedded), the
integration-note summaries shared with the patient, signed session records and their addenda, and a
Provenance for each signature and addendum."""

import base64

from django.conf import settings
from django.urls import reverse

from interop.fhir import codes
from interop.fhir.context import instant, part_id, ref
from interop.fhir.encounters import session_encounter_id
from interop.fhir.registry import builds, make

#: An extension of ours: R4's Attachment.hash is SHA-1, the clinic keeps SHA-256 of each signed PDF.
SHA256_EXTENSION = "attachment-sha256"


def sha256_extension_url():
    return f"{settings.SITE_URL}/fhir/StructureDefinition/{SHA256_EXTENSION}"


def consent_ids(signature):
    uid = signature.external_id
    return str(uid), part_id(uid, "DocumentReference"), part_id(uid, "Provenance")


@builds("Consent")
def consent(ctx, signature):
    consent_id, document_id, _ = consent_ids(signature)
    document = signature.document
    data = {
        "resourceType": "Consent",
        "id": consent_id,
        "status": "active",
        "scope": codes.concept(codes.coding(codes.CONSENT_SCOPE, "treatment", "Treatment")),
        "category": [codes.concept(codes.CONSENT_DOCUMENT)],
        "patient": ctx.subject,
        "dateTime": instant(signature.signed_at),
        "performer": [ctx.subject],
        "policyRule": codes.concept(
            codes.coding(codes.ACT_CODE, "OPTIN", "opt-in"),
            text=f"{document.title}, version {document.version}",
        ),
        "provision": {
            "type": "permit",
            "code": [
                codes.concept(
                    codes.coding(
                        codes.local_system("treatment-route"), document.route, document.get_route_display()
                    )
                )
            ],
        },
    }
    if signature.pdf:
        data["sourceReference"] = ref(document_id)
    return [make(data)]


@builds("DocumentReference")
def consent_pdf(ctx, signature):
    """The signed consent PDF, by its address in Clinic (staff sign in to open it) and its SHA-256."""
    if not signature.pdf:
        return []
    consent_id, document_id, _ = consent_ids(signature)
    path = reverse(
        "patients:consent_pdf",
        kwargs={"patient_id": ctx.patient.external_id, "signature_id": signature.external_id},
    )
    attachment = {
        "contentType": "application/pdf",
        "url": f"{settings.SITE_URL}{path}",
        "title": f"{signature.document} signed by {signature.typed_name}",
        "creation": instant(signature.signed_at),
    }
    if signature.pdf_sha256:
        attachment["extension"] = [{"url": sha256_extension_url(), "valueString": signature.pdf_sha256}]
    data = {
        "resourceType": "DocumentReference",
        "id": document_id,
        "status": "current",
        "type": codes.concept(codes.CONSENT_DOCUMENT),
        "subject": ctx.subject,
        "date": instant(signature.signed_at),
        "author": [ctx.subject],
        "description": str(signature.document),
        "content": [{"attachment": attachment}],
        "context": {"related": [ref(consent_id)]},
    }
    return [make(data)]


def _signature(kind, when, who):
    return {"type": [kind], "when": instant(when), "who": who}


@builds("Provenance")
def consent_provenance(ctx, signature):
    consent_id, document_id, provenance_id = consent_ids(signature)
    targets = [ref(consent_id)] + ([ref(document_id)] if signature.pdf else [])
    agents = [
        {
            "type": codes.concept(codes.coding(codes.PROVENANCE_PARTICIPANT, "author", "Author")),
            "who": ctx.subject,
        }
    ]
    if signature.on_clinic_tablet and signature.signed_in_as_id != ctx.patient.user_id:
        agents.append(
            {
                "type": codes.concept(codes.coding(codes.PROVENANCE_PARTICIPANT, "enterer", "Enterer")),
                "who": ctx.practitioner(signature.signed_in_as),
            }
        )
    data = {
        "resourceType": "Provenance",
        "id": provenance_id,
        "target": targets,
        "recorded": instant(signature.signed_at),
        "agent": agents,
        "signature": [_signature(codes.CONSENT_SIGNATURE, signature.signed_at, ctx.subject)],
    }
    return [make(data)]


@builds("Provenance")
def session_provenance(ctx, session, targets):
    """The nurse's (author) and the prescriber's (verification) signatures on a session record; a
    signature is the signer's password given again, so no signature data is carried."""
    signed = [
        (session.nurse_signed_by, session.nurse_signed_at, codes.AUTHOR_SIGNATURE, "author", "Author"),
        (
            session.prescriber_signed_by,
            session.prescriber_signed_at,
            codes.VERIFICATION_SIGNATURE,
            "verifier",
            "Verifier",
        ),
    ]
    signed = [row for row in signed if row[0] is not None and row[1] is not None]
    if not signed:
        return []
    data = {
        "resourceType": "Provenance",
        "id": part_id(session.external_id, "Provenance"),
        "target": [ref(target) for target in targets],
        "recorded": instant(max(when for _, when, *_ in signed)),
        "agent": [
            {
                "type": codes.concept(codes.coding(codes.PROVENANCE_PARTICIPANT, code, display)),
                "who": ctx.practitioner(user),
            }
            for user, _, _, code, display in signed
        ],
        "signature": [_signature(kind, when, ctx.practitioner(user)) for user, when, kind, *_ in signed],
    }
    return [make(data)]


@builds("DocumentReference")
def shared_summary(ctx, note, encounter_id):
    """The summary of a signed integration note that the therapist shared with the patient. Nothing
    else of an integration note is exported (see docs/fhir.md, "Integration notes")."""
    data = {
        "resourceType": "DocumentReference",
        "id": part_id(note.external_id, "shared-summary"),
        "status": "current",
        "type": codes.concept(codes.PATIENT_NOTE, text="Integration session summary shared with the patient"),
        "subject": ctx.subject,
        "date": instant(note.summary_shared_at),
        "author": [ctx.practitioner(note.signed_by)],
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(note.patient_summary.encode()).decode(),
                    "title": "Summary for the patient",
                    "creation": instant(note.summary_shared_at),
                }
            }
        ],
    }
    if encounter_id:
        data["context"] = {"encounter": [ref(encounter_id)]}
    return [make(data)]


@builds("Provenance")
def shared_summary_provenance(ctx, note):
    document_id = part_id(note.external_id, "shared-summary")
    signer = ctx.practitioner(note.signed_by)
    data = {
        "resourceType": "Provenance",
        "id": part_id(note.external_id, "Provenance"),
        "target": [ref(document_id)],
        "recorded": instant(note.signed_at),
        "agent": [
            {
                "type": codes.concept(codes.coding(codes.PROVENANCE_PARTICIPANT, "author", "Author")),
                "who": signer,
            }
        ],
        "signature": [_signature(codes.AUTHOR_SIGNATURE, note.signed_at, signer)],
    }
    return [make(data)]


def session_record_id(session):
    return part_id(session.external_id, "record")


@builds("DocumentReference")
def session_record(ctx, session):
    """A signed session record, by the address of its PDF in Clinic (staff sign in to open it), so that
    its addenda can say which document they append to. Unsigned records are not documents yet."""
    if not session.is_locked:
        return []
    path = reverse(
        "sessions:chart_record_pdf",
        kwargs={"patient_id": ctx.patient.external_id, "session_id": session.external_id},
    )
    signed_at = session.prescriber_signed_at or session.nurse_signed_at
    data = {
        "resourceType": "DocumentReference",
        "id": session_record_id(session),
        "status": "current",
        "docStatus": "final",
        "type": codes.concept(
            codes.coding(
                codes.local_system(codes.DOCUMENT_TYPE), "session-record", "Treatment session record"
            )
        ),
        "subject": ctx.subject,
        "date": instant(signed_at),
        "author": [ctx.practitioner(session.nurse_signed_by)],
        "authenticator": ctx.practitioner(session.prescriber_signed_by),
        "description": f"Treatment session record, {session}",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": f"{settings.SITE_URL}{path}",
                    "title": f"Treatment session record, {session}",
                }
            }
        ],
        "context": {"encounter": [ref(session_encounter_id(session))]},
    }
    return [make(data)]


def addendum_ids(session, addendum):
    return (
        part_id(session.external_id, f"addendum/{addendum.pk}"),
        part_id(session.external_id, f"addendum/{addendum.pk}", "Provenance"),
    )


@builds("DocumentReference")
def session_addendum(ctx, session, addendum):
    """A correction or late note on a signed session record: its text (text/plain) with why it was
    added, appending to the record's DocumentReference, so a receiver sees that the record changed after
    it was signed, when, by whom and why."""
    document_id, _ = addendum_ids(session, addendum)
    text = f"Addendum ({addendum.reason}):\n{addendum.text}"
    data = {
        "resourceType": "DocumentReference",
        "id": document_id,
        "status": "current",
        "docStatus": "final",
        "type": codes.concept(
            codes.coding(
                codes.local_system(codes.DOCUMENT_TYPE),
                "session-addendum",
                "Addendum to a treatment session record",
            )
        ),
        "subject": ctx.subject,
        "date": instant(addendum.created_at),
        "author": [ctx.practitioner(addendum.author)],
        "description": addendum.reason,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode()).decode(),
                    "title": f"Addendum: {addendum.reason}",
                    "creation": instant(addendum.created_at),
                }
            }
        ],
        "context": {"encounter": [ref(session_encounter_id(session))]},
    }
    if session.is_locked:
        data["relatesTo"] = [{"code": "appends", "target": ref(session_record_id(session))}]
    return [make(data)]


@builds("Provenance")
def session_addendum_provenance(ctx, session, addendum):
    """Who added the addendum and when (the DocumentReference's relatesTo says to which record). An
    addendum is not signed with a password, so no signature."""
    document_id, provenance_id = addendum_ids(session, addendum)
    data = {
        "resourceType": "Provenance",
        "id": provenance_id,
        "target": [ref(document_id)],
        "recorded": instant(addendum.created_at),
        "agent": [
            {
                "type": codes.concept(codes.coding(codes.PROVENANCE_PARTICIPANT, "author", "Author")),
                "who": ctx.practitioner(addendum.author),
            }
        ],
    }
    return [make(data)]
