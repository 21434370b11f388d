"""The treatment-session record and the Spravato REMS patient monitoring form, as PDFs.

Both are standalone HTML templates rendered with ``render_to_string`` and laid out by WeasyPrint, like
``assessments.reports.progress_report_pdf``: the PDF shows the chart as it is stored (the flags each
reading was given when it was charted, the thresholds of the charting settings in force at the time
of the session), never a recomputation with today's settings.
"""

from datetime import timedelta

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from clinic.models import ClinicSettings
from clinic.templatetags.clinic_pdf import css_string
from sessions.charting import monitoring, safety, steps
from sessions.charting.checklist import checklist_rows
from sessions.charting.flowsheet import vitals_chart_svg
from sessions.models import ChartingSettings, TreatmentSession

#: Most time columns in one block of the flowsheet table: fourteen fit a portrait Letter or A4 page at
#: 7.5 pt. More readings are split into blocks of equal width, the last one padded with blank columns.
FLOWSHEET_COLUMNS = 14

#: Rows of the flowsheet table: (field, label, unit).
FLOWSHEET_ROWS = (
    ("sbp", "SBP", "mmHg"),
    ("dbp", "DBP", "mmHg"),
    ("hr", "HR", "/min"),
    ("spo2", "SpO2", "%"),
    ("rr", "RR", "/min"),
    ("temp_c", "Temp", "°C"),
)

#: The paper form's sections, in its order; a field of ``monitoring.REMS_FIELDS`` not named here still
#: appears, under "Other".
REMS_SECTIONS = (
    ("Patient information", ("patient_name", "patient_dob", "patient_sex", "first_treatment", "enrolled")),
    (
        "Concomitant medications",
        ("benzodiazepines", "sedative_hypnotics", "psychostimulants", "maois", "opioids"),
    ),
    (
        "Monitoring provider and healthcare setting",
        ("provider_name", "provider_phone", "provider_email", "clinic_name", "clinic_address"),
    ),
    ("Treatment", ("treatment_date", "dose", "lot_number")),
    (
        "Monitoring",
        (
            "total_monitoring_minutes",
            "ready_without_minimum",
            "vitals_ok_pre_dose",
            "vitals_ok_at_completion",
            "bp_pre_dose",
            "bp_40_min",
            "bp_before_completion",
        ),
    ),
    ("Adverse events", ("sedation", "dissociation", "respiratory_depression", "serious_adverse_events")),
)
_REMS_DETAILS = {
    "sedation": "sedation_details",
    "dissociation": "dissociation_details",
    "respiratory_depression": "respiratory_depression_details",
}
#: The REMS program asks for the form within 7 days of the session (docs/clinical-reference.md).
REMS_SUBMIT_WITHIN = timedelta(days=7)

YES, NO, BOX_YES, BOX_NO = "Yes", "No", "\u2612", "\u2610"


# --- Shared ---------------------------------------------------------------------------------------


def _who(user):
    if user is None:
        return ""
    name = user.get_full_name() or user.email
    return f"{name}, {user.credential}" if user.credential else name


def _local(when):
    return timezone.localtime(when) if when else None


def _settings_at(when):
    """The charting settings (thresholds, dose limits) in force at ``when`` (their history, carried over
    from ClinicSettings' when they moved), or today's when there is none."""
    if when is not None:
        past = ChartingSettings.history.filter(history_date__lte=when).order_by("-history_date").first()
        if past is not None:
            return past.instance
    return ChartingSettings.load()


def _session_date(session):
    return timezone.localdate(session.dose_started_at or session.started_at)


def _base_context(session, generated_by):
    patient = session.patient
    generated_at = timezone.localtime()
    date = _session_date(session)
    return {
        "session": session,
        "patient": patient,
        "patient_id": patient.external_id.hex[:8].upper(),
        "clinic": ClinicSettings.load(),
        "session_date": date,
        "generated_by": _who(generated_by),
        "generated_at": generated_at,
        "tz_name": generated_at.strftime("%Z"),
    }


def _pdf(template, context):
    from weasyprint import HTML

    return HTML(string=render_to_string(template, context)).write_pdf(pdf_tags=True)


# --- Session record -------------------------------------------------------------------------------


def _value_text(field, value):
    if value is None:
        return ""
    if field == "temp_c":
        return f"{value:.1f}"
    return str(value)


def flowsheet(session, vitals):
    """The vitals as time columns, in blocks of at most ``FLOWSHEET_COLUMNS``: each column a reading
    with its clock time, minutes from the dose, late-entry mark and flagged cells."""
    columns = []
    for reading in vitals:
        flagged = reading.flagged_fields
        minute = session.minutes_from_dose(reading.taken_at)
        columns.append(
            {
                "reading": reading,
                "time": _local(reading.taken_at),
                "offset": "pre" if reading.pre_dose or minute is None else f"+{minute}",
                "late": reading.late_entry,
                "cells": [
                    {"text": _value_text(field, getattr(reading, field)), "flag": field in flagged}
                    for field, _label, _unit in FLOWSHEET_ROWS
                ],
            }
        )
    count = -(-len(columns) // FLOWSHEET_COLUMNS)
    size = -(-len(columns) // count) if count else 0
    blank = {"reading": None, "time": None, "offset": "", "late": False}
    blank["cells"] = [{"text": " ", "flag": False} for _row in FLOWSHEET_ROWS]
    blocks = []
    for start in range(0, len(columns), size or 1):
        block = columns[start : start + size]
        if count > 1:
            block += [blank] * (size - len(block))
        blocks.append(
            {
                "columns": block,
                "rows": [
                    {"label": label, "unit": unit, "cells": [column["cells"][index] for column in block]}
                    for index, (_field, label, unit) in enumerate(FLOWSHEET_ROWS)
                ],
            }
        )
    return blocks


def _ledger_number(entry):
    """The entry's line number on its vial's record (1, 2, 3… in ledger order, as the ledger shows it)."""
    earlier = Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lte=entry.pk)
    return entry.vial.entries.filter(earlier).count()


def session_record_context(session, generated_by):
    session = (
        TreatmentSession.objects.select_related(
            "patient",
            "appointment__appointment_type",
            "appointment__room",
            "appointment__clinician",
            "started_by",
            "checklist_by",
            "ordered_by",
            "administered_by",
            "discharged_by",
            "nurse_signed_by",
            "prescriber_signed_by",
            "vial",
            "ledger_entry__vial",
        )
        .prefetch_related("vitals__recorded_by")
        .get(pk=session.pk)
    )
    settings_then = _settings_at(session.dose_started_at or session.started_at)
    thresholds = settings_then.thresholds()
    vitals = list(session.vitals.all())
    baseline = next(
        (v for v in sorted(vitals, key=lambda v: (v.taken_at, v.pk), reverse=True) if v.pre_dose and v.sbp),
        None,
    )
    pre_dose_status, pre_dose_flags, _latest = safety.pre_dose_status(session, thresholds)
    chart = vitals_chart_svg(
        [(v.taken_at, v.as_reading()) for v in vitals],
        dose_start=session.dose_started_at,
        infusion_end=session.infusion_end,
        thresholds=thresholds,
        tz=timezone.get_current_timezone(),
        width=700,
        height=280,
        title="Blood pressure, heart rate and SpO2",
        id_prefix="record",
    )
    observations = [
        {
            "row": o,
            "offset": session.minutes_from_dose(o.taken_at),
            "moaas_label": monitoring.MOAAS.get(o.moaas, ""),
            "by": _who(o.recorded_by),
        }
        for o in session.observations.select_related("recorded_by")
    ]
    aldrete = [
        {
            "name": monitoring.ALDRETE_ITEM_NAMES[item],
            "score": session.aldrete.get(item),
            "label": monitoring.ALDRETE_LABELS[item].get(session.aldrete.get(item), ""),
        }
        for item in monitoring.ALDRETE_ITEMS
    ]
    try:
        aldrete_total = monitoring.aldrete_total(session.aldrete) if session.aldrete else None
    except ValueError:
        aldrete_total = None
    rems_missing = (
        monitoring.rems_missing(steps.rems_data(session))
        if session.route == TreatmentSession.Route.INTRANASAL
        else []
    )
    entry = session.ledger_entry
    return {
        **_base_context(session, generated_by),
        "appointment": session.appointment,
        "clinician": _who(session.appointment.clinician),
        "started_by": _who(session.started_by),
        "checklist": checklist_rows(session),
        "checklist_by": _who(session.checklist_by),
        "settings_then": settings_then,
        "baseline": baseline,
        "pre_dose_status": pre_dose_status,
        "pre_dose_flags": [flag.message for flag in pre_dose_flags],
        "dose_limits": settings_then.dose_limits(session.route),
        "ordered_by": _who(session.ordered_by),
        "administered_by": _who(session.administered_by),
        "overrides": [{"row": o, "by": _who(o.by)} for o in session.overrides.select_related("by")],
        "devices": [
            {"row": d, "by": _who(d.recorded_by)} for d in session.devices.select_related("recorded_by")
        ],
        "devices_stopped_by": _who(session.devices_stopped_by),
        "ledger_number": _ledger_number(entry) if entry else None,
        "ledger_entry": entry,
        "chart": mark_safe(chart),  # noqa: S308  (built by flowsheet_chart, which escapes every text)
        "flowsheet": flowsheet(session, vitals),
        "flagged": [v for v in vitals if v.flags],
        "late": [
            {"reading": v, "recorded_at": _local(v.recorded_at), "by": _who(v.recorded_by)}
            for v in vitals
            if v.late_entry
        ],
        "timepoints": steps.timepoints(session),
        "observations": observations,
        "adverse_events": [
            {"row": e, "offset": session.minutes_from_dose(e.taken_at), "by": _who(e.recorded_by)}
            for e in session.adverse_events.select_related("recorded_by")
        ],
        "alerts": [
            {"row": a, "by": _who(a.acknowledged_by)}
            for a in session.alerts.select_related("acknowledged_by")
        ],
        "aldrete": aldrete,
        "aldrete_total": aldrete_total,
        "discharged_by": _who(session.discharged_by),
        "discharge_minutes": (
            session.minutes_from_dose(session.discharged_at) if session.discharged_at else None
        ),
        "rems_missing": rems_missing,
        "nurse_signed_by": _who(session.nurse_signed_by),
        "prescriber_signed_by": _who(session.prescriber_signed_by),
        "addenda": [{"row": a, "by": _who(a.author)} for a in session.addenda.select_related("author")],
    }


def session_record_pdf(session, generated_by):
    """The whole session record as a PDF; an unsigned session is marked "UNSIGNED DRAFT"."""
    context = session_record_context(session, generated_by)
    context["footer"] = css_string(
        f"Session record — {context['patient'].full_name} — {context['session_date']:%b %-d, %Y}"
    )
    context["header"] = css_string(
        f"{context['clinic'].name} · generated {context['generated_at']:%b %-d, %Y %H:%M %Z} "
        f"by {context['generated_by']}"
    )
    return _pdf("sessions/records/session_record.html", context)


# --- Spravato REMS patient monitoring form --------------------------------------------------------


def _yes_no(value):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "y", "true")
    return bool(value)


def _text(key, value):
    if value is None:
        return ""
    if key in ("patient_dob", "treatment_date"):
        return f"{value:%m/%d/%Y}"
    if key == "total_monitoring_minutes":
        return f"{value} minutes"
    if key.startswith("bp_"):
        return f"{value} mmHg"
    return str(value).strip()


def rems_fields(data):
    """The form's sections, each a list of fields ready to draw: yes/no boxes, the dose boxes, or text,
    with ``missing`` set on a required blank."""
    labels = dict(monitoring.REMS_FIELDS + monitoring.REMS_DETAIL_FIELDS)
    placed = [key for _title, keys in REMS_SECTIONS for key in keys]
    sections = [(title, keys) for title, keys in REMS_SECTIONS]
    others = tuple(key for key, _label in monitoring.REMS_FIELDS if key not in placed)
    if others:
        sections.append(("Other", others))
    result = []
    for title, keys in sections:
        fields = []
        for key in keys:
            label = labels[key].removesuffix(" (yes/no)")
            value = data.get(key)
            field = {"key": key, "label": label, "details": []}
            if labels[key].endswith("(yes/no)"):
                answer = _yes_no(value)
                field.update(kind="yes_no", yes=answer, missing=answer is None)
                detail = _REMS_DETAILS.get(key)
                if detail and (answer or data.get(detail)):
                    text = _text(detail, data.get(detail))
                    field["details"].append({"label": labels[detail], "text": text, "missing": not text})
            elif key == "dose":
                other = data.get("other_dose_mg")
                field.update(
                    kind="dose",
                    choices=[
                        {"label": "56 mg", "checked": value == 56},
                        {"label": "84 mg", "checked": value == 84},
                        {"label": "Other", "checked": value == "other"},
                    ],
                    other="" if other is None else f"{other:g}",
                    missing=value is None or (value == "other" and other is None),
                )
            else:
                text = _text(key, value)
                field.update(kind="text", text=text, missing=not text)
            fields.append(field)
        result.append({"title": title, "fields": fields})
    return result


def rems_form_context(session, generated_by):
    if session.route != TreatmentSession.Route.INTRANASAL:
        raise ValueError(
            "The Spravato REMS patient monitoring form is only for intranasal esketamine sessions."
        )
    data = steps.rems_data(session)
    date = _session_date(session)
    return {
        **_base_context(session, generated_by),
        "sections": rems_fields(data),
        "missing": monitoring.rems_missing(data),
        "submit_by": date + REMS_SUBMIT_WITHIN,
        "nurse_signed_by": _who(session.nurse_signed_by),
        "prescriber_signed_by": _who(session.prescriber_signed_by),
        "box_yes": BOX_YES,
        "box_no": BOX_NO,
    }


def rems_form_pdf(session, generated_by):
    """The Spravato REMS patient monitoring form for an intranasal esketamine session, filled from the
    chart. Raises ``ValueError`` for any other route."""
    context = rems_form_context(session, generated_by)
    context["footer"] = css_string(
        f"Spravato REMS monitoring form — {context['patient'].full_name} — {context['session_date']:%b %-d, %Y}"
    )
    context["header"] = css_string(
        f"{context['clinic'].name} · generated {context['generated_at']:%b %-d, %Y %H:%M %Z} "
        f"by {context['generated_by']}"
    )
    return _pdf("sessions/records/rems_form.html", context)
