"""The de-identified research dataset: no direct identifier of the demo data reaches any output file, ages
over 89 are grouped, ZIP codes are cut to 3 digits (000 where restricted), day numbers agree with each
other and with the record, and study ids are random and new every export."""

import csv
import io
import re
from datetime import date, timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from assessments.models import AssessmentResponse
from clinic.audit.models import AuditAction, AuditEvent
from clinic.celery import app as celery_app
from interop.research import dataset as research_dataset
from interop.research import rules
from interop.research.columns import FILES
from patients.models import IntakeSection, Patient
from sessions.charting.models import AdverseEvent, SedationObservation, TreatmentSession
from sessions.integration.models import IntegrationNote

OUTPUT_FILES = [*FILES, "data_dictionary.csv"]
# The module's data is built once by a module fixture; the marker makes pytest-django create the test
# database even when only these tests are selected.
pytestmark = pytest.mark.django_db


def _read(folder):
    return {name: (folder / name).read_text() for name in OUTPUT_FILES}


def _rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def _identifiers():
    """Every direct identifier (and every piece of free text) in the database, as (kind, text) pairs."""
    found = []
    for patient in Patient.objects.all():
        for field in (
            "legal_given_name",
            "legal_family_name",
            "preferred_name",
            "gender_identity",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "emergency_contact_name",
            "emergency_contact_phone",
            "escort_name",
            "escort_phone",
        ):
            if value := getattr(patient, field):
                found.append((f"patient {field}", value))
        born = patient.date_of_birth
        found += [
            ("date of birth", born.isoformat()),
            ("date of birth", born.strftime("%m/%d/%Y")),
            ("phone digits", patient.phone_digits),
            ("patient external id", str(patient.external_id)),
            ("patient external id", patient.external_id.hex),
        ]
    for user in get_user_model().objects.all():
        found += [("user", value) for value in (user.first_name, user.last_name, user.email) if value]
    for session in TreatmentSession.objects.all():
        found.append(("session external id", str(session.external_id)))
        for field in (
            "lot_number",
            "checklist_note",
            "discharge_note",
            "limit_override_reason",
            "escort_name",
        ):
            if value := getattr(session, field):
                found.append((f"session {field}", value))
        found += [("appointment external id", str(session.appointment.external_id))]
    for response in AssessmentResponse.objects.all():
        found.append(("response external id", str(response.external_id)))
    for event in AdverseEvent.objects.all():
        found += [
            (f"adverse event {f}", getattr(event, f))
            for f in ("description", "intervention")
            if getattr(event, f)
        ]
    for observation in SedationObservation.objects.exclude(note=""):
        found.append(("sedation note", observation.note))
    for note in IntegrationNote.objects.all():
        for field in (
            "experience",
            "themes",
            "insights",
            "emotional_state",
            "goals",
            "practices",
            "plan",
            "risk_note",
            "patient_summary",
        ):
            if value := getattr(note, field, ""):
                found.append((f"note {field}", value))
    for section in IntakeSection.objects.filter(key="diagnoses"):
        found += [
            ("diagnosis text", row["description"])
            for row in section.data.get("rows", [])
            if row.get("description")
        ]
    return found


@pytest.fixture(scope="module")
def dataset(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, its two treated patients given ZIP codes (one in a restricted 3-digit area) and one
    of them made 95 years old, exported twice; rolled back after."""
    celery_app.conf.task_always_eager = True
    media = tmp_path_factory.mktemp("media")
    with (
        override_settings(
            MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=io.StringIO())
        treated = list(
            Patient.objects.filter(treatment_sessions__isnull=False).distinct().order_by("legal_family_name")
        )
        assert len(treated) >= 2
        ordinary, oldest = treated[:2]
        restricted = oldest
        first = timezone.localdate(oldest.treatment_sessions.order_by("started_at").first().started_at)
        oldest.date_of_birth = date(first.year - 95, 1, 2)
        restricted.postal_code = "03601"
        oldest.save()
        ordinary.postal_code = "94110-1234"
        ordinary.save()
        folders = [tmp_path_factory.mktemp("research") for _ in range(3)]
        for folder in folders[:2]:
            call_command("export_research", out=str(folder), stdout=io.StringIO(), stderr=io.StringIO())
        with mock.patch.object(research_dataset, "CHUNK", 1):
            research_dataset.write_dataset(str(folders[2]))
        result = {
            "files": _read(folders[0]),
            "again": _read(folders[1]),
            "one_by_one": _read(folders[2]),
            "folder": folders[0],
            "identifiers": _identifiers(),
            "pks": [str(pk) for pk in Patient.objects.values_list("pk", flat=True)],
            "treated": {
                p.pk: [
                    timezone.localdate(s.started_at)
                    for s in p.treatment_sessions.order_by("started_at", "pk")
                ]
                for p in treated
            },
            "audit": AuditEvent.objects.filter(
                action=AuditAction.EXPORT, object_type="De-identified research dataset"
            ).count(),
            "sessions": TreatmentSession.objects.count(),
            "adverse_events": AdverseEvent.objects.count(),
            "responses": sum(p.responses.count() for p in treated),
        }
        transaction.set_rollback(True)
    cache.clear()
    return result


def test_no_direct_identifier_or_free_text_of_the_demo_data_appears_in_any_file(dataset):
    text = "\n".join(dataset["files"].values())
    assert len(dataset["identifiers"]) > 50
    leaked = []
    for kind, value in dataset["identifiers"]:
        value = str(value).strip()
        if not value:
            continue
        if kind.startswith(("patient legal", "patient preferred", "user", "patient emergency_contact_name")):
            pattern = rf"\b{re.escape(value)}\b"
            if re.search(pattern, text):
                leaked.append((kind, value))
        elif value in text:
            leaked.append((kind, value))
    assert leaked == []


def test_ages_over_89_are_grouped_and_others_are_whole_years(dataset):
    ages = [row["age_at_first_treatment"] for row in _rows(dataset["files"]["patients.csv"])]
    assert ages.count("90+") == 1
    assert all(age == "90+" or (age.isdigit() and int(age) <= 89) for age in ages)


def test_zip_codes_are_cut_to_three_digits_and_restricted_areas_are_000(dataset):
    zips = [row["zip3"] for row in _rows(dataset["files"]["patients.csv"])]
    assert "000" in zips and "941" in zips
    assert all(value == "" or re.fullmatch(r"\d{3}", value) for value in zips)
    assert "03601" not in "".join(dataset["files"].values())
    assert "94110" not in "".join(dataset["files"].values())


def test_day_numbers_agree_with_each_other_and_with_the_record(dataset):
    files = dataset["files"]
    patients = {row["study_id"]: row for row in _rows(files["patients.csv"])}
    treatments = {}
    for row in _rows(files["treatments.csv"]):
        treatments.setdefault(row["study_id"], []).append(row)
    assert set(treatments) == set(patients)
    expected = sorted([(day - days[0]).days for day in days] for days in dataset["treated"].values())
    found = []
    for study, rows in treatments.items():
        rows.sort(key=lambda row: int(row["session_number"]))
        days = [int(row["day"]) for row in rows]
        assert [int(row["session_number"]) for row in rows] == list(range(1, len(rows) + 1))
        assert days[0] == 0 and days == sorted(days)
        assert int(patients[study]["sessions"]) == len(rows)
        assert int(patients[study]["last_session_day"]) == days[-1]
        found.append(days)
    assert sorted(found) == expected
    session_day = {
        (row["study_id"], row["session_number"]): int(row["day"])
        for rows in treatments.values()
        for row in rows
    }
    events = _rows(files["adverse_events.csv"])
    assert len(events) == dataset["adverse_events"] > 0
    for event in events:
        assert int(event["day"]) >= session_day[(event["study_id"], event["session_number"])]
    scores = _rows(files["scores.csv"])
    assert len(scores) == dataset["responses"] > 0
    assert all(row["study_id"] in patients for row in scores)
    assert len(session_day) == dataset["sessions"]


def test_chunks_of_one_patient_give_the_same_rows_as_one_chunk(dataset):
    def without_study_ids(files):
        return {name: sorted(tuple(row.values())[1:] for row in _rows(files[name])) for name in FILES}

    assert len(_rows(dataset["one_by_one"]["patients.csv"])) == len(dataset["treated"])
    assert without_study_ids(dataset["one_by_one"]) == without_study_ids(dataset["files"])


def test_study_ids_are_random_and_new_each_export(dataset):
    first = {row["study_id"] for row in _rows(dataset["files"]["patients.csv"])}
    again = {row["study_id"] for row in _rows(dataset["again"]["patients.csv"])}
    assert len(first) == len(dataset["treated"]) and not first & again
    assert all(re.fullmatch(r"[0-9a-f]{16}", study) for study in first)
    assert not first & set(dataset["pks"])


def test_every_column_is_in_the_data_dictionary_with_a_meaning(dataset):
    dictionary = _rows(dataset["files"]["data_dictionary.csv"])
    described = {(row["file"], row["column"]) for row in dictionary if row["meaning"]}
    for name in FILES:
        header = next(csv.reader(io.StringIO(dataset["files"][name])))
        assert {(name, column) for column in header} <= described


def test_each_export_is_recorded_in_the_audit_trail_and_a_full_folder_is_not_overwritten(dataset):
    assert dataset["audit"] == 2
    with pytest.raises(CommandError, match="already holds a dataset"):
        call_command("export_research", out=str(dataset["folder"]), stdout=io.StringIO())


@pytest.mark.parametrize(
    ("postal_code", "expected"),
    [
        ("94110", "941"),
        ("94110-1234", "941"),
        (" 036 01", ""),
        ("03601", "000"),
        ("89301", "000"),
        ("SW1A 1AA", ""),
        ("", ""),
    ],
)
def test_zip3_keeps_three_digits_of_a_us_zip_and_zeroes_restricted_areas(postal_code, expected):
    assert rules.zip3(postal_code) == expected


def test_the_restricted_list_has_the_17_areas_of_the_hhs_guidance():
    assert len(rules.RESTRICTED_ZIP3) == 17


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        (date(1936, 6, 2), date(2026, 6, 1), 89),
        (date(1936, 6, 1), date(2026, 6, 1), "90+"),
        (date(1930, 1, 1), date(2026, 6, 1), "90+"),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
    ],
)
def test_age_group_gives_whole_years_and_90_plus_above_89(born, on, expected):
    assert rules.age_group(born, on) == expected


def test_day_numbers_count_from_the_first_treatment():
    first = date(2026, 3, 1)
    assert [rules.day_number(first, first + timedelta(days=n)) for n in (-3, 0, 14)] == [-3, 0, 14]


def test_icd10_codes_keep_codes_and_drop_text():
    rows = [{"code": "f33.1"}, {"code": "Major depression, recurrent"}, {"code": "F43.10"}, {"code": ""}]
    assert rules.icd10_codes(rows) == ["F33.1", "F43.10"]
