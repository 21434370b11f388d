"""One patient's record as a FHIR Bundle of type "collection", in a fixed number of queries whatever
the length of the record (each relation fetched once: select_related / prefetch_related)."""

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from assessments.models import AssessmentResponse, RiskAlert
from interop.fhir import (
    alerts,
    checks,
    documents,
    encounters,
    medications,
    observations,
    people,
    questionnaires,
    safety,
    screening,
)
from interop.fhir.context import Context, part_id
from interop.fhir.intake import intake_resources
from interop.fhir.registry import make
from patients.models import ConsentSignature, IntakeSection, Patient, ScreeningDecision
from sessions.charting.models import (
    AdverseEvent,
    EsketamineDevice,
    SafetyOverride,
    SedationObservation,
    SessionAddendum,
    SessionAlert,
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
    return load_many([patient])[patient.pk]


def _by_patient(rows, key=lambda row: row.patient_id):
    grouped = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


def load_many(patients):
    """What the export reads about each of ``patients`` (loaded with ``select_related("intake")``), keyed
    by patient pk: each relation in one query for all of them, so a chunk of a bulk export costs as many
    queries as one patient."""
    pks = [patient.pk for patient in patients]
    intakes = {patient.pk: getattr(patient, "intake", None) for patient in patients}
    intake_pks = [intake.pk for intake in intakes.values() if intake is not None]
    sections = _by_patient(
        IntakeSection.objects.filter(intake__in=intake_pks).select_related("entered_by")
        if intake_pks
        else [],
        key=lambda section: section.intake_id,
    )
    appointments = _by_patient(
        Appointment.objects.filter(patient__in=pks)
        .select_related("appointment_type", "clinician")
        .order_by("start", "pk")
    )
    sessions = _by_patient(
        TreatmentSession.objects.filter(patient__in=pks)
        .select_related(
            "appointment__appointment_type",
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
            Prefetch(
                "alerts",
                queryset=SessionAlert.objects.select_related("acknowledged_by").order_by("raised_at", "pk"),
            ),
            Prefetch("overrides", queryset=SafetyOverride.objects.select_related("by").order_by("at", "pk")),
            Prefetch(
                "addenda",
                queryset=SessionAddendum.objects.select_related("author").order_by("created_at", "pk"),
            ),
        )
        .order_by("started_at", "pk")
    )
    responses = _by_patient(
        AssessmentResponse.objects.filter(patient__in=pks)
        .select_related("version__instrument", "entered_by")
        .prefetch_related(
            Prefetch(
                "alerts",
                queryset=RiskAlert.objects.select_related("acknowledged_by").order_by("created_at", "pk"),
            )
        )
        .order_by("completed_at", "pk")
    )
    signatures = _by_patient(
        ConsentSignature.objects.filter(patient__in=pks)
        .select_related("document", "signed_in_as")
        .order_by("signed_at", "pk")
    )
    notes = _by_patient(
        IntegrationNote.objects.filter(
            patient__in=pks, status=IntegrationNote.Status.SIGNED, summary_shared_at__isnull=False
        )
        .exclude(patient_summary="")
        .defer(*PRIVATE_NOTE_FIELDS)
        .select_related("signed_by", "treatment_session", "appointment")
        .order_by("signed_at", "pk")
    )
    # Screening decisions hang on the patients themselves (``patient.screening_decisions.all()`` in
    # assemble), so the tuple each patient's record is loaded as keeps its shape for its other readers.
    prefetch_related_objects(
        list(patients),
        Prefetch(
            "screening_decisions",
            queryset=ScreeningDecision.objects.select_related("signed_by").order_by("signed_at", "pk"),
        ),
    )
    loaded = {}
    for pk in pks:
        intake = intakes[pk]
        loaded[pk] = (
            intake,
            {s.key: s for s in sections.get(intake.pk, [])} if intake else {},
            appointments.get(pk, []),
            sessions.get(pk, []),
            responses.get(pk, []),
            signatures.get(pk, []),
            notes.get(pk, []),
        )
    return loaded


def patient_resources(patient):
    """The patient's FHIR resources, each validated by fhir.resources as it is made."""
    return assemble(patient, load(patient))


def assemble(patient, loaded, known=None):
    """The FHIR resources of ``patient`` from what ``load`` / ``load_many`` read.

    ``known`` (a bulk export's ids of clinic-wide resources already written: Questionnaires and
    Practitioners) leaves those out and gains the ones made here; None makes them all."""
    ctx = Context(patient)
    intake, sections, appointments, sessions, responses, signatures, notes = loaded
    resources = people.patient_resource(ctx)
    resources += people.condition_resources(ctx, intake, sections)
    resources += observations.intake_measurements(ctx, intake, sections)
    resources += intake_resources(ctx, intake, sections)
    for decision in patient.screening_decisions.all():
        resources += screening.screening_decision(ctx, decision)
    alerts.remember_alerts(ctx, sessions, responses)
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
        made += checks.pre_session_checklist(ctx, session)
        made += observations.aldrete(ctx, session)
        made += checks.discharge_criteria(ctx, session)
        made += checks.rems_answers(ctx, session)
        for event in session.adverse_events.all():
            made += safety.adverse_event(ctx, session, event)
        for alert in session.alerts.all():
            made += alerts.session_alert(ctx, session, alert)
        for override in session.overrides.all():
            made += alerts.safety_override(ctx, session, override)
        made += alerts.dose_limit_override(ctx, session)
        # The signatures cover the chart as signed; the record document and its later addenda come after.
        made += documents.session_provenance(ctx, session, [resource.id for resource in made])
        made += documents.session_record(ctx, session)
        for addendum in session.addenda.all():
            made += documents.session_addendum(ctx, session, addendum)
            made += documents.session_addendum_provenance(ctx, session, addendum)
        resources += made
    versions = {}
    for response in responses:
        versions.setdefault(response.version_id, response.version)
    for version in versions.values():
        if known is None or questionnaires.questionnaire_id(version) not in known:
            made = questionnaires.questionnaire(ctx, version)
            resources += made
            _remember(known, made)
    for response in responses:
        made = questionnaires.questionnaire_response(ctx, response)
        resources += made
        resources += observations.questionnaire_score(ctx, response, made[0].id)
        for alert in response.alerts.all():
            resources += alerts.risk_alert(ctx, response, alert)
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
    if known is not None:
        ctx.practitioners = {key: user for key, user in ctx.practitioners.items() if key not in known}
    made = people.practitioner_resources(ctx)
    _remember(known, made)
    resources += made
    return resources


def _remember(known, resources):
    if known is not None:
        known.update((resource.id, resource.get_resource_type()) for resource in resources)


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
