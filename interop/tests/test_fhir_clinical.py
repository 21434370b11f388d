"""The clinical parts of the FHIR export added for issue "FHIR R4 resources for everything clinical": the
patient's own intake (AllergyIntolerance, MedicationStatement, Condition, Observation, Goal), alerts
and overrides (DetectedIssue), and addenda to signed session records (DocumentReference appending to
the record, with a Provenance). Each resource validates with fhir.resources, every reference resolves
inside the Bundle, the demo data's values are found again after a round trip through JSON, and the
queries stay fixed."""

import base64
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from assessments.services import acknowledge_alert, current_version_for, submit_response
from clinic.celery import app as celery_app
from demo.management.commands.seed_demo import PATIENT_SECTIONS, PORTAL_PATIENT_EMAIL, answers_totalling
from interop import tasks
from interop.fhir import patient_resources
from patients.models import Patient
from patients.screening import CONDITIONS
from sessions.charting import safety, steps
from testing.charting import charted_session
from testing.database import restore_migrated_rows
from testing.factories import PatientFactory
from testing.fhir import references

LOINC = "http://loinc.org"
HISTORY_KEYS = [key for key, _label in CONDITIONS]


def _export(patient):
    out = io.StringIO()
    call_command("export_fhir", patient=str(patient.external_id), stdout=out)
    return out.getvalue()


def _of_type(bundle_json, resource_type):
    return [
        e["resource"]
        for e in json.loads(bundle_json)["entry"]
        if e["resource"]["resourceType"] == resource_type
    ]


def _by_id(bundle_json):
    return {e["resource"]["id"]: e["resource"] for e in json.loads(bundle_json)["entry"]}


def _id(reference):
    return reference["reference"].removeprefix("urn:uuid:")


def _codes(concept):
    return {(c.get("system", "").rsplit("/", 1)[-1], c.get("code")) for c in concept.get("coding", [])}


def _check_bundle(bundle_json):
    """Every entry validates as its fhir.resources model and every reference resolves in the Bundle."""
    Bundle.model_validate_json(bundle_json)
    entries = json.loads(bundle_json)["entry"]
    full_urls = {entry["fullUrl"] for entry in entries}
    assert len(full_urls) == len(entries)
    for entry in entries:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        contained = {f"#{c['id']}" for c in resource.get("contained", [])}
        for reference in references(resource):
            assert reference in contained or reference in full_urls, (resource["resourceType"], reference)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, loaded once for the module and rolled back after: the bundles of Jordan Avery (IV
    ketamine, a blood-pressure alert acknowledged), Riley Chen (esketamine) and Samuel Okafor (an open
    PHQ-9 item 9 alert, an intake of three sections)."""
    celery_app.conf.task_always_eager = True
    with (
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        restore_migrated_rows()
        call_command("seed_demo", stdout=io.StringIO())
        patients = {
            "jordan": Patient.objects.get(email=PORTAL_PATIENT_EMAIL),
            "chen": Patient.objects.get(legal_family_name="Chen"),
            "okafor": Patient.objects.get(legal_family_name="Okafor"),
        }
        result = {name: _export(patient) for name, patient in patients.items()}
        result["jordan_alerts"] = [
            (alert.message, alert.acknowledgement, alert.acknowledged_by.get_full_name(), alert.vital.sbp)
            for session in patients["jordan"].treatment_sessions.all()
            for alert in session.alerts.select_related("vital", "acknowledged_by")
        ]
        result["okafor_alerts"] = [
            (str(a.external_id), a.message) for a in patients["okafor"].risk_alerts.all()
        ]
        result["sessions"] = {
            name: [
                {
                    "checklist": dict(session.checklist),
                    "discharge": (session.escort_name, session.discharge_note, session.alert_and_oriented),
                    "rems": dict(session.rems),
                }
                for session in patients[name].treatment_sessions.order_by("started_at")
            ]
            for name in ("jordan", "chen")
        }
        result["decisions"] = {
            name: [
                (str(d.external_id), d.outcome, d.note, d.conditions)
                for d in patients[name].screening_decisions.all()
            ]
            for name in ("jordan", "chen")
        }
        transaction.set_rollback(True)
    cache.clear()
    return result


def test_the_demo_bundles_validate_and_every_reference_resolves(demo):
    for name in ("jordan", "chen", "okafor"):
        _check_bundle(demo[name])
    types = {e["resource"]["resourceType"] for e in json.loads(demo["jordan"])["entry"]}
    assert types >= {"AllergyIntolerance", "MedicationStatement", "Goal", "DetectedIssue"}


def test_round_trip_finds_the_patients_own_intake(demo):
    jordan = demo["jordan"]
    entered = PATIENT_SECTIONS
    allergies = _of_type(jordan, "AllergyIntolerance")
    # The demo answers "no" to a reaction to ketamine: only the other allergies, in the patient's words.
    assert [a["code"] for a in allergies] == [{"text": entered["allergies"]["details"]}]
    assert allergies[0]["verificationStatus"]["coding"][0]["code"] == "confirmed"  # section verified
    assert allergies[0]["patient"]["reference"] == allergies[0]["asserter"]["reference"]

    statements = _of_type(jordan, "MedicationStatement")
    row = entered["medications"]["rows"][0]
    assert [(s["medicationCodeableConcept"]["text"], s["dosage"][0]["text"]) for s in statements] == [
        (row["name"], f"{row['dose']} {row['frequency']}")
    ]
    assert statements[0]["status"] == "active"
    assert (
        statements[0]["informationSource"]["reference"]
        == f"urn:uuid:{json.loads(jordan)['entry'][0]['resource']['id']}"
    )

    observations = {o["code"]["coding"][0]["code"]: o for o in _of_type(jordan, "Observation")}
    drinks = observations["alcohol-drinks-per-week"]
    assert drinks["valueQuantity"]["value"] == entered["substance_use"]["alcohol_drinks_per_week"]
    assert drinks["valueQuantity"]["code"] == "/wk"
    assert drinks["category"][0]["coding"][0]["code"] == "social-history"
    assert observations["cannabis"]["valueCodeableConcept"]["coding"][0]["code"] == "none"
    assert observations["ketamine-nonmedical"]["valueCodeableConcept"]["text"] == "Never"
    pregnancy = observations["82810-3"]
    assert pregnancy["code"]["coding"][0]["system"] == LOINC
    assert pregnancy["valueCodeableConcept"]["coding"][0]["code"] == "not_applicable"
    assert observations["breastfeeding"]["valueCodeableConcept"]["coding"][0]["code"] == "no"

    goals = _of_type(jordan, "Goal")
    assert [g["description"]["text"] for g in goals] == [entered["goals"]["goals"]]
    # Nothing answered "yes" on the demo's medical history: no Condition but the ICD-10-CM diagnosis.
    assert {c["code"]["coding"][0]["system"] for c in _of_type(jordan, "Condition")} == {
        "http://hl7.org/fhir/sid/icd-10-cm"
    }


def test_a_session_alert_is_a_detected_issue_with_its_reading_and_acknowledgement(demo):
    jordan = demo["jordan"]
    resources = _by_id(jordan)
    issues = [i for i in _of_type(jordan, "DetectedIssue") if ("alert", "vital-sign") in _codes(i["code"])]
    assert len(issues) == len(demo["jordan_alerts"]) == 1
    issue = issues[0]
    message, acknowledgement, nurse, sbp = demo["jordan_alerts"][0]
    assert issue["detail"] == message and issue["severity"] == "high"
    assert issue["mitigation"][0]["action"]["text"] == acknowledgement
    assert issue["mitigation"][0]["author"]["display"].startswith(nurse)
    readings = [resources[_id(r)] for r in issue["evidence"][0]["detail"]]
    bp = next(r for r in readings if r["code"]["coding"][0]["code"] == "85354-9")
    assert sbp == bp["component"][0]["valueQuantity"]["value"] == 184
    assert resources[_id(issue["implicated"][0])]["resourceType"] == "Encounter"


def test_an_open_risk_alert_is_a_detected_issue_without_mitigation(demo):
    okafor = demo["okafor"]
    issues = {i["id"]: i for i in _of_type(okafor, "DetectedIssue")}
    assert demo["okafor_alerts"]
    for alert_id, message in demo["okafor_alerts"]:
        issue = issues[alert_id]
        assert issue["detail"] == message and issue["severity"] == "high"
        assert ("risk-alert-rule", "phq-9-self-harm-thoughts") in _codes(issue["code"])
        assert "mitigation" not in issue
        response = _by_id(okafor)[_id(issue["evidence"][0]["detail"][0])]
        assert response["resourceType"] == "QuestionnaireResponse"


def _panels(bundle_json, code):
    return sorted(
        (o for o in _of_type(bundle_json, "Observation") if o["code"]["coding"][0]["code"] == code),
        key=lambda o: o["effectiveDateTime"],
    )


def _components(observation):
    return {
        c["code"]["coding"][0]["code"]: c.get(
            "valueBoolean", c.get("valueString", c.get("valueCodeableConcept"))
        )
        for c in observation["component"]
    }


def test_round_trip_finds_the_checklist_and_discharge_criteria_of_each_session(demo):
    for name in ("jordan", "chen"):
        sessions = demo["sessions"][name]
        checklists = _panels(demo[name], "pre-session-checklist")
        discharges = _panels(demo[name], "discharge-criteria")
        assert len(checklists) == len(discharges) == len(sessions) > 0
        for session, checklist, discharge in zip(sessions, checklists, discharges, strict=True):
            answers = {key: value["coding"][0]["code"] for key, value in _components(checklist).items()}
            assert answers == {key.replace("_", "-"): value for key, value in session["checklist"].items()}
            escort, note, oriented = session["discharge"]
            criteria = _components(discharge)
            assert criteria["escort-name"] == escort and criteria["alert-and-oriented"] is oriented is True
            assert discharge["note"] == [{"text": note}]
            aldrete = _by_id(demo[name])[_id(discharge["hasMember"][0])]
            assert aldrete["code"]["coding"][0]["code"] == "aldrete-total"
            assert checklist["encounter"] == discharge["encounter"] == aldrete["encounter"]


def test_round_trip_finds_the_rems_answers_of_each_esketamine_session(demo):
    assert _panels(demo["jordan"], "rems-monitoring") == []  # IV: no REMS form
    sessions = demo["sessions"]["chen"]
    panels = _panels(demo["chen"], "rems-monitoring")
    assert len(panels) == len(sessions) > 0
    for session, panel in zip(sessions, panels, strict=True):
        expected = {key.replace("_", "-"): value for key, value in session["rems"].items()}
        assert _components(panel) == expected and expected["enrolled"] is True


def test_each_screening_decision_is_a_clinical_impression(demo):
    for name in ("jordan", "chen"):
        impressions = {i["id"]: i for i in _of_type(demo[name], "ClinicalImpression")}
        assert demo["decisions"][name]
        for decision_id, _outcome, note, conditions in demo["decisions"][name]:
            impression = impressions[decision_id]
            assert impression["status"] == "completed" and impression["note"][0]["text"] == note
            expected = f"Approved with conditions: {conditions}" if conditions else "Approved"
            assert impression["summary"] == expected
            assert impression["assessor"]["reference"].startswith("urn:uuid:")


def test_a_decision_keeps_its_findings_and_the_history_the_patient_reported(nurse, prescriber):
    from patients.intake import save_section
    from patients.review import record_decision

    patient = PatientFactory()
    history = dict.fromkeys(HISTORY_KEYS, "no") | {"hypertension": "yes", "sleep_apnea": "unsure"}
    save_section(patient, "medical_history", history | {"details": "Asthma as a child."}, nurse)
    save_section(patient, "allergies", {"ketamine_hypersensitivity": "unsure", "details": ""}, nurse)
    decision = record_decision(
        patient,
        outcome="needs_information",
        note="Need the rest of the intake.",
        conditions="",
        override_reason="",
        prescriber=prescriber,
    )
    text = _export(Patient.objects.get(pk=patient.pk))
    _check_bundle(text)
    (impression,) = _of_type(text, "ClinicalImpression")
    assert impression["id"] == str(decision.external_id)
    assert impression["summary"] == "More information needed"
    found = {f["itemCodeableConcept"]["coding"][0]["code"]: f.get("basis", "") for f in impression["finding"]}
    assert found.keys() == {finding["code"] for finding in decision.findings} and found
    conditions = {c["code"]["coding"][0]["code"]: c for c in _of_type(text, "Condition")}
    assert conditions.keys() == {"hypertension", "sleep_apnea"}
    assert {c["verificationStatus"]["coding"][0]["code"] for c in conditions.values()} == {"unconfirmed"}
    (allergy,) = _of_type(text, "AllergyIntolerance")
    assert ("rxnorm", "6130") in _codes(allergy["code"]) and "Not sure" in allergy["note"][0]["text"]
    details = [o for o in _of_type(text, "Observation") if o.get("valueString") == "Asthma as a child."]
    assert len(details) == 1


# A record of our own: overrides, an acknowledged risk alert, an addendum --------------------------------

HOLD_REASON = "Rechecked manually at 150/92; patient calm; proceed with close monitoring."
GATE_REASON = "Alert reviewed at the chair with the patient; no symptoms."
ADDENDUM = "Patient phoned at 18:00: home safely, mild headache, no other effects."
RISK_NOTE = "Called the patient the same day: passive thoughts only, safety plan reviewed."


def _queries(patient):
    with CaptureQueriesContext(connection) as captured:
        patient_resources(Patient.objects.select_related("intake").get(pk=patient.pk))
    return len(captured)


@pytest.fixture
def record(nurse, prescriber):
    """A patient with one signed IV session and a PHQ-9, then: an addendum on the signed record, a
    second session held before the dose (a blood pressure at hold level, which also raises an alert)
    and both stops overridden by the prescriber, and a PHQ-9 item 9 alert acknowledged."""
    patient = PatientFactory()
    signed = charted_session(patient, nurse, prescriber, start=timezone.now() - timedelta(days=2))
    version = current_version_for("PHQ-9")
    submit_response(
        patient=patient,
        version=version,
        raw=answers_totalling(version.definition, 8),
        entered_by=nurse,
        mode="clinic",
    )
    before = _queries(patient)
    addendum = steps.add_addendum(signed, by=nurse, reason="Late entry", text=ADDENDUM)
    held = charted_session(patient, nurse, prescriber, until="started")
    reading = steps.record_vitals(
        held, taken_at=held.appointment.start + timedelta(minutes=6), by=nurse, sbp=172, dbp=96, hr=80
    )
    hold = safety.override(held, kind=safety.HOLD, reason=HOLD_REASON, by=prescriber)
    gate = safety.override(held, kind=safety.GATE, reason=GATE_REASON, by=prescriber)
    risky = submit_response(
        patient=patient,
        version=version,
        raw=answers_totalling(version.definition, 10) | {"9": 1},
        entered_by=nurse,
        mode="clinic",
    )
    alert = risky.alerts.get()
    assert acknowledge_alert(alert, prescriber, RISK_NOTE)
    return {
        "patient": patient,
        "signed": signed,
        "addendum": addendum,
        "held": held,
        "reading": reading,
        "hold": hold,
        "gate": gate,
        "alert": alert,
        "queries_before": before,
    }


def test_overrides_are_detected_issues_pointing_at_what_they_lifted(record, prescriber):
    text = _export(record["patient"])
    _check_bundle(text)
    resources = _by_id(text)
    issues = _of_type(text, "DetectedIssue")
    hold = next(i for i in issues if ("alert", "override-hold") in _codes(i["code"]))
    gate = next(i for i in issues if ("alert", "override-gate") in _codes(i["code"]))
    for issue, reason in ((hold, HOLD_REASON), (gate, GATE_REASON)):
        assert issue["mitigation"][0]["action"]["text"].endswith(reason)
        assert issue["author"]["display"].startswith(prescriber.get_full_name())
        assert issue["mitigation"][0]["author"] == issue["author"]
        assert resources[_id(issue["implicated"][0])]["resourceType"] == "Encounter"
    # The hold: the pre-dose blood pressure Observation of the reading at hold level.
    (held_bp,) = [resources[_id(r)] for r in hold["evidence"][0]["detail"]]
    assert held_bp["code"]["coding"][0]["code"] == "85354-9"
    assert held_bp["component"][0]["valueQuantity"]["value"] == 172
    assert "172" in hold["detail"]
    # The gate: the alert that the same reading raised, itself a DetectedIssue of the bundle.
    (lifted,) = [resources[_id(r)] for r in gate["evidence"][0]["detail"]]
    assert lifted["resourceType"] == "DetectedIssue" and ("alert", "vital-sign") in _codes(lifted["code"])
    assert "mitigation" not in lifted  # overridden, never acknowledged


def test_an_acknowledged_risk_alert_carries_what_was_done(record, prescriber):
    text = _export(record["patient"])
    issue = _by_id(text)[str(record["alert"].external_id)]
    assert issue["mitigation"] == [
        {
            "action": {"text": RISK_NOTE},
            "date": issue["mitigation"][0]["date"],
            "author": issue["mitigation"][0]["author"],
        }
    ]
    assert issue["mitigation"][0]["author"]["display"].startswith(prescriber.get_full_name())


def test_an_addendum_appends_to_the_signed_record_and_is_not_under_its_signatures(record, nurse):
    text = _export(record["patient"])
    resources = _by_id(text)
    documents = _of_type(text, "DocumentReference")
    (addendum,) = [d for d in documents if d.get("relatesTo")]
    assert addendum["relatesTo"][0]["code"] == "appends"
    signed_record = resources[_id(addendum["relatesTo"][0]["target"])]
    assert signed_record["resourceType"] == "DocumentReference"
    assert signed_record["content"][0]["attachment"]["url"].endswith(
        f"/sessions/{record['signed'].external_id}/record.pdf"
    )
    assert signed_record["context"]["encounter"] == addendum["context"]["encounter"]
    body = base64.b64decode(addendum["content"][0]["attachment"]["data"]).decode()
    assert ADDENDUM in body and "Late entry" in body
    assert addendum["author"][0]["display"].startswith(nurse.get_full_name())
    provenances = _of_type(text, "Provenance")
    (who,) = [p for p in provenances if p["target"] == [{"reference": f"urn:uuid:{addendum['id']}"}]]
    assert who["agent"][0]["who"]["display"].startswith(nurse.get_full_name())
    signatures = [p for p in provenances if p.get("signature") and len(p["target"]) > 1]
    assert signatures and all(
        f"urn:uuid:{addendum['id']}" not in [t["reference"] for t in p["target"]] for p in signatures
    )
    # Exported twice, the same ids.
    assert {d["id"] for d in _of_type(_export(record["patient"]), "DocumentReference")} == {
        d["id"] for d in documents
    }


def test_alerts_overrides_and_addenda_add_no_queries(record):
    """One query per relation whatever the record holds: two sessions with alerts, overrides and an
    addendum, and a second response with an alert, cost what one plain session and response did."""
    assert _queries(record["patient"]) == record["queries_before"] <= 16


def test_the_patients_own_copy_holds_the_same_clinical_resources(record):
    """The portal download is the staff export with staff e-mails replaced (interop.tasks.bundle_json):
    alerts, overrides and addenda are part of the record the patient has a right to, and nothing in them
    is psychotherapy-note text."""
    portal = tasks.bundle_json(record["patient"])
    staff = _export(record["patient"])
    assert {r["id"] for r in _of_type(portal, "DetectedIssue")} == {
        r["id"] for r in _of_type(staff, "DetectedIssue")
    }
    assert len(_of_type(portal, "DetectedIssue")) == 4  # the vital alert, two overrides, the risk alert
    assert any(d.get("relatesTo") for d in _of_type(portal, "DocumentReference"))


def test_a_dose_above_the_limit_is_a_detected_issue_on_the_order(nurse, prescriber):
    patient = PatientFactory()
    session = charted_session(patient, nurse, prescriber, until="started")
    reason = "Partial response at 1.0 mg/kg; discussed with the patient."
    steps.order_dose(
        session,
        by=prescriber,
        mg_per_kg=Decimal("1.2"),
        minutes=40,
        concentration=Decimal("50"),
        limit_override_reason=reason,
    )
    text = _export(patient)
    _check_bundle(text)
    (issue,) = [i for i in _of_type(text, "DetectedIssue") if ("alert", "dose-limit") in _codes(i["code"])]
    order = _by_id(text)[_id(issue["implicated"][0])]
    assert order["resourceType"] == "MedicationRequest" and reason in order["note"][0]["text"]
    assert issue["mitigation"][0]["action"]["text"].endswith(reason)
    assert issue["author"]["display"].startswith(prescriber.get_full_name())
