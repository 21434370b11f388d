"""The session record and the Spravato REMS monitoring form as PDFs, read back with pdftotext."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import require_service
from sessions.charting import monitoring, steps
from sessions.charting.records import (
    FLOWSHEET_COLUMNS,
    REMS_SECTIONS,
    flowsheet,
    rems_fields,
    rems_form_pdf,
    session_record_pdf,
)
from sessions.models import ChartingSettings
from testing.charting import charted_session

ADDENDUM = "Phoned the next morning: home safely, mild headache resolved."


def pdf_text(pdf):
    """The PDF's text with whitespace collapsed (table cells wrap names onto two lines)."""
    require_service(
        shutil.which("pdftotext") is not None, "pdftotext is not installed (apt-get install poppler-utils)"
    )
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(text.split())


def name(user):
    return user.get_full_name()


@pytest.fixture
def signed_iv(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, adverse_event=True, bp_alert=True)
    steps.add_addendum(session, by=nurse, reason="Late note", text=ADDENDUM)
    return session


@pytest.fixture
def signed_esketamine(nurse, prescriber, patient_b):
    return charted_session(patient_b, nurse, prescriber, route="intranasal", room_name="Chair 2")


def test_nurse_gets_the_signed_iv_session_record_as_a_pdf(signed_iv, nurse, prescriber, patient_a):
    pdf = session_record_pdf(signed_iv, nurse)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)

    for expected in (
        "Treatment session record",
        f"{patient_a.legal_family_name}, {patient_a.legal_given_name}",
        "0.500 mg/kg × 72.4 kg = 36.2 mg",
        "50 mg/mL · 0.72 mL",
        "pump rate 1.1 mL/h",
        f"lot {signed_iv.vial.lot}",
        "Entry #2 on vial",
        "MOAA/S",
        "Lethargic response to name spoken in normal tone",
        "18 (8 / 7 / 2)",
        "Ondansetron 4 mg IV",
        "SBP 184 above 180 (alert threshold)",
        "184 !",
        "Rechecked at 45 minutes",
        "Total 10 / 10",
        "120 minutes from the start of the dose",
        "Alex Morgan (partner)",
        f"Signed: {name(nurse)}",
        f"Signed: {name(prescriber)}",
        "Signed and locked",
        "Why: Late note",
        ADDENDUM,
        f"Session record — {patient_a.full_name} — ",
        "Page 1 of",
    ):
        assert expected in text, expected
    assert "UNSIGNED DRAFT" not in text
    assert text.index("Signatures") < text.index(ADDENDUM)


def test_an_unsigned_record_is_marked_as_a_draft(nurse, prescriber, patient_a):
    draft = charted_session(patient_a, nurse, prescriber, sign=False)
    text = pdf_text(session_record_pdf(draft, nurse))
    assert text.count("UNSIGNED DRAFT") == 2
    assert "awaiting the nurse's signature and the prescriber's signature" in text
    assert "Not signed" in text


def test_the_record_marks_late_entries_and_splits_a_long_flowsheet(nurse, prescriber, patient_a):
    session = charted_session(patient_a, nurse, prescriber, until="monitored")
    taken = session.dose_started_at + timedelta(minutes=117)
    steps.record_vitals(
        session, taken_at=taken, by=nurse, now=taken + timedelta(minutes=20), sbp=122, dbp=77, hr=70
    )
    for minute in range(45, 100, 10):  # six extra readings: 17 in all
        when = session.dose_started_at + timedelta(minutes=minute)
        steps.record_vitals(session, taken_at=when, by=nurse, now=when, sbp=130, dbp=80, hr=74)

    vitals = list(session.vitals.all())
    blocks = flowsheet(session, vitals)
    assert len(vitals) == 17 > FLOWSHEET_COLUMNS
    assert [len(block["columns"]) for block in blocks] == [9, 9]  # the last padded with a blank column
    assert blocks[1]["columns"][-1]["reading"] is None
    assert [column["offset"] for column in blocks[0]["columns"][:3]] == ["pre", "+10", "+20"]

    text = pdf_text(session_record_pdf(session, nurse))
    assert "+117 late" in text
    assert "reading charted at" in text and "Late entries" in text
    assert "Not discharged yet." in text


def test_the_record_shows_the_thresholds_in_force_at_the_time_of_the_session(nurse, prescriber, patient_a):
    clinic = ChartingSettings.load()
    clinic.alert_sbp_above = 175
    clinic._history_date = timezone.now() - timedelta(days=1)  # simple_history: when the change was made
    clinic.save()
    session = charted_session(patient_a, nurse, prescriber, sign=False)
    clinic = ChartingSettings.objects.get()
    clinic.alert_sbp_above = 190
    clinic.save()

    text = pdf_text(session_record_pdf(session, nurse))
    assert "Alerts after the dose: SBP above 175 or below 90," in text
    assert "SBP above 190" not in text


def test_a_patient_name_with_quotes_reaches_the_page_footer_intact(nurse, prescriber, patient_a):
    patient_a.legal_family_name = 'O\'Brien-Núñez "Jr"'
    patient_a.save()
    session = charted_session(patient_a, nurse, prescriber, sign=False)
    text = pdf_text(session_record_pdf(session, nurse))
    assert f'Session record — {patient_a.legal_given_name} O\'Brien-Núñez "Jr" — ' in text


def test_nurse_gets_the_rems_form_filled_from_the_esketamine_chart(signed_esketamine, nurse, prescriber):
    pdf = rems_form_pdf(signed_esketamine, nurse)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)

    for expected in (
        "Spravato® REMS Patient Monitoring Form",
        signed_esketamine.patient.full_name,
        "First treatment ☒ Yes ☐ No",
        "Concomitant benzodiazepines ☐ Yes ☒ No",
        "☒ 56 mg",
        "☐ 84 mg ☐ Other: ____ mg",
        "Lot number ESK26K041",
        "125 minutes",
        "at 75 minutes",
        "Blood pressure at 40 minutes 138/86 mmHg",
        "Sedation details",
        "MOAA/S 4 at 20 minutes; 5 at 90 minutes.",
        "Serious adverse events None",
        name(prescriber),
        "(555) 010-0000",
    ):
        assert expected in text, expected
    assert "Missing before submission" not in text
    assert "DRAFT" not in text


def test_a_draft_rems_form_lists_what_is_missing_before_submission(nurse, prescriber, patient_b):
    draft = charted_session(patient_b, nurse, prescriber, route="intranasal", rems=False, sign=False)
    text = pdf_text(rems_form_pdf(draft, nurse))
    assert "Missing before submission" in text
    missing = monitoring.rems_missing(steps.rems_data(draft))
    assert "Patient enrolled in the Spravato REMS (yes/no)" in missing
    for problem in missing:
        assert problem in text
    assert "Patient enrolled in the Spravato REMS ☐ Yes ☐ No" in text
    assert text.index("Missing before submission") < text.index("Patient information")


def test_the_rems_form_is_refused_for_an_iv_session(signed_iv, nurse):
    with pytest.raises(ValueError, match="only for intranasal esketamine"):
        rems_form_pdf(signed_iv, nurse)


def test_the_rems_form_shows_every_rems_field():
    sections = rems_fields({})
    keys = [field["key"] for section in sections for field in section["fields"]]
    assert sorted(keys) == sorted(key for key, _label in monitoring.REMS_FIELDS)
    assert [section["title"] for section in sections] == [title for title, _keys in REMS_SECTIONS]
    assert all(field["missing"] for section in sections for field in section["fields"])
