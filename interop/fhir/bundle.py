"""One patient's record as a FHIR Bundle of type "collection", in a fixed number of queries whatever
the length of the record (each relation fetched once: select_related / prefetch_related)."""

from django.db.models import Prefetch
from django.utils import timezone

from assessments.models import AssessmentResponse
from interop.fhir import documents, encounters, medications, observations, people, questionnaires, safety
from interop.fhir.context import Context, part_id
from interop.fhir.registry import make
from patients.models import ConsentSignature, IntakeSection, Patient
from sessions.charting.models import (
    AdverseEvent,
    EsketamineDevice,
    SedationObservation,
    TreatmentSession,
    VitalSignReading,
)
from sessions.integration.models import IntegrationNote
from sessions.scheduling.models import Appointment

#: What a therapist writes for the care team only; never read by the export, let alone written out.
PRIVATE_NOTE_FIELDS = (
    "experience",
    "themes",
    "insights",
    "emotional_state",
    "goals",
    "practices",
    "plan",
    "risk_note",
)


def _charted(model):
    return model.objects.select_related("recorded_by").order_by("taken_at", "pk")


def load(patient):
    """Everything the export reads about ``patient``, each relation in one query."""
    intake = getattr(patient, "intake", None)
    sections = (
        {s.key: s for s in IntakeSection.objects.filter(intake=intake).select_related("entered_by")}
        if intake
        else {}
    )
    appointments = list(
        Appointment.objects.filter(patient=patient)
        .select_related("appointment_type", "clinician")
        .order_by("start", "pk")
    )
    sessions = list(
        TreatmentSession.objects.filter(patient=patient)
        .select_related(
            "appointment",
            "vial",
            "started_by",
            "checklist_by",
            "ordered_by",
            "administered_by",
            "discharged_by",
            "nurse_signed_by",
            "prescriber_signed_by",
        )
        .prefetch_related(
            Prefetch("vitals", queryset=_charted(VitalSignReading)),
            Prefetch("observations", queryset=_charted(SedationObservation)),
            Prefetch("devices", queryset=_charted(EsketamineDevice)),
            Prefetch("adverse_events", queryset=_charted(AdverseEvent)),
        )
        .order_by("started_at", "pk")
    )
    responses = list(
        AssessmentResponse.objects.filter(patient=patient)
        .select_related("version__instrument", "entered_by")
        .order_by("completed_at", "pk")
    )
    signatures = list(
        ConsentSignature.objects.filter(patient=patient)
        .select_related("document", "signed_in_as")
        .order_by("signed_at", "pk")
    )
    notes = list(
        IntegrationNote.objects.filter(
            patient=patient, status=IntegrationNote.Status.SIGNED, summary_shared_at__isnull=False
        )
        .exclude(patient_summary="")
        .defer(*PRIVATE_NOTE_FIELDS)
        .select_related("signed_by", "treatment_session", "appointment")
        .order_by("signed_at", "pk")
    )
    return intake, sections, appointments, sessions, responses, signatures, notes


def patient_resources(patient):
    """The patient's FHIR resources, each validated by fhir.resources as it is made."""
    ctx = Context(patient)
    intake, sections, appointments, sessions, responses, signatures, notes = load(patient)
    resources = people.patient_resource(ctx)
    resources += people.condition_resources(ctx, intake, sections)
    resources += observations.intake_measurements(ctx, intake, sections)
    for appointment in appointments:
        resources += encounters.appointment_encounter(ctx, appointment)
    for session in sessions:
        made = encounters.session_encounter(ctx, session)
        made += medications.medication_request(ctx, session)
        made += medications.medication_administrations(ctx, session)
        made += observations.session_weight_and_mood(ctx, session)
        for reading in session.vitals.all():
            made += observations.session_vitals(ctx, session, reading)
        for observation in session.observations.all():
            made += observations.sedation_and_dissociation(ctx, session, observation)
        made += observations.aldrete(ctx, session)
        for event in session.adverse_events.all():
            made += safety.adverse_event(ctx, session, event)
        made += documents.session_provenance(ctx, session, [resource.id for resource in made])
        resources += made
    versions = {}
    for response in responses:
        versions.setdefault(response.version_id, response.version)
    for version in versions.values():
        resources += questionnaires.questionnaire(ctx, version)
    for response in responses:
        made = questionnaires.questionnaire_response(ctx, response)
        resources += made
        resources += observations.questionnaire_score(ctx, response, made[0].id)
    for signature in signatures:
        resources += documents.consent(ctx, signature)
        resources += documents.consent_pdf(ctx, signature)
        resources += documents.consent_provenance(ctx, signature)
    for note in notes:
        if note.treatment_session_id:
            encounter_id = encounters.session_encounter_id(note.treatment_session)
        elif note.appointment_id:
            encounter_id = str(note.appointment.external_id)
        else:
            encounter_id = None
        resources += documents.shared_summary(ctx, note, encounter_id)
        resources += documents.shared_summary_provenance(ctx, note)
    # Last: only now is every member of staff the record names known.
    resources += people.practitioner_resources(ctx)
    return resources


def patient_bundle(patient):
    """The Bundle (type "collection") of ``patient``'s record, validated."""
    resources = patient_resources(patient)
    return make(
        {
            "resourceType": "Bundle",
            "id": part_id(patient.external_id, "Bundle"),
            "type": "collection",
            "timestamp": timezone.now().replace(microsecond=0).isoformat(),
            "entry": [{"fullUrl": f"urn:uuid:{resource.id}", "resource": resource} for resource in resources],
        }
    )


def find_patient(external_id):
    """The patient with this external id, or Patient.DoesNotExist / ValueError (not a UUID)."""
    return Patient.objects.select_related("intake").get(external_id=external_id)
