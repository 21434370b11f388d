"""The ledger report for a date range: the HTML preview, per-vial opening and closing balances, the
CSV and the PDF, and the range's validation."""

import csv
import io
import logging
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import require_service
from sessions.ledger.entries import administer, correct, count, receive_vial, waste
from sessions.ledger.report import CSV_HEADER
from testing.factories import TEST_PASSWORD

REPORT = reverse("sessions:ledger_report")
FEBRUARY = {"start": "2026-02-01", "end": "2026-02-28"}


def on(day, hour=10):
    return time_machine.travel(timezone.make_aware(datetime.combine(day, time(hour))), tick=False)


def receive(lot, by, volume="10"):
    return receive_vial(
        lot=lot,
        expiry=date(2027, 6, 30),
        concentration_mg_per_ml=Decimal("50"),
        volume_ml=volume,
        supplier="Example Pharma",
        invoice_number="INV-7",
        by=by,
    )


@pytest.fixture
def history(nurse, prescriber, patient_a):
    """Vial A: received Jan 10, 1 mL given Jan 20 (#2), 0.5 mL wasted Feb 3 (#3), counted Feb 10 (#4),
    the waste corrected Mar 2 (#5). Vial B: received Feb 15, 2 mL given Feb 20. Vial C: received and
    used up in December, untouched since."""
    with on(date(2025, 12, 1)):
        vial_c = receive("LOT-C", nurse, volume="1")
    with on(date(2025, 12, 2)):
        administer(vial_c, ml="1", patient=patient_a, by=nurse)
    with on(date(2026, 1, 10)):
        vial_a = receive("LOT-A", nurse)
    with on(date(2026, 1, 20)):
        administer(vial_a, ml="1", patient=patient_a, by=nurse)
    with on(date(2026, 2, 3)):
        wasted = waste(
            vial_a,
            ml="0.5",
            by=nurse,
            witness=prescriber,
            witness_password=TEST_PASSWORD,
            reason="Remainder of the drawn dose",
        )
    with on(date(2026, 2, 10), hour=18):
        count(vial_a, counted_ml="8.4", by=nurse, reason="-0.1 mL short at close of business")
    with on(date(2026, 2, 15)):
        vial_b = receive("LOT-B", prescriber)
    with on(date(2026, 2, 20)):
        administer(vial_b, ml="2", patient=patient_a, by=prescriber)
    with on(date(2026, 3, 2)):
        correct(wasted, change_ml="0.2", by=nurse, reason="0.3 mL wasted, not 0.5 mL")
    return {"a": vial_a, "b": vial_b, "c": vial_c}


def test_the_report_previews_entries_and_balances_per_vial(client_for, nurse, prescriber, patient_a, history):
    response = client_for(nurse).get(REPORT, FEBRUARY)
    assert response.status_code == 200
    report = response.context["report"]
    assert [(e.vial.lot, e.number, e.kind) for e in report.entries] == [
        ("LOT-A", 3, "waste"),
        ("LOT-A", 4, "count"),
        ("LOT-B", 1, "receipt"),
        ("LOT-B", 2, "administration"),
    ]
    balances = {
        v.lot: (v.opening, v.received, v.given, v.wasted, v.adjusted, v.closing) for v in report.vials
    }
    assert balances == {
        "LOT-A": (Decimal("9.00"), 0, 0, Decimal("0.50"), Decimal("-0.10"), Decimal("8.40")),
        "LOT-B": (0, Decimal("10.00"), Decimal("2.00"), 0, 0, Decimal("8.00")),
    }
    assert all(v.adds_up for v in report.vials)
    html = response.content.decode()
    for text in (
        "Remainder of the drawn dose",
        "corrected by #5",
        patient_a.full_name,
        str(prescriber),
        "8.40 mL",
        "4 entries on 2 vials",
        "format=csv",
        "format=pdf",
    ):
        assert text in html, text


def test_the_report_defaults_to_this_month_so_far(client_for, nurse):
    response = client_for(nurse).get(REPORT)
    form = response.context["form"]
    today = timezone.localdate()
    assert (form.cleaned_data["start"], form.cleaned_data["end"]) == (today.replace(day=1), today)
    assert response.context["report"] is not None


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "The end date is before the start date."),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "A report covers at most two years (731 days)"),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "Enter a valid date."),
        ({"start": "", "end": "2026-03-01"}, "This field is required."),
        ({"end": "2026-03-01"}, "This field is required."),
        ({"start": "9999-12-30", "end": "9999-12-31"}, "Choose a date between 1900 and 2199."),
    ],
)
@pytest.mark.parametrize("kind", ["html", "csv", "pdf"])
def test_a_bad_range_is_explained_on_the_form(client_for, nurse, dates, message, kind):
    response = client_for(nurse).get(REPORT, {**dates, "format": kind})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.context["report"] is None
    assert message in response.content.decode().replace("&#x27;", "'")


def test_two_years_is_the_longest_range(client_for, nurse):
    response = client_for(nurse).get(REPORT, {"start": "2024-01-01", "end": "2025-12-31"})
    assert response.context["report"] is not None


def test_the_csv_has_a_header_and_one_row_per_entry(
    client_for, nurse, prescriber, patient_a, history, caplog
):
    caplog.set_level(logging.INFO)
    response = client_for(nurse).get(REPORT, {**FEBRUARY, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="controlled-substance-ledger-2026-02-01-to-2026-02-28.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == CSV_HEADER
    assert len(rows) == 1 + 4
    entry = [dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]]
    assert {
        key: entry[0][key]
        for key in ("Date and time", "Lot", "Kind", "Change (mL)", "Balance after (mL)", "Witness", "Reason")
    } == {
        "Date and time": "2026-02-03 10:00:00 EST",
        "Lot": "LOT-A",
        "Kind": "Waste",
        "Change (mL)": "-0.50",
        "Balance after (mL)": "8.50",
        "Witness": str(prescriber),
        "Reason": "Remainder of the drawn dose",
    }
    assert (entry[0]["Entry no. on vial"], entry[0]["Corrected by entry no."]) == ("3", "5")
    assert entry[0]["Vial"] == str(history["a"].external_id)
    assert entry[0]["Recorded by"] == str(nurse)
    assert (entry[1]["Kind"], entry[1]["Counted (mL)"]) == ("Inventory count", "8.40")
    assert entry[1]["Reason"] == "'-0.1 mL short at close of business"  # never read as a formula
    assert entry[3]["Patient"] == patient_a.full_name
    assert (entry[3]["Change (mL)"], entry[3]["Change (mg)"]) == ("-2.00", "-100.0")
    assert (entry[3]["Drug"], entry[3]["Concentration (mg/mL)"]) == ("Ketamine hydrochloride", "50.00")
    exports = [r.getMessage() for r in caplog.records if "exported" in r.getMessage()]
    assert exports == [f"ledger report 2026-02-01 to 2026-02-28 exported as csv by user {nurse.pk}"]
    assert patient_a.legal_family_name not in caplog.text


def test_the_csv_names_the_correction_both_ways(client_for, nurse, history):
    response = client_for(nurse).get(REPORT, {"start": "2026-01-01", "end": "2026-03-31", "format": "csv"})
    rows = [
        dict(zip(CSV_HEADER, row, strict=True))
        for row in list(csv.reader(io.StringIO(response.content.decode())))[1:]
    ]
    fix = next(row for row in rows if row["Kind"] == "Correction")
    assert (fix["Lot"], fix["Entry no. on vial"], fix["Corrects entry no."], fix["Change (mL)"]) == (
        "LOT-A",
        "5",
        "3",
        "0.20",
    )
    assert len(rows) == 7


def test_the_pdf_has_the_clinic_range_author_entries_and_balances(client_for, nurse, patient_a, history):
    patient_a.legal_given_name, patient_a.legal_family_name = "Christopher Maximilian", "Robbins-Delacroix"
    patient_a.save()
    response = client_for(nurse).get(REPORT, {**FEBRUARY, "format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    require_service(shutil.which("pdftotext"), "pdftotext is not installed (apt-get install poppler-utils)")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    for expected in (
        "Clinic · Controlled-substance ledger",
        "Feb 1, 2026 – Feb 28, 2026",
        f"by {nurse.get_full_name()}",
        "Balances by vial",
        "LOT-A",
        "LOT-B",
        "Remainder of the drawn",
        "(corrected by #5)",
        "Page 1 of",
    ):
        assert expected in text, expected
    # A long name wraps inside its table cell; read in text order, its words still follow each other.
    plain = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True)
    assert patient_a.full_name in " ".join(plain.stdout.decode().split())
    assert re.search(r"LOT-A\s+\w{6}\s+2027-06-30\s+9\.00\s+0\.00\s+0\.00\s+0\.50\s+-0\.10\s+8\.40", text)
    assert "LOT-C" not in text


def test_an_administrator_downloads_the_report_and_a_therapist_cannot(client_for, administrator, therapist):
    assert client_for(administrator).get(REPORT, {**FEBRUARY, "format": "csv"}).status_code == 200
    assert client_for(therapist).get(REPORT, {**FEBRUARY, "format": "csv"}).status_code == 403


def test_an_empty_range_says_so(client_for, nurse, history):
    response = client_for(nurse).get(REPORT, {"start": "2025-06-01", "end": "2025-06-30"})
    assert "No entries in this range." in response.content.decode()
    assert response.context["report"].vials == []


def test_the_report_uses_a_fixed_number_of_queries(
    client_for, nurse, patient_a, django_assert_max_num_queries
):
    client = client_for(nurse)
    today = {"start": timezone.localdate().isoformat(), "end": timezone.localdate().isoformat()}
    receive("FEW", nurse)
    with django_assert_max_num_queries(20) as few:
        client.get(REPORT, today)
    for n in range(15):
        vial = receive(f"MANY-{n}", nurse)
        administer(vial, ml="1", patient=patient_a, by=nurse)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(REPORT, today)
    assert len(response.context["report"].entries) == 31


def test_a_range_runs_midnight_to_midnight_in_the_clinics_time_zone(client_for, nurse):
    with on(date(2026, 2, 28), hour=23):
        late = receive("LATE", nurse)
    with on(date(2026, 3, 1), hour=0):
        receive("EARLY-MARCH", nurse)
    report = client_for(nurse).get(REPORT, FEBRUARY).context["report"]
    assert [v.lot for v in report.vials] == ["LATE"]
    assert timezone.localtime(report.entries[0].created_at).date() == date(2026, 2, 28)
    assert report.entries[0].created_at.astimezone(UTC).date() == date(2026, 3, 1)  # 04:00 UTC
    assert report.entries == [late.entries.get()]
