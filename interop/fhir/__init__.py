"""FHIR R4 export of a patient's record.

**Library and version.** Resources are built and validated with `fhir.resources` 8.x
(requirements.txt: ``fhir.resources>=8.1,<9``), its ``fhir.resources.R4B`` models. The 7.x and 8.x
releases default to FHIR R5 and carry R4B (4.3.0) and STU3 beside it; no maintained release carries
R4 (4.0.1) itself: the last that did, 6.x, is pydantic-1 only and unmaintained. R4B is R4 with a few
new resources (SubscriptionTopic, the medicinal-product definitions, Evidence) and corrections to
them; the resources exported here (Patient, Practitioner, Condition, AllergyIntolerance,
MedicationStatement, Goal, Encounter, Observation, Questionnaire, QuestionnaireResponse,
MedicationRequest, MedicationAdministration, AdverseEvent, DetectedIssue, ClinicalImpression, Consent,
DocumentReference, Provenance, Bundle) have the same elements in R4 and R4B, and the export uses no element that R4 lacks,
so the JSON is valid R4 (docs/fhir.md, "Version").

**Layout.** One module per concept (people, intake, screening, encounters, observations, checks,
questionnaires, medications, safety, alerts, documents); in each, one small function per resource type, registered in
``interop.fhir.registry.BUILDERS`` so that an import could be added beside them later (import is not
built). ``interop.fhir.bundle`` loads a patient's record in a fixed number of queries and assembles
the Bundle; ``interop.fhir.context`` gives every resource a stable UUID.
"""

from interop.fhir.bundle import find_patient, patient_bundle, patient_resources
from interop.fhir.registry import BUILDERS

__all__ = ["BUILDERS", "find_patient", "patient_bundle", "patient_resources"]
