"""Staff roles and what each may do: the one place that says it.

A capability is a public UPPER_CASE constant below whose value is a permission string
("app_label.codename"), e.g. ``CHART_SESSION``. Everything else names it, never the string:
views ask ``user.has_perm(roles.CHART_SESSION)``, templates ask ``{% if user|can:"CHART_SESSION" %}``
(``{% load roles %}``, clinic/templatetags/roles.py; an unknown name is an error, not False), and
tests use the same constants. CAPABILITIES maps each name to its permission string.

ROLE_PERMISSIONS is what each group holds, exactly. After every ``migrate`` (post_migrate,
clinic/role_sync.py) each group listed here is created if missing and given exactly these
permissions: missing ones are granted, any other is revoked. So a change here (a new grant, a
revoked one, a model moved to another app) reaches the database on the next ``migrate``, with no
migration of its own; a string that names no installed model's permission stops ``migrate`` with
an error (and fails ``manage.py check``). The role migrations in clinic/migrations (0002_roles to
0012_integration_roles) are history from before this sync; leave them as they are.
"""

ADMINISTRATOR = "Administrator"
PRESCRIBER = "Prescriber"
NURSE = "Nurse"
THERAPIST = "Therapist"
FRONT_DESK = "Front desk"
ALL_ROLES = (ADMINISTRATOR, PRESCRIBER, NURSE, THERAPIST, FRONT_DESK)

VIEW_AUDIT = "clinic.view_auditevent"  # the audit report and "who has opened this record"
# A copy of the whole record for a patient's request (HIPAA right of access), and its delivery: a
# records-office act (front desk, administrator), or the prescriber's when no one else is there.
EXPORT_RECORD = "interop.add_recordexport"
VIEW_PATIENT = "patients.view_patient"
ADD_PATIENT = "patients.add_patient"
CHANGE_PATIENT = "patients.change_patient"
INVITE_PATIENT = "patients.invite_patient"
VIEW_PATIENT_HISTORY = "patients.view_historicalpatient"

VIEW_RESPONSES = "assessments.view_assessmentresponse"
ADD_RESPONSE = "assessments.add_assessmentresponse"
ASSIGN_QUESTIONNAIRE = "assessments.add_questionnaireassignment"
VIEW_ALERTS = "assessments.view_riskalert"
ACKNOWLEDGE_ALERT = "assessments.change_riskalert"
VIEW_OUTCOMES = "assessments.view_outcomes"

VIEW_INTAKE = "patients.view_intakesection"
CHANGE_INTAKE = "patients.change_intakesection"
VERIFY_INTAKE = "patients.verify_intakesection"
VIEW_SCREENING = "patients.view_screeningdecision"
DECIDE_SCREENING = "patients.add_screeningdecision"
WITNESS_CONSENT = "patients.witness_consent"

VIEW_APPOINTMENTS = "treatment_sessions.view_appointment"
BOOK_APPOINTMENT = "treatment_sessions.add_appointment"
CHANGE_APPOINTMENT = "treatment_sessions.change_appointment"
ADD_PLAN = "treatment_sessions.add_treatmentplan"
_SCHEDULING = [VIEW_APPOINTMENTS, BOOK_APPOINTMENT, CHANGE_APPOINTMENT]
_SCHEDULING_ADMIN = [
    f"treatment_sessions.{action}_{model}"
    for model in ("appointmenttype", "site", "room", "clinichours", "closure", "workinghours")
    for action in ("view", "add", "change", "delete")
] + ["treatment_sessions.view_reminder"]

VIEW_LEDGER = "treatment_sessions.view_vial"
RECEIVE_VIAL = "treatment_sessions.add_vial"
ADD_LEDGER_ENTRY = "treatment_sessions.add_ledgerentry"
LEDGER_REPORT = "treatment_sessions.view_ledgerentry"
_LEDGER = [VIEW_LEDGER, RECEIVE_VIAL, ADD_LEDGER_ENTRY, LEDGER_REPORT]

VIEW_SESSION = "treatment_sessions.view_treatmentsession"
START_SESSION = "treatment_sessions.add_treatmentsession"
CHART_SESSION = "treatment_sessions.change_treatmentsession"
ORDER_DOSE = "treatment_sessions.order_dose"
SIGN_SESSION = "treatment_sessions.sign_session"
ADD_ADDENDUM = "treatment_sessions.add_sessionaddendum"
_CHARTING = [VIEW_SESSION, START_SESSION, CHART_SESSION, SIGN_SESSION, ADD_ADDENDUM]

VIEW_NOTE = "treatment_sessions.view_integrationnote"
WRITE_NOTE = "treatment_sessions.add_integrationnote"
SIGN_NOTE = "treatment_sessions.sign_integrationnote"
ADD_NOTE_ADDENDUM = "treatment_sessions.add_noteaddendum"
VIEW_CASELOAD = "treatment_sessions.view_caseload"
_INTEGRATION = [VIEW_NOTE, WRITE_NOTE, SIGN_NOTE, ADD_NOTE_ADDENDUM, VIEW_CASELOAD]
_FOLLOW_UP_ADMIN = [
    *(
        f"treatment_sessions.{action}_{model}"
        for model in ("notetemplate", "followuprule")
        for action in ("view", "add", "change", "delete")
    ),
    "treatment_sessions.view_questionnairenotice",
]

_MEASUREMENT = [
    VIEW_RESPONSES,
    ADD_RESPONSE,
    ASSIGN_QUESTIONNAIRE,
    VIEW_ALERTS,
    ACKNOWLEDGE_ALERT,
    VIEW_OUTCOMES,
]

_REGISTER_PATIENTS = [VIEW_PATIENT, ADD_PATIENT, CHANGE_PATIENT, INVITE_PATIENT, VIEW_PATIENT_HISTORY]

ROLE_PERMISSIONS = {
    ADMINISTRATOR: [
        *_REGISTER_PATIENTS,
        EXPORT_RECORD,
        "clinic.view_user",
        "clinic.add_user",
        "clinic.change_user",
        "auth.view_group",
        "clinic.view_clinicsettings",
        "clinic.change_clinicsettings",
        "clinic.view_historicalclinicsettings",
        VIEW_AUDIT,
        # Each layer's own settings (clinic.models.SingletonSettings), edited in Django admin.
        "patients.view_patientsettings",
        "patients.change_patientsettings",
        "patients.view_historicalpatientsettings",
        "assessments.view_assessmentsettings",
        "assessments.change_assessmentsettings",
        "assessments.view_historicalassessmentsettings",
        "treatment_sessions.view_schedulingsettings",
        "treatment_sessions.change_schedulingsettings",
        "treatment_sessions.view_historicalschedulingsettings",
        "treatment_sessions.view_chartingsettings",
        "treatment_sessions.change_chartingsettings",
        "treatment_sessions.view_historicalchartingsettings",
        "patients.view_portalinvitation",
        VIEW_OUTCOMES,
        "assessments.view_instrument",
        "assessments.change_instrument",
        "assessments.view_instrumentversion",
        "assessments.add_instrumentversion",
        "patients.view_consentdocument",
        "patients.add_consentdocument",
        "patients.change_consentdocument",
        "patients.view_screeningrule",
        "patients.change_screeningrule",
        VIEW_APPOINTMENTS,
        *_SCHEDULING_ADMIN,
        VIEW_LEDGER,
        LEDGER_REPORT,
        "treatment_sessions.view_cadssitem",
        "treatment_sessions.add_cadssitem",
        "treatment_sessions.change_cadssitem",
        *_FOLLOW_UP_ADMIN,
    ],
    PRESCRIBER: [
        *_REGISTER_PATIENTS,
        EXPORT_RECORD,
        *_MEASUREMENT,
        VIEW_INTAKE,
        CHANGE_INTAKE,
        VERIFY_INTAKE,
        VIEW_SCREENING,
        DECIDE_SCREENING,
        WITNESS_CONSENT,
        *_SCHEDULING,
        ADD_PLAN,
        *_LEDGER,
        *_CHARTING,
        ORDER_DOSE,
        *_INTEGRATION,
    ],
    NURSE: [
        *_REGISTER_PATIENTS,
        *_MEASUREMENT,
        VIEW_INTAKE,
        CHANGE_INTAKE,
        VERIFY_INTAKE,
        VIEW_SCREENING,
        WITNESS_CONSENT,
        *_SCHEDULING,
        *_LEDGER,
        *_CHARTING,
        VIEW_NOTE,
    ],
    THERAPIST: [
        VIEW_PATIENT,
        VIEW_PATIENT_HISTORY,
        *_MEASUREMENT,
        VIEW_INTAKE,
        VIEW_SCREENING,
        VIEW_APPOINTMENTS,
        VIEW_SESSION,
        *_INTEGRATION,
    ],
    FRONT_DESK: [
        *_REGISTER_PATIENTS,
        EXPORT_RECORD,
        VIEW_INTAKE,
        CHANGE_INTAKE,
        WITNESS_CONSENT,
        *_SCHEDULING,
    ],
}

# Every capability by name, for the template filter (``user|can:"NAME"``) and for tests.
CAPABILITIES = {
    name: value
    for name, value in list(globals().items())
    if name.isupper() and not name.startswith("_") and isinstance(value, str) and "." in value
}
