"""The FHIR Bulk Data export: one NDJSON file per resource type whose lines validate and whose references
resolve across the files with the bundle's ids, a manifest that counts them, ``--since``, resuming after an
interruption, one audit row per run, queries that do not grow with the number of patients, and the same
files from several processes as from one, resumed or not.

The tests with several processes commit their data (``transaction=True``): a worker process has its own
database connection and could not see the rows of a test's open transaction (the export refuses to fork
inside one, which the other tests go through). They run on SQLite too, whose test database is a file."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from clinic.audit.models import AuditAction, AuditEvent
from interop import bulk
from interop.fhir import patient_resources
from patients.models import Patient
from testing.charting import charted_session
from testing.factories import PatientFactory
from testing.fhir import references


@pytest.fixture
def clinic(nurse, prescriber):
    """Two treated patients (IV with an adverse event, and esketamine) and one registered only."""
    start = timezone.now() - timedelta(days=10)
    iv = PatientFactory()
    charted_session(iv, nurse, prescriber, start=start, adverse_event=True)
    esketamine = PatientFactory()
    charted_session(esketamine, nurse, prescriber, route="intranasal", start=start)
    registered = PatientFactory()
    return [iv, esketamine, registered]


def _export(folder, **options):
    out = io.StringIO()
    call_command("export_fhir", out=str(folder), stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def _files(folder):
    return {
        path.name: path.read_text().splitlines()
        for path in sorted(folder.iterdir())
        if path.suffix == ".ndjson"
    }


def _bytes(folder):
    """Every file of the export, the checkpoint aside, with the manifest's transactionTime blanked."""
    files = {path.name: path.read_bytes() for path in folder.iterdir() if path.name != bulk.CHECKPOINT}
    manifest = json.loads(files.pop(bulk.MANIFEST))
    manifest["transactionTime"] = None
    return files, manifest


def test_bulk_export_writes_one_valid_ndjson_file_per_type_and_a_manifest(clinic, tmp_path):
    message = _export(tmp_path)
    assert "Finished: 3 patients" in message
    files = _files(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    assert manifest["request"] == "manage.py export_fhir"
    assert {item["url"] for item in manifest["output"]} == set(files)
    ids = {}
    for item in manifest["output"]:
        lines = files[item["url"]]
        assert item["url"] == f"{item['type']}.ndjson" and item["count"] == len(lines)
        for line in lines:
            data = json.loads(line)
            assert data["resourceType"] == item["type"]
            get_fhir_model_class(item["type"]).model_validate(data)
            assert data["id"] not in ids, "each resource once, Practitioners and Questionnaires included"
            ids[data["id"]] = data["resourceType"]
    assert len(files["Patient.ndjson"]) == 3
    assert {
        "Encounter.ndjson",
        "Observation.ndjson",
        "MedicationAdministration.ndjson",
        "AdverseEvent.ndjson",
    } <= set(files)


def test_every_reference_resolves_across_the_files_with_the_ids_of_the_bundle(clinic, tmp_path):
    _export(tmp_path)
    lines = [json.loads(line) for lines in _files(tmp_path).values() for line in lines]
    ids = {(data["resourceType"], data["id"]) for data in lines}
    # "#drug" points at a resource contained in the one that holds it.
    pointers = [ref for data in lines for ref in references(data) if not ref.startswith("#")]
    assert pointers
    for reference in pointers:
        kind, _, resource_id = reference.partition("/")
        assert (kind, resource_id) in ids, reference
    bundle_ids = {resource.id for patient in clinic for resource in patient_resources(patient)}
    assert {resource_id for _, resource_id in ids} == bundle_ids


def test_since_exports_only_patients_whose_record_changed_since(clinic, tmp_path):
    iv, esketamine, registered = clinic
    long_ago = timezone.now() - timedelta(days=400)
    Patient.objects.filter(pk=registered.pk).update(updated_at=long_ago)
    assert bulk.changed_patient_ids(timezone.now() - timedelta(days=1)) == sorted([iv.pk, esketamine.pk])
    _export(tmp_path, since=(timezone.now() - timedelta(days=1)).date().isoformat())
    exported = {json.loads(line)["id"] for line in _files(tmp_path)["Patient.ndjson"]}
    assert exported == {str(iv.external_id), str(esketamine.external_id)}
    assert bulk.changed_patient_ids(timezone.now() + timedelta(days=1)) == []


class Interrupted(Exception):
    pass


def _interrupt_after_first_chunk(folder, jobs):
    """An export stopped after its first chunk of one patient, a half-written chunk after it."""
    export = bulk.BulkExport(str(folder))
    assert export.prepare() == "new"

    def stop(done):
        raise Interrupted

    with pytest.raises(Interrupted):
        export.run(progress=stop, jobs=jobs)
    checkpoint = json.loads((folder / bulk.CHECKPOINT).read_text())
    assert checkpoint["patients"] == 1 and not checkpoint["finished"]
    # As a crash would leave it.
    with open(folder / "Observation.ndjson", "a") as half:
        half.write('{"resourceType":"Observation","id":"half-writ')


def test_an_interrupted_export_resumes_from_its_checkpoint_and_ends_as_a_full_one(
    clinic, tmp_path, monkeypatch
):
    whole = tmp_path / "whole"
    _export(whole)
    monkeypatch.setattr(bulk, "CHUNK", 1)
    interrupted = tmp_path / "interrupted"
    _interrupt_after_first_chunk(interrupted, jobs=1)
    assert "Resuming after 1 patients" in _export(interrupted)
    assert _bytes(interrupted) == _bytes(whole)
    assert "already finished" in _export(interrupted)
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="FHIR Bulk Data export")
    # The whole export and the resumed run (the interrupted one went through the API, and a finished
    # export exports nothing).
    assert events.count() == 2


def test_each_command_run_records_one_audit_event(clinic, tmp_path):
    _export(tmp_path)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="FHIR Bulk Data export")
    assert "export_fhir" in event.detail and str(tmp_path) in event.detail


def test_a_folder_holding_another_export_is_refused_unless_restarted(clinic, tmp_path):
    _export(tmp_path)
    with pytest.raises(CommandError, match="another export"):
        _export(tmp_path, since="2026-01-01")
    assert "Finished" in _export(tmp_path, since="2026-01-01", restart=True)
    with pytest.raises(CommandError, match="not a date"):
        _export(tmp_path / "x", since="yesterday")
    with pytest.raises(CommandError, match="go with --out"):
        call_command(
            "export_fhir", patient=str(clinic[0].external_id), since="2026-01-01", stdout=io.StringIO()
        )


def test_the_queries_of_a_chunk_do_not_grow_with_its_patients(nurse, prescriber, tmp_path):
    start = timezone.now() - timedelta(days=10)
    patient = PatientFactory()
    charted_session(patient, nurse, prescriber, start=start)
    export = bulk.BulkExport(str(tmp_path / "one"))
    export.prepare()
    with CaptureQueriesContext(connection) as one:
        export.run()
    for _ in range(3):
        charted_session(PatientFactory(), nurse, prescriber, start=start)
    export = bulk.BulkExport(str(tmp_path / "four"))
    export.prepare()
    with CaptureQueriesContext(connection) as four:
        export.run()
    assert export.state["patients"] == 4
    assert len(four) <= len(one)


def test_inside_a_transaction_the_export_runs_in_one_process(clinic, tmp_path):
    message = _export(tmp_path, jobs=2)
    assert "One process, not 2: inside a transaction" in message and "patients/s, 1 process)" in message
    with pytest.raises(CommandError, match="1 or more"):
        _export(tmp_path / "none", jobs=0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_several_processes_write_the_same_files_as_one(clinic, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 1)  # a chunk per patient: each process gets some
    assert "1 process)" in _export(tmp_path / "one", jobs=1)
    assert "3 processes" in _export(tmp_path / "three", jobs=3)
    one, three = _bytes(tmp_path / "one"), _bytes(tmp_path / "three")
    assert three == one
    practitioners = three[0]["Practitioner.ndjson"].splitlines()
    assert len(practitioners) == len(set(practitioners)) == 2, "the nurse and the prescriber, once each"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_interrupted_export_in_several_processes_resumes_as_a_full_one(clinic, tmp_path, monkeypatch):
    _export(tmp_path / "whole", jobs=1)
    monkeypatch.setattr(bulk, "CHUNK", 1)
    interrupted = tmp_path / "interrupted"
    _interrupt_after_first_chunk(interrupted, jobs=2)
    assert "Resuming after 1 patients" in _export(interrupted, jobs=2)
    assert _bytes(interrupted) == _bytes(tmp_path / "whole")


def test_since_finds_a_record_changed_only_by_an_addendum_or_a_screening_decision(clinic, nurse, prescriber):
    from patients.models import ScreeningDecision
    from sessions.charting import steps
    from sessions.charting.models import TreatmentSession

    iv, _esketamine, registered = clinic
    since = timezone.now()
    assert bulk.changed_patient_ids(since) == []
    steps.add_addendum(
        TreatmentSession.objects.get(patient=iv), by=nurse, reason="Late entry", text="Escort confirmed."
    )
    assert bulk.changed_patient_ids(since) == [iv.pk]
    later = timezone.now()
    ScreeningDecision.objects.create(
        patient=registered,
        outcome="declined",
        note="Not suitable now.",
        signed_by=prescriber,
        signer_name="P",
    )
    assert bulk.changed_patient_ids(later) == [registered.pk]
