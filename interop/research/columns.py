"""Every file and column of the research dataset, with its type, unit and meaning: the CSV headers and
``data_dictionary.csv`` are both made from this, so they cannot drift apart."""

DAY = "Days from the patient's first treatment session (its date is day 0; negative = before it)."

#: file name -> [(column, type, unit, meaning)]
FILES = {
    "patients.csv": [
        (
            "study_id",
            "text",
            "",
            "Random id of the patient in this export only (not derived from any id; new each export).",
        ),
        (
            "age_at_first_treatment",
            "integer or '90+'",
            "years",
            "Age on the day of the first treatment session; ages above 89 are '90+'.",
        ),
        ("sex_at_birth", "code", "", "female, male, intersex or unknown."),
        (
            "zip3",
            "text",
            "",
            "First 3 digits of a US ZIP code; '000' for the 17 areas of 20,000 people or fewer; empty if not a US ZIP or not recorded.",
        ),
        (
            "indications",
            "codes",
            "",
            "What the patient is treated for, ';'-separated: depression, ptsd, anxiety, ocd, pain, other.",
        ),
        (
            "diagnoses_icd10",
            "codes",
            "",
            "ICD-10-CM codes from the intake, ';'-separated (codes only, never their text).",
        ),
        (
            "planned_route",
            "code",
            "",
            "Planned treatment route: iv, im, intranasal, lozenge, kap, or empty if not decided.",
        ),
        ("status", "code", "", "Patient status at export: inquiry, screening, active, on_hold, discharged."),
        ("sessions", "integer", "count", "Treatment sessions charted."),
        ("last_session_day", "integer", "days", "Day number of the last treatment session. " + DAY),
    ],
    "treatments.csv": [
        ("study_id", "text", "", "The patient (patients.csv)."),
        ("session_number", "integer", "", "1 for the patient's first treatment session, in order of start."),
        ("day", "integer", "days", DAY),
        (
            "route",
            "code",
            "",
            "iv (IV infusion of racemic ketamine), im (IM injection), intranasal (esketamine).",
        ),
        ("status", "code", "", "charting (open), discharged (awaiting signatures), signed."),
        ("dose_given", "yes/no", "", "Whether administration was started (a dose start time is charted)."),
        ("weight_kg", "decimal", "kg", "Weight used for dosing."),
        ("dose_mg", "decimal", "mg", "Ordered dose."),
        (
            "dose_mg_per_kg",
            "decimal",
            "mg/kg",
            "Ordered mg/kg (IV, IM); for intranasal, dose_mg / weight_kg to 3 decimals.",
        ),
        ("infusion_minutes", "integer", "min", "Ordered infusion time (IV)."),
        ("devices_given", "integer", "count", "Esketamine devices given (28 mg each; intranasal)."),
        ("mood_pre", "integer", "0-10", "Patient-reported mood before the dose."),
        ("peak_sbp", "integer", "mm[Hg]", "Highest systolic blood pressure charted in the session."),
        ("peak_dbp", "integer", "mm[Hg]", "Highest diastolic blood pressure charted in the session."),
        ("peak_hr", "integer", "/min", "Highest heart rate charted in the session."),
        ("lowest_spo2", "integer", "%", "Lowest SpO2 charted in the session."),
        (
            "lowest_moaas",
            "integer",
            "0-5",
            "Deepest sedation: lowest MOAA/S (5 = responds readily, 0 = no response).",
        ),
        ("peak_cadss_total", "integer", "0-92", "Highest CADSS total (dissociation)."),
        ("aldrete_total", "integer", "0-10", "Modified Aldrete score at discharge."),
        ("minutes_to_discharge", "integer", "min", "From the start of the session to discharge."),
        ("adverse_events", "integer", "count", "Adverse events charted in the session (adverse_events.csv)."),
    ],
    "scores.csv": [
        ("study_id", "text", "", "The patient (patients.csv)."),
        (
            "instrument",
            "code",
            "",
            "The questionnaire's code in Clinic (PHQ-9, GAD-7, PCL-5, QIDS-SR16, CADSS, or one the clinic added).",
        ),
        ("day", "integer", "days", "Day the questionnaire was completed. " + DAY),
        ("total", "integer", "points", "Total score (ranges: docs/research-dataset.md)."),
        (
            "band",
            "text",
            "",
            "Severity band of the total, from the instrument's definition (e.g. 'Moderate').",
        ),
        ("baseline", "yes/no", "", "Whether the clinic marked this response as the patient's baseline."),
        (
            "mode",
            "code",
            "",
            "How it was answered: portal (the patient, in the portal) or clinic (at the clinic).",
        ),
    ],
    "adverse_events.csv": [
        ("study_id", "text", "", "The patient (patients.csv)."),
        ("session_number", "integer", "", "The session (treatments.csv)."),
        ("day", "integer", "days", DAY),
        (
            "minutes_after_dose_start",
            "integer",
            "min",
            "From the start of administration to the event; empty if no dose start.",
        ),
        (
            "kind",
            "code",
            "",
            "nausea_vomiting, hypertension, tachycardia, agitation, emergence_reaction, respiratory_depression, other.",
        ),
        ("severity", "code", "", "mild, moderate, severe."),
        (
            "intervention_given",
            "yes/no",
            "",
            "Whether an intervention was recorded (its text is not exported).",
        ),
        ("outcome", "code", "", "resolved, improving, ongoing, transferred."),
        ("serious", "yes/no", "", "Recorded as a serious adverse event."),
    ],
}


def header(file_name):
    return [column for column, *_ in FILES[file_name]]


def dictionary_rows():
    yield ["file", "column", "type", "unit", "meaning"]
    for file_name, columns in FILES.items():
        for column, kind, unit, meaning in columns:
            yield [file_name, column, kind, unit, meaning]
