"""The FHIR export of one patient: every resource validates with fhir.resources, the JSON parses back
and holds every vital, score, dose and signature of the demo data, every reference resolves inside the
Bundle, private integration-note text never leaves, and the queries do not grow with the record."""

import base64
import io
import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from clinic.audit.models import AuditAction, AuditEvent
from clinic.celery import app as celery_app
from demo.management.commands.seed_demo import NOTE_ONE, NOTE_TWO, PORTAL_PATIENT_EMAIL
from interop.fhir import BUILDERS, patient_resources
from interop.fhir.bundle import PRIVATE_NOTE_FIELDS
from patients.models import Patient
from testing.charting import charted_session
from testing.database import restore_migrated_rows
from testing.factories import PatientFactory
from testing.fhir import references

LOINC = "http://loinc.org"
VITAL_CODES = {
    "sbp": "8480-6",
    "dbp": "8462-4",
    "hr": "8867-4",
    "spo2": "59408-5",
    "rr": "9279-1",
    "temp_c": "8310-5",
}
UCUM_UNITS = {"sbp": "mm[Hg]", "dbp": "mm[Hg]", "hr": "/min", "spo2": "%", "rr": "/min", "temp_c": "Cel"}


def _expected(patient):
    """What the export must contain, read straight from the models."""
    sessions = list(patient.treatment_sessions.order_by("started_at"))
    return {
        "external_id": str(patient.external_id),
        "vitals": [
            {key: getattr(reading, key) for key in VITAL_CODES} | {"taken_at": reading.taken_at}
            for session in sessions
            for reading in session.vitals.all()
        ],
        "observations": [
            (
                o.taken_at,
                o.moaas,
                o.cadss_total,
                o.cadss_depersonalization,
                o.cadss_derealization,
                o.cadss_amnesia,
            )
            for session in sessions
            for o in session.observations.all()
        ],
        "aldrete": [(s.discharged_at, sum(s.aldrete.values())) for s in sessions if s.aldrete],
        "responses": [
            (str(r.external_id), r.version.instrument.code, r.total, r.completed_at)
            for r in patient.responses.select_related("version__instrument")
        ],
        "doses": [
            {
                "route": s.route,
                "lot": s.lot_number,
                "dose_mg": s.ordered_dose_mg,
                "rate": s.rate_text,
                "devices": [(d.number, d.lot_number, d.taken_at) for d in s.devices.all()],
                "started": s.dose_started_at,
            }
            for s in sessions
        ],
        "session_signatures": [
            (
                s.nurse_signed_by.get_full_name(),
                s.nurse_signed_at,
                s.prescriber_signed_by.get_full_name(),
                s.prescriber_signed_at,
            )
            for s in sessions
            if s.status == "signed"
        ],
        "consents": [
            (str(c.external_id), c.signed_at, c.pdf_sha256) for c in patient.consent_signatures.all()
        ],
        "adverse_events": sum(s.adverse_events.count() for s in sessions),
        "diagnoses": [row["code"] for row in patient.intake.sections.get(key="diagnoses").data["rows"]],
        "private_texts": [
            value
            for note in patient.integration_notes.all()
            for field in PRIVATE_NOTE_FIELDS
            if (value := getattr(note, field))
        ],
        "shared_summaries": [
            note.patient_summary for note in patient.integration_notes.exclude(summary_shared_at=None)
        ],
    }


def _export(patient):
    out = io.StringIO()
    call_command("export_fhir", patient=str(patient.external_id), stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data loaded once for the module and rolled back after: the bundles of the demo patient
    (IV ketamine) and of the demo's esketamine patient, with what each must contain."""
    celery_app.conf.task_always_eager = True
    media = tmp_path_factory.mktemp("media")
    with (
        override_settings(
            MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        restore_migrated_rows()
        call_command("seed_demo", stdout=io.StringIO())
        jordan = Patient.objects.get(email=PORTAL_PATIENT_EMAIL)
        chen = Patient.objects.get(legal_family_name="Chen")
        result = {
            name: {"json": _export(patient), "expected": _expected(patient)}
            for name, patient in (("jordan", jordan), ("chen", chen))
        }
        transaction.set_rollback(True)
    cache.clear()  # the settings rows cached while seeding were rolled back
    return result


def _entries(bundle_json):
    return json.loads(bundle_json)["entry"]


def _of_type(bundle_json, resource_type):
    return [e["resource"] for e in _entries(bundle_json) if e["resource"]["resourceType"] == resource_type]


def _codes(concept):
    return {(c.get("system"), c.get("code")) for c in concept.get("coding", [])}


def _instant(value):
    return value.replace(microsecond=0)


def _parse_instant(text):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_entry_of_the_demo_bundles_validates_with_fhir_resources(demo):
    for name in ("jordan", "chen"):
        bundle = Bundle.model_validate_json(demo[name]["json"])
        assert bundle.type == "collection"
        assert len(bundle.entry) > 50
        for entry in json.loads(demo[name]["json"])["entry"]:
            model = get_fhir_model_class(entry["resource"]["resourceType"])
            model.model_validate(entry["resource"])  # raises on any mistake
            assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
            uuid.UUID(entry["resource"]["id"])
    types = {e["resource"]["resourceType"] for e in _entries(demo["jordan"]["json"])}
    assert types >= {
        "Patient",
        "Practitioner",
        "Condition",
        "Encounter",
        "Observation",
        "Questionnaire",
        "QuestionnaireResponse",
        "MedicationRequest",
        "MedicationAdministration",
        "AdverseEvent",
        "Consent",
        "DocumentReference",
        "Provenance",
        "AllergyIntolerance",
        "MedicationStatement",
        "Goal",
        "DetectedIssue",
        "ClinicalImpression",
    }
    assert types <= set(BUILDERS)


def test_every_reference_resolves_inside_the_bundle(demo):
    for name in ("jordan", "chen"):
        entries = _entries(demo[name]["json"])
        full_urls = [entry["fullUrl"] for entry in entries]
        assert len(full_urls) == len(set(full_urls)), "each resource appears once"
        canonicals = {f"{q['url']}|{q['version']}" for q in _of_type(demo[name]["json"], "Questionnaire")}
        for entry in entries:
            resource = entry["resource"]
            contained = {f"#{c['id']}" for c in resource.get("contained", [])}
            for reference in references(resource):
                assert reference in contained or reference in full_urls, (resource["resourceType"], reference)
            if resource["resourceType"] == "QuestionnaireResponse":
                assert resource["questionnaire"] in canonicals


def test_the_export_is_stable_and_the_patient_carries_the_external_id(demo):
    bundle = json.loads(demo["jordan"]["json"])
    patient = _of_type(demo["jordan"]["json"], "Patient")[0]
    assert patient["id"] == demo["jordan"]["expected"]["external_id"]
    assert patient["name"][0]["family"] == "Avery"
    assert bundle["entry"][0]["resource"]["resourceType"] == "Patient"


def test_round_trip_finds_each_vital_of_the_demo_data_with_loinc_and_ucum(demo):
    expected = demo["jordan"]["expected"]
    observations = _of_type(demo["jordan"]["json"], "Observation")
    found = {}
    for o in observations:
        when = o.get("effectiveDateTime")
        for part in [o, *o.get("component", [])]:
            quantity = part.get("valueQuantity")
            if quantity is None:
                continue
            for key, code in VITAL_CODES.items():
                if (LOINC, code) in _codes(part["code"]):
                    assert quantity["system"] == "http://unitsofmeasure.org"
                    assert quantity["code"] == UCUM_UNITS[key]
                    found.setdefault((when, key), []).append(Decimal(str(quantity["value"])))
    assert expected["vitals"]
    for reading in expected["vitals"]:
        when = _instant(reading["taken_at"])
        for key in VITAL_CODES:
            if reading[key] is None:
                continue
            values = [v for (w, k), vs in found.items() if k == key and _parse_instant(w) == when for v in vs]
            assert Decimal(str(reading[key])) in values, (key, when)


def test_round_trip_finds_each_score_of_the_demo_data(demo):
    for name in ("jordan", "chen"):
        expected = demo[name]["expected"]
        observations = _of_type(demo[name]["json"], "Observation")
        by_code = {}
        for o in observations:
            for _system, code in _codes(o["code"]):
                by_code.setdefault(code, []).append(o)
        # Questionnaire totals, each derived from its QuestionnaireResponse.
        responses = {r["id"]: r for r in _of_type(demo[name]["json"], "QuestionnaireResponse")}
        totals = {
            o["derivedFrom"][0]["reference"].removeprefix("urn:uuid:"): o["valueInteger"]
            for o in observations
            if o.get("derivedFrom")
        }
        for response_id, _code, total, _ in expected["responses"]:
            assert response_id in responses
            assert totals[response_id] == total
        phq9 = by_code.get("44261-6", [])
        assert len(phq9) == sum(1 for r in expected["responses"] if r[1] == "PHQ-9")
        # MOAA/S and CADSS with its subscales.
        moaas = sorted(
            (_parse_instant(o["effectiveDateTime"]), o["valueInteger"]) for o in by_code.get("moaas", [])
        )
        assert moaas == sorted((_instant(t), m) for t, m, *_ in expected["observations"] if m is not None)
        cadss = sorted(
            (
                _parse_instant(o["effectiveDateTime"]),
                o["valueInteger"],
                *(
                    next(
                        (
                            c["valueInteger"]
                            for c in o.get("component", [])
                            if (c["code"]["coding"][0]["code"] == f"cadss-{s}")
                        ),
                        None,
                    )
                    for s in ("depersonalization", "derealization", "amnesia")
                ),
            )
            for o in by_code.get("cadss-total", [])
        )
        assert cadss == sorted(
            (_instant(t), *rest) for t, _m, *rest in expected["observations"] if rest[0] is not None
        )
        aldrete = sorted(
            (_parse_instant(o["effectiveDateTime"]), o["valueInteger"])
            for o in by_code.get("aldrete-total", [])
        )
        assert aldrete == sorted((_instant(t), total) for t, total in expected["aldrete"])
        assert aldrete and all(len(o["component"]) == 5 for o in by_code["aldrete-total"])


def test_round_trip_finds_each_dose_with_rxnorm_lot_route_and_rate(demo):
    jordan = demo["jordan"]
    administrations = _of_type(jordan["json"], "MedicationAdministration")
    requests = {r["id"]: r for r in _of_type(jordan["json"], "MedicationRequest")}
    assert len(administrations) == len(jordan["expected"]["doses"]) == len(requests)
    by_start = {_parse_instant(a["effectivePeriod"]["start"]): a for a in administrations}
    for dose in jordan["expected"]["doses"]:
        given = by_start[_instant(dose["started"])]
        medication = given["contained"][0]
        assert ("http://www.nlm.nih.gov/research/umls/rxnorm", "6130") in _codes(medication["code"])
        assert medication["batch"]["lotNumber"] == dose["lot"]
        assert Decimal(str(given["dosage"]["dose"]["value"])) == dose["dose_mg"]
        assert given["dosage"]["dose"]["code"] == "mg"
        assert ("http://snomed.info/sct", "47625008") in _codes(given["dosage"]["route"])
        assert given["dosage"]["rateQuantity"] == {
            "value": float(dose["rate"]) if "." in dose["rate"] else int(dose["rate"]),
            "unit": "mL/h",
            "system": "http://unitsofmeasure.org",
            "code": "mL/h",
        }
        request = requests[given["request"]["reference"].removeprefix("urn:uuid:")]
        assert request["intent"] == "order" and request["status"] == "completed"
    chen = demo["chen"]
    devices = _of_type(chen["json"], "MedicationAdministration")
    expected_devices = [d for dose in chen["expected"]["doses"] for d in dose["devices"]]
    assert len(devices) == len(expected_devices) > 0
    given = {
        (_parse_instant(d["effectiveDateTime"]), d["contained"][0]["batch"]["lotNumber"]) for d in devices
    }
    assert given == {(_instant(taken), lot) for _n, lot, taken in expected_devices}
    for device in devices:
        assert ("http://www.nlm.nih.gov/research/umls/rxnorm", "2201623") in _codes(
            device["contained"][0]["code"]
        )
        assert device["dosage"]["dose"]["value"] == 28
        assert ("http://snomed.info/sct", "46713006") in _codes(device["dosage"]["route"])


def test_round_trip_finds_each_signature(demo):
    jordan = demo["jordan"]
    provenances = _of_type(jordan["json"], "Provenance")
    signatures = [
        (s["who"]["display"].split(",")[0], _parse_instant(s["when"]))
        for p in provenances
        for s in p["signature"]
    ]
    for nurse, nurse_at, prescriber, prescriber_at in jordan["expected"]["session_signatures"]:
        assert (nurse, _instant(nurse_at)) in signatures
        assert (prescriber, _instant(prescriber_at)) in signatures
    assert jordan["expected"]["session_signatures"]
    consents = {c["id"]: c for c in _of_type(jordan["json"], "Consent")}
    documents = {d["id"]: d for d in _of_type(jordan["json"], "DocumentReference")}
    for consent_id, signed_at, sha256 in jordan["expected"]["consents"]:
        consent = consents[consent_id]
        assert _parse_instant(consent["dateTime"]) == _instant(signed_at)
        document = documents[consent["sourceReference"]["reference"].removeprefix("urn:uuid:")]
        attachment = document["content"][0]["attachment"]
        assert "data" not in attachment, "signed PDFs are referenced, never embedded"
        assert attachment["url"].endswith(f"/consents/{consent_id}/")
        assert attachment["extension"][0]["valueString"] == sha256 != ""
        assert any(
            f"urn:uuid:{consent_id}" in [t["reference"] for t in p["target"]] and p["signature"]
            for p in provenances
        )
    assert jordan["expected"]["consents"]


def test_adverse_events_and_diagnoses_are_exported(demo):
    jordan = demo["jordan"]
    events = _of_type(jordan["json"], "AdverseEvent")
    assert len(events) == jordan["expected"]["adverse_events"] == 1
    assert events[0]["suspectEntity"][0]["instance"]["reference"].startswith("urn:uuid:")
    assert "Ondansetron" in events[0]["event"]["text"]
    conditions = _of_type(jordan["json"], "Condition")
    assert sorted(c["code"]["coding"][0]["code"] for c in conditions) == sorted(
        jordan["expected"]["diagnoses"]
    )
    assert all(c["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm" for c in conditions)


def _all_text(bundle_json):
    """The bundle's JSON plus every attachment decoded, so nothing hides in base64."""
    text = [bundle_json]
    for document in _of_type(bundle_json, "DocumentReference"):
        for content in document["content"]:
            if "data" in content["attachment"]:
                text.append(base64.b64decode(content["attachment"]["data"]).decode())
    return "\n".join(text)


def test_private_integration_note_text_is_never_exported_and_shared_summaries_are(demo):
    jordan = demo["jordan"]
    text = _all_text(jordan["json"])
    private = jordan["expected"]["private_texts"]
    assert private and NOTE_ONE["themes"] in private and NOTE_TWO["risk_note"] in private
    for value in private:
        assert value not in text
        assert json.dumps(value)[1:-1] not in text
    assert jordan["expected"]["shared_summaries"] == [NOTE_TWO["patient_summary"]]
    assert NOTE_TWO["patient_summary"] in text


def test_export_fhir_refuses_a_bad_or_unknown_id(db):
    with pytest.raises(CommandError, match="not a patient id"):
        call_command("export_fhir", patient="not-a-uuid", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No patient has the id"):
        call_command("export_fhir", patient=str(uuid.uuid4()), stdout=io.StringIO())


def test_export_fhir_prints_a_bundle_for_a_patient_with_no_record_yet_and_audits_it(db):
    patient = PatientFactory()
    bundle = Bundle.model_validate_json(_export(patient))
    assert [entry.resource.get_resource_type() for entry in bundle.entry] == ["Patient"]
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.patient_external_id == patient.external_id
    assert event.object_id == bundle.id
    assert "export_fhir" in event.detail


def _queries(patient):
    with CaptureQueriesContext(connection) as captured:
        resources = patient_resources(Patient.objects.select_related("intake").get(pk=patient.pk))
    return len(captured), resources


def test_the_number_of_queries_does_not_grow_with_the_sessions(nurse, prescriber):
    patient = PatientFactory()
    start = timezone.now() - timedelta(days=10)
    charted_session(patient, nurse, prescriber, start=start, adverse_event=True)
    one, resources_one = _queries(patient)
    for days in (7, 4):
        charted_session(
            patient, nurse, prescriber, start=timezone.now() - timedelta(days=days), bp_alert=True
        )
    charted_session(patient, nurse, prescriber, route="im", start=timezone.now() - timedelta(days=2))
    four, resources_four = _queries(patient)
    assert len(resources_four) > len(resources_one) + 60
    assert four == one, f"{one} queries for one session, {four} for four"
    assert four <= 15


def test_instruments_without_a_loinc_code_get_local_codes_and_licensed_ones_their_structure(nurse):
    from assessments.services import current_version_for, submit_response
    from demo.management.commands.seed_demo import answers_totalling

    patient = PatientFactory()
    stored = {}
    for code, raw in (
        ("QIDS-SR16", answers_totalling(current_version_for("QIDS-SR16").definition, 12)),
        ("PCL-5", answers_totalling(current_version_for("PCL-5").definition, 40)),
        ("CADSS", {"total": "30", "subscale:depersonalization": "12", "subscale:derealization": "14"}),
    ):
        stored[code] = submit_response(
            patient=patient, version=current_version_for(code), raw=raw, entered_by=nurse, mode="clinic"
        )
    text = _export(patient)
    Bundle.model_validate_json(text)
    totals = {
        o["code"]["text"]: o
        for o in _of_type(text, "Observation")
        if o["code"]["text"].endswith("total score")
    }
    qids, pcl5, cadss = (
        totals["QIDS-SR16 total score"],
        totals["PCL-5 total score"],
        totals["CADSS total score"],
    )
    assert qids["valueInteger"] == stored["QIDS-SR16"].total
    assert qids["code"]["coding"][0]["code"] == "qids-sr16-total"
    assert qids["code"]["coding"][0]["system"].endswith("/fhir/CodeSystem/scores")
    assert {c["code"]["coding"][0]["code"] for c in qids["component"]} >= {
        "qids-sr16-sleep",
        "qids-sr16-psychomotor",
    }
    assert (LOINC, "101698-9") in _codes(pcl5["code"]) and pcl5["valueInteger"] == stored["PCL-5"].total == 40
    assert {c["code"]["coding"][0]["code"] for c in pcl5["component"]} == {f"pcl-5-{x}" for x in "bcde"}
    assert cadss["valueInteger"] == 30
    assert {c["code"]["coding"][0]["code"]: c["valueInteger"] for c in cadss["component"]} == {
        "cadss-depersonalization": 12,
        "cadss-derealization": 14,
    }
    cadss_questionnaire = next(q for q in _of_type(text, "Questionnaire") if q["url"].endswith("/cadss"))
    assert [item["linkId"] for item in cadss_questionnaire["item"]] == [
        "total",
        "subscale:depersonalization",
        "subscale:derealization",
        "subscale:amnesia",
    ]
    assert all(item["type"] == "integer" for item in cadss_questionnaire["item"])
