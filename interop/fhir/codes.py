"""Code systems and codes used in the FHIR export, each with its source (docs/fhir.md lists them all).

Standard codes come first; where no standard code exists (MOAA/S, CADSS, the modified Aldrete score,
QIDS-SR16 as far as we could find) the export uses a code of the clinic's own, in a code system under
its SITE_URL (``local_system``), and docs/fhir.md says so.
"""

from django.conf import settings

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
MEDICATION_STATEMENT_CATEGORY = "http://terminology.hl7.org/CodeSystem/medication-statement-category"


def local_system(name):
    """A code system of the clinic's own, e.g. ``https://clinic.example.org/fhir/CodeSystem/scores``."""
    return f"{settings.SITE_URL}/fhir/CodeSystem/{name}"


def coding(system, code, display=None):
    return {k: v for k, v in {"system": system, "code": code, "display": display}.items() if v is not None}


def concept(*codings, text=None):
    value = {"coding": list(codings)}
    if text:
        value["text"] = text
    return value


def quantity(value, unit, code=None):
    """A UCUM quantity; ``code`` is the UCUM code when it differs from the printed unit."""
    return {"value": value, "unit": unit, "system": UCUM, "code": code or unit}


# Vital signs: LOINC codes of the FHIR vital-signs profile (hl7.org/fhir/R4/observation-vitalsigns.html)
# and their UCUM units. The blood pressure is the 85354-9 panel with systolic and diastolic components;
# SpO2 carries 59408-5 (by pulse oximetry) and 2708-6 (the profile's required code).
VITALS = {
    "bp": (coding(LOINC, "85354-9", "Blood pressure panel with all children optional"), None),
    "sbp": (coding(LOINC, "8480-6", "Systolic blood pressure"), ("mmHg", "mm[Hg]")),
    "dbp": (coding(LOINC, "8462-4", "Diastolic blood pressure"), ("mmHg", "mm[Hg]")),
    "hr": (coding(LOINC, "8867-4", "Heart rate"), ("/min", "/min")),
    "spo2": (
        coding(LOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        ("%", "%"),
    ),
    "rr": (coding(LOINC, "9279-1", "Respiratory rate"), ("/min", "/min")),
    "temp_c": (coding(LOINC, "8310-5", "Body temperature"), ("Cel", "Cel")),
    "weight": (coding(LOINC, "29463-7", "Body weight"), ("kg", "kg")),
    "height": (coding(LOINC, "8302-2", "Body height"), ("cm", "cm")),
}
SPO2_PROFILE_CODE = coding(LOINC, "2708-6", "Oxygen saturation in Arterial blood")

# Questionnaire totals. An instrument definition's own "loinc" wins (assessments/instruments/*.json);
# these fill the ones the shipped definitions leave empty. PCL-5: 101698-9 "PTSD PCL-5 score [PCL-5]"
# (https://loinc.org/101698-9), member of the panel 101697-1.
TOTAL_LOINC = {
    "PHQ-9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "GAD-7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
    "PCL-5": ("101698-9", "PTSD PCL-5 score [PCL-5]"),
}

# Scores charted during a session, none of which has a LOINC code we could find: local codes.
SCORES = "scores"
MOAAS = ("moaas", "Modified Observer's Assessment of Alertness/Sedation (MOAA/S)")
CADSS_TOTAL = ("cadss-total", "CADSS total score")
CADSS_SUBSCALES = {
    "depersonalization": ("cadss-depersonalization", "CADSS depersonalization subscale"),
    "derealization": ("cadss-derealization", "CADSS derealization subscale"),
    "amnesia": ("cadss-amnesia", "CADSS amnesia subscale"),
}
ALDRETE_TOTAL = ("aldrete-total", "Modified Aldrete score")
ALDRETE_PARTS = {
    "activity": "Aldrete activity",
    "respiration": "Aldrete respiration",
    "circulation": "Aldrete circulation",
    "consciousness": "Aldrete consciousness",
    "spo2": "Aldrete oxygen saturation",
}
MOOD_PRE = ("mood-pre-dose", "Pre-dose mood rating (0-10)")

# Drugs (RxNorm, NLM): ketamine is the ingredient (IN) 6130; the vial's strength and form are in the
# contained Medication's text. Esketamine nasal spray: the clinical drug form (SCDF) 2201623
# "esketamine Nasal Spray" and the branded form (SBDF) 2201625 "esketamine Nasal Spray [Spravato]".
KETAMINE = coding(RXNORM, "6130", "ketamine")
ESKETAMINE = (
    coding(RXNORM, "2201623", "esketamine Nasal Spray"),
    coding(RXNORM, "2201625", "esketamine Nasal Spray [Spravato]"),
)
ESKETAMINE_DEVICE_MG = 28

# Routes (SNOMED CT, the FHIR route-codes value set).
ROUTES = {
    "iv": coding(SNOMED, "47625008", "Intravenous route"),
    "im": coding(SNOMED, "78421000", "Intramuscular route"),
    "intranasal": coding(SNOMED, "46713006", "Nasal route"),
}

CONSENT_DOCUMENT = coding(LOINC, "59284-0", "Consent Document")
PATIENT_NOTE = coding(LOINC, "51855-5", "Patient Note")
AUTHOR_SIGNATURE = coding(SIGNATURE_TYPE, "1.2.840.10065.1.12.1.1", "Author's Signature")
VERIFICATION_SIGNATURE = coding(SIGNATURE_TYPE, "1.2.840.10065.1.12.1.5", "Verification Signature")
CONSENT_SIGNATURE = coding(SIGNATURE_TYPE, "1.2.840.10065.1.12.1.7", "Consent Signature")

# Pregnancy status: LOINC 82810-3 with the LOINC answers of the HL7 International Patient Summary value
# set (hl7.org/fhir/uv/ips/ValueSet-pregnancy-status-uv-ips.html): LA15173-0 Pregnant, LA26683-5 Not
# pregnant, LA4489-6 Unknown. The intake's "Does not apply to me" has no LOINC answer: local code only.
PREGNANCY_STATUS = coding(LOINC, "82810-3", "Pregnancy status")
PREGNANCY_ANSWERS = {
    "pregnant": coding(LOINC, "LA15173-0", "Pregnant"),
    "not_pregnant": coding(LOINC, "LA26683-5", "Not pregnant"),
    "unsure": coding(LOINC, "LA4489-6", "Unknown"),
}

# Local code systems (under SITE_URL) of the intake, the alerts and the session documents.
MEDICAL_HISTORY = "medical-history"
INTAKE_QUESTIONS = "intake-question"
ALERT = "alert"
RISK_RULE = "risk-alert-rule"
DOCUMENT_TYPE = "document-type"
CHECKLIST = "pre-session-checklist"
CHECKLIST_ANSWERS = "answers-pre-session-checklist"
DISCHARGE = "discharge-criteria"
REMS = "rems"
ASSESSMENT = "assessment"
SCREENING_RULE = "screening-rule"
