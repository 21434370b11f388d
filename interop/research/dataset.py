"""Writing the research dataset: patients with at least one treatment session, ``CHUNK`` at a time in
primary-key order (keyset pagination), each chunk in a fixed number of queries that read only coded and
numeric columns (no name, contact, address, date of birth beyond the age, note or other free text is
even selected), written out before the next chunk is read.

The study ids live only while their chunk is written: nothing maps them back to patients, here or in the
database. Within a chunk the patients are written in random order, so the row order does not follow the
order patients were registered in.
"""

import csv
import os
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, Max, Min, OuterRef
from django.utils import timezone

from assessments.models import AssessmentResponse
from interop.research import rules
from interop.research.columns import FILES, dictionary_rows, header
from patients.models import IntakeSection, Patient
from sessions.charting.models import (
    AdverseEvent,
    EsketamineDevice,
    SedationObservation,
    TreatmentSession,
    VitalSignReading,
)

CHUNK = 200
_shuffle = random.SystemRandom().shuffle


def _day(moment):
    return timezone.localdate(moment)


def _yes_no(value):
    return "yes" if value else "no"


def _per_session(model, **aggregates):
    return lambda session_ids: {
        row.pop("session_id"): row
        for row in model.objects.filter(session_id__in=session_ids)
        .values("session_id")
        .annotate(**aggregates)
    }


_vitals = _per_session(
    VitalSignReading, peak_sbp=Max("sbp"), peak_dbp=Max("dbp"), peak_hr=Max("hr"), lowest_spo2=Min("spo2")
)
_sedation = _per_session(SedationObservation, lowest_moaas=Min("moaas"), peak_cadss_total=Max("cadss_total"))
_devices = _per_session(EsketamineDevice, devices_given=Count("pk"))


def _mg_per_kg(session):
    if session["ordered_mg_per_kg"] is not None:
        return session["ordered_mg_per_kg"]
    if session["ordered_dose_mg"] is not None and session["weight_kg"]:
        return (session["ordered_dose_mg"] / session["weight_kg"]).quantize(Decimal("0.001"), ROUND_HALF_UP)
    return None


def _minutes(start, end):
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() // 60)


def _chunks():
    treated = Patient.objects.filter(
        Exists(TreatmentSession.objects.filter(patient=OuterRef("pk")))
    ).order_by("pk")
    after = 0
    while True:
        chunk = list(
            treated.filter(pk__gt=after).values(
                "pk",
                "date_of_birth",
                "sex_at_birth",
                "postal_code",
                "indications",
                "treatment_route",
                "status",
            )[:CHUNK]
        )
        if not chunk:
            return
        yield chunk
        after = chunk[-1]["pk"]


def _chunk_rows(patients):
    """The rows of every file for one chunk of patients: {file name: [row, …]}."""
    pks = [patient["pk"] for patient in patients]
    sessions = list(
        TreatmentSession.objects.filter(patient__in=pks)
        .order_by("patient_id", "started_at", "pk")
        .values(
            "pk",
            "patient_id",
            "route",
            "status",
            "started_at",
            "dose_started_at",
            "discharged_at",
            "weight_kg",
            "ordered_dose_mg",
            "ordered_mg_per_kg",
            "ordered_minutes",
            "mood_pre",
            "aldrete",
        )
    )
    session_ids = [session["pk"] for session in sessions]
    vitals, sedation, devices = _vitals(session_ids), _sedation(session_ids), _devices(session_ids)
    events = {}
    for event in (
        AdverseEvent.objects.filter(session_id__in=session_ids)
        .order_by("taken_at", "pk")
        .values("session_id", "taken_at", "kind", "severity", "intervention", "outcome", "serious")
    ):
        events.setdefault(event["session_id"], []).append(event)
    responses = {}
    for response in (
        AssessmentResponse.objects.filter(patient__in=pks)
        .order_by("completed_at", "pk")
        .values(
            "patient_id", "version__instrument__code", "completed_at", "total", "band", "is_baseline", "mode"
        )
    ):
        responses.setdefault(response["patient_id"], []).append(response)
    diagnoses = dict(
        IntakeSection.objects.filter(intake__patient__in=pks, key="diagnoses").values_list(
            "intake__patient_id", "data"
        )
    )
    by_patient = {}
    for session in sessions:
        by_patient.setdefault(session["patient_id"], []).append(session)

    rows = {name: [] for name in FILES}
    shuffled = list(patients)
    _shuffle(shuffled)
    for patient in shuffled:
        own = by_patient[patient["pk"]]
        study = rules.study_id()
        first = _day(own[0]["started_at"])
        rows["patients.csv"].append(
            [
                study,
                rules.age_group(patient["date_of_birth"], first),
                patient["sex_at_birth"],
                rules.zip3(patient["postal_code"]),
                ";".join(
                    sorted(
                        str(code)
                        for code in patient["indications"] or []
                        if code in Patient.Indication.values
                    )
                ),
                ";".join(rules.icd10_codes((diagnoses.get(patient["pk"]) or {}).get("rows"))),
                patient["treatment_route"],
                patient["status"],
                len(own),
                rules.day_number(first, _day(own[-1]["started_at"])),
            ]
        )
        for number, session in enumerate(own, start=1):
            day = rules.day_number(first, _day(session["started_at"]))
            measured = vitals.get(session["pk"], {}) | sedation.get(session["pk"], {})
            session_events = events.get(session["pk"], [])
            rows["treatments.csv"].append(
                [
                    study,
                    number,
                    day,
                    session["route"],
                    session["status"],
                    _yes_no(session["dose_started_at"]),
                    session["weight_kg"],
                    session["ordered_dose_mg"],
                    _mg_per_kg(session),
                    session["ordered_minutes"],
                    devices.get(session["pk"], {}).get("devices_given", 0)
                    if session["route"] == "intranasal"
                    else None,
                    session["mood_pre"],
                    measured.get("peak_sbp"),
                    measured.get("peak_dbp"),
                    measured.get("peak_hr"),
                    measured.get("lowest_spo2"),
                    measured.get("lowest_moaas"),
                    measured.get("peak_cadss_total"),
                    sum(int(value) for value in session["aldrete"].values()) if session["aldrete"] else None,
                    _minutes(session["started_at"], session["discharged_at"]),
                    len(session_events),
                ]
            )
            for event in session_events:
                rows["adverse_events.csv"].append(
                    [
                        study,
                        number,
                        rules.day_number(first, _day(event["taken_at"])),
                        _minutes(session["dose_started_at"], event["taken_at"]),
                        event["kind"],
                        event["severity"],
                        _yes_no(event["intervention"].strip()),
                        event["outcome"],
                        _yes_no(event["serious"]),
                    ]
                )
        for response in responses.get(patient["pk"], []):
            rows["scores.csv"].append(
                [
                    study,
                    response["version__instrument__code"],
                    rules.day_number(first, _day(response["completed_at"])),
                    response["total"],
                    response["band"],
                    _yes_no(response["is_baseline"]),
                    response["mode"],
                ]
            )
    return rows


def write_dataset(folder, progress=None):
    """Write the dataset's CSV files and data_dictionary.csv into ``folder``; returns {file: data rows}."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "data_dictionary.csv"), "w", newline="") as out:
        csv.writer(out).writerows(dictionary_rows())
    files = {name: open(os.path.join(folder, name), "w", newline="") for name in FILES}  # noqa: SIM115
    counts = dict.fromkeys(FILES, 0)
    try:
        writers = {name: csv.writer(out) for name, out in files.items()}
        for name, writer in writers.items():
            writer.writerow(header(name))
        done = 0
        for chunk in _chunks():
            for name, rows in _chunk_rows(chunk).items():
                writers[name].writerows(["" if value is None else value for value in row] for row in rows)
                counts[name] += len(rows)
            done += len(chunk)
            if progress:
                progress(done)
    finally:
        for out in files.values():
            out.close()
    return counts
