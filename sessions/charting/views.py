"""Charting screens: one page per session, each part posting to its own small view.

Every view finds the patient through ``staff_view`` (another patient's id is a 404) and the session
through the patient. A refused step re-renders the chart with the form and every reason on it.
"""

import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic import roles, submissions
from clinic.downloads import document_filename
from clinic.models import ClinicSettings
from clinic.refusals import Refusal
from patients.access import staff_view
from sessions.charting import dosing, safety, steps
from sessions.charting.checklist import checklist_rows
from sessions.charting.flowsheet import vitals_chart_svg
from sessions.charting.forms import (
    AcknowledgeForm,
    AddendumForm,
    AdministerForm,
    AdverseEventForm,
    DeviceForm,
    DischargeForm,
    ObservationForm,
    OrderForm,
    OverrideForm,
    PreSessionForm,
    RemsForm,
    SignForm,
    StopDevicesForm,
    VitalsForm,
    moment,
)
from sessions.charting.models import LOCKED_MESSAGE
from sessions.charting.records import rems_form_pdf, session_record_pdf
from sessions.charting.steps import ChartingError
from sessions.models import ChartingSettings, SessionAlert

#: The staff a chart names, read in one query beside the session: joined into the session's query they
#: made a thirteen-table join whose planning alone took longer (3-9 ms) than running it.
SESSION_STAFF = ("ordered_by", "administered_by", "discharged_by", "nurse_signed_by", "prescriber_signed_by")


def _session(patient, session_id):
    session = get_object_or_404(
        patient.treatment_sessions.select_related(
            "appointment__appointment_type",
            "appointment__room",
            "appointment__clinician",
            "appointment__plan",
            "vial",
        ),
        external_id=session_id,
    )
    staff = get_user_model().objects.in_bulk(
        {getattr(session, f"{name}_id") for name in SESSION_STAFF} - {None}
    )
    for name in SESSION_STAFF:
        if getattr(session, f"{name}_id") is not None:
            setattr(session, name, staff[getattr(session, f"{name}_id")])
    return session


def _url(session, name="chart", anchor=""):
    url = reverse(f"sessions:{name}", args=[session.patient.external_id, session.external_id])
    return f"{url}#{anchor}" if anchor else url


def _post_only(request, session=None):
    """None when the request may go on: a POST, and for charting steps an unsigned record."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if session is not None and session.is_locked:
        messages.error(request, LOCKED_MESSAGE)
        return redirect(_url(session, anchor="addenda"))
    return None


def flowsheet_context(session, vitals_form=None, now=None):
    vitals = list(session.vitals.select_related("recorded_by"))
    for reading in vitals:
        reading.minute = session.minutes_from_dose(reading.taken_at)
    observations = list(session.observations.select_related("recorded_by"))
    clinic = ChartingSettings.load()
    chart = vitals_chart_svg(
        [(v.taken_at, v.as_reading()) for v in vitals],
        dose_start=session.dose_started_at,
        infusion_end=session.infusion_end,
        thresholds=clinic.thresholds(),
        tz=timezone.get_current_timezone(),
        id_prefix=f"s{session.pk}",
    )
    return {
        "session": session,
        "patient": session.patient,
        "vitals": vitals,
        "observations": observations,
        "vitals_chart": chart,
        "timepoints": steps.timepoints(session, now),
        "vitals_form": vitals_form or VitalsForm(),
        "thresholds": clinic.thresholds(),
        "can_chart": not session.is_locked,
    }


def _context(request, session, **forms):
    user = request.user
    status, pre_dose_flags = steps.pre_dose_status(session)
    ahead = safety.steps_ahead(session)
    gate_stops = safety.open_stops(session, safety.GATE) if ahead else []
    hold_stops = safety.open_stops(session, safety.HOLD) if ahead else []
    suggestions = steps.rems_suggestions(session) if session.route == "intranasal" else {}
    defaults = steps.plan_defaults(session)
    order_initial = {"mg_per_kg": defaults["mg_per_kg"], "minutes": defaults["minutes"]}
    if session.route == "intranasal":
        order_initial = {"dose_mg": defaults["dose_mg"]}
    order_form = forms.pop("order_form", None) or OrderForm(session=session, initial=order_initial)
    pre_session_form = forms.pop("pre_session_form", None) or PreSessionForm(session=session)
    alerts = list(session.alerts.select_related("acknowledged_by"))
    calculation = forms.pop("calculation", None)
    if calculation is None and session.is_ordered:
        calculation = {"ordered": True}
    context = {
        **flowsheet_context(session, forms.pop("vitals_form", None)),
        "appointment": session.appointment,
        "clinic": ClinicSettings.load(),
        "checklist": checklist_rows(session),
        "pre_session_form": pre_session_form,
        "pre_session_form_patient": pre_session_form.checklist_fields("patient"),
        "pre_session_form_nurse": pre_session_form.checklist_fields("nurse"),
        "pre_dose_status": status,
        "pre_dose_flags": pre_dose_flags,
        "not_ready": steps.not_ready_to_order(session),
        "gate_stops": gate_stops,
        "hold_stops": hold_stops,
        "overrides": list(session.overrides.select_related("by")),
        "override_form": forms.pop("override_form", None),
        "devices": list(session.devices.select_related("recorded_by")),
        "devices_left": safety.devices_left(session),
        "device_form": forms.pop("device_form", None) or DeviceForm(),
        "stop_devices_form": forms.pop("stop_devices_form", None) or StopDevicesForm(),
        "plan_defaults": defaults,
        "order_form": order_form,
        "calculation": calculation,
        "administer_form": forms.pop("administer_form", None) or AdministerForm(session=session),
        "observation_form": forms.pop("observation_form", None) or ObservationForm(),
        "event_form": forms.pop("event_form", None) or AdverseEventForm(),
        "events": session.adverse_events.select_related("recorded_by"),
        "alerts": alerts,
        "open_alerts": [a for a in alerts if a.is_open],
        "acknowledge_form": AcknowledgeForm(),
        "discharge_form": forms.pop("discharge_form", None) or DischargeForm(session=session),
        "near_baseline": steps.near_baseline_hint(session),
        "rems_form": (
            forms.pop("rems_form", None) or RemsForm(session=session, suggestions=suggestions)
            if session.route == "intranasal"
            else None
        ),
        "rems_missing": (
            steps.monitoring.rems_missing(steps.rems_data(session)) if session.route == "intranasal" else []
        ),
        "sign_form": forms.pop("sign_form", None) or SignForm(),
        "sign_problems": steps.sign_problems(session),
        "signature_role": steps.signature_role(user),
        "addendum_form": forms.pop("addendum_form", None) or AddendumForm(),
        "addenda": session.addenda.select_related("author"),
        "can_order": user.has_perm(roles.ORDER_DOSE),
        "can_chart": user.has_perm(roles.CHART_SESSION) and not session.is_locked,
        "can_sign": user.has_perm(roles.SIGN_SESSION),
        "can_add_addendum": user.has_perm(roles.ADD_ADDENDUM),
        "now": timezone.now(),
        "new_submission_id": uuid.uuid4,  # a new id each time a template asks (one per override form)
        "page_url": _url(session),  # also when a refused step's POST renders the chart
    }
    context.update(forms)
    return context


def _chart_page(request, session, status=200, **forms):
    return render(request, "sessions/chart/chart.html", _context(request, session, **forms), status=status)


def _refused(form, error):
    for reason in error.reasons:
        form.add_error(None, reason)
    if isinstance(error, steps.ResentWithChanges):
        # The form comes back with a new submission id, so pressing again charts a new entry.
        form.data = form.data.copy()
        form.data["submission_id"] = str(uuid.uuid4())


def _step(request, session, form, form_key, record, success, anchor, **extra):
    """One charting step: a valid form goes to ``record(data)``; success redirects to the section,
    a refusal re-renders the chart with every reason on the form, and nothing saved."""
    if form.is_valid():
        try:
            record(form.cleaned_data)
        except Refusal as error:
            _refused(form, error)
        except ValidationError as error:  # a form's own cross-field check, raised while recording
            form.add_error(None, error)
        else:
            submissions.remember(request, form.cleaned_data.get("submission_id"))
            messages.success(request, success() if callable(success) else success)
            return redirect(_url(session, anchor=anchor))
    return _chart_page(request, session, **{form_key: form}, **extra)


# --- Start and read --------------------------------------------------------------------------------


@staff_view(roles.START_SESSION)
def start(request, patient, appointment_id):
    appointment = get_object_or_404(
        patient.appointments.select_related("appointment_type"), external_id=appointment_id
    )
    if (refusal := _post_only(request)) is not None:
        return refusal
    try:
        session = steps.start_session(appointment, by=request.user)
    except ChartingError as error:
        for reason in error.reasons:
            messages.error(request, reason)
        return redirect("sessions:appointment", patient_id=patient.external_id, appointment_id=appointment_id)
    return redirect(_url(session))


@staff_view(roles.VIEW_SESSION)
def chart(request, patient, session_id):
    session = _session(patient, session_id)
    return _chart_page(request, session)


@staff_view(roles.VIEW_SESSION)
def patient_sessions(request, patient):
    sessions = patient.treatment_sessions.select_related("appointment__appointment_type", "ordered_by")
    return render(request, "sessions/chart/patient_sessions.html", {"patient": patient, "sessions": sessions})


# --- Charting steps --------------------------------------------------------------------------------


@staff_view(roles.CHART_SESSION)
def pre_session(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = PreSessionForm(request.POST, session=session)

    def record(data):
        steps.save_pre_session(
            session,
            answers=form.answers(),
            note=data["note"],
            weight_kg=data.get("weight_kg"),
            weight_measured_on=data.get("weight_measured_on"),
            mood_pre=data["mood_pre"],
            by=request.user,
        )

    return _step(request, session, form, "pre_session_form", record, "Pre-session checklist saved.", "vitals")


@staff_view(roles.CHART_SESSION)
def vitals(request, patient, session_id):
    """Add a reading. With htmx, answer with the flowsheet (and the alerts) to swap in place."""
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = VitalsForm(request.POST)
    saved = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = steps.record_vitals(
                session,
                taken_at=moment(session, data["taken_at"]),
                by=request.user,
                submission_id=data["submission_id"],
                **{k: data[k] for k in ("sbp", "dbp", "hr", "spo2", "rr", "temp_c")},
            )
        except ChartingError as error:
            _refused(form, error)
    if saved:
        submissions.remember(request, form.cleaned_data["submission_id"])
    raised = saved is not None and saved.is_new and session.alerts.filter(vital=saved).exists()
    if (
        request.headers.get("HX-Request")
        and saved
        and (saved.pre_dose or (raised and safety.steps_ahead(session)))
    ):
        # The dose section changes (a hold, a caution, ready to order, the next device stopped): reload,
        # at the vitals (htmx goes to HX-Redirect, then reloads), where chart.js puts the cursor back.
        messages.success(request, _vitals_message(saved, raised))
        return HttpResponse(headers={"HX-Redirect": _url(session, anchor="vitals"), "HX-Refresh": "true"})
    if request.headers.get("HX-Request"):
        context = flowsheet_context(session, None if saved else form)
        context["saved"] = saved
        context["open_alerts"] = list(session.alerts.open())
        context["acknowledge_form"] = AcknowledgeForm()
        context["oob"] = True
        html = render_to_string("sessions/chart/flowsheet.html", context, request=request)
        html += render_to_string("sessions/chart/alerts.html", context, request=request)
        # A refused reading is an answer too (the form comes back with the reasons), not a failure.
        return HttpResponse(html, status=200)
    if saved:
        messages.success(request, _vitals_message(saved, raised))
        return redirect(_url(session, anchor="vitals"))
    return _chart_page(request, session, vitals_form=form)


def _vitals_message(saved, raised):
    if not saved.is_new:
        return f"This reading was already charted ({saved.bp} at {timezone.localtime(saved.taken_at):%H:%M}): nothing was added."
    what = "Pre-dose vitals" if saved.pre_dose else "Vitals"
    return f"{what} charted: {saved.bp} at {timezone.localtime(saved.taken_at):%H:%M}." + (
        " Alert raised." if raised else ""
    )


@staff_view(roles.CHART_SESSION)
def calculate(request, patient, session_id):
    """The dose calculator, live as the prescriber types (htmx GET)."""
    session = _session(patient, session_id)
    form = OrderForm(request.GET, session=session)
    return render(request, "sessions/chart/calculation.html", {"calculation": _calculation(session, form)})


def _calculation(session, form):
    if not form.is_valid():
        return {"error": "; ".join(e for errors in form.errors.values() for e in errors)}
    try:
        dose = steps.calculate(session, **form.dose_kwargs())
    except dosing.DoseError as error:
        return {"error": str(error)}
    clinic = ChartingSettings.load()
    return {
        "dose": dose,
        "weight": session.weight_kg,
        "limits": clinic.dose_limits(session.route),
        "resolution": clinic.pump_rate_resolution,
    }


@staff_view(roles.ORDER_DOSE)
def order(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = OrderForm(request.POST, session=session)

    def record(data):
        steps.order_dose(
            session,
            by=request.user,
            hold_override_reason=data["hold_override_reason"],
            limit_override_reason=data["limit_override_reason"],
            **form.dose_kwargs(),
        )

    return _step(
        request,
        session,
        form,
        "order_form",
        record,
        "Dose ordered.",
        "dose",
        calculation=_calculation(session, form),
    )


@staff_view(roles.CHART_SESSION)
def administer(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = AdministerForm(request.POST, session=session)

    def record(data):
        steps.administer_dose(
            session,
            by=request.user,
            vial=data.get("vial"),
            lot_number=data.get("lot_number", ""),
            started_at=moment(session, data["started_at"]) if data["started_at"] else None,
            submission_id=data["submission_id"],
        )

    return _step(
        request,
        session,
        form,
        "administer_form",
        record,
        "Dose started: the monitoring clock runs from now."
        if session.is_weight_based
        else "Device 1 given: the monitoring clock runs from now.",
        "dose",
    )


@staff_view(roles.CHART_SESSION)
def device(request, patient, session_id):
    """The next esketamine device."""
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = DeviceForm(request.POST)
    given = {}

    def record(data):
        given["device"] = steps.give_device(
            session,
            by=request.user,
            lot_number=data["lot_number"],
            taken_at=moment(session, data["taken_at"]) if data["taken_at"] else None,
            submission_id=data["submission_id"],
        )

    return _step(
        request,
        session,
        form,
        "device_form",
        record,
        lambda: f"Device {given['device'].number} given.",
        "dose",
    )


@staff_view(roles.CHART_SESSION)
def stop_devices(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = StopDevicesForm(request.POST)
    return _step(
        request,
        session,
        form,
        "stop_devices_form",
        lambda data: steps.stop_devices(session, by=request.user, reason=data["reason"]),
        "Dosing stopped; the reason is on the chart.",
        "dose",
    )


@staff_view(roles.ORDER_DOSE)
def override(request, patient, session_id):
    """A prescriber's written override of the treatment gate or the pre-dose hold."""
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = OverrideForm(request.POST)

    def record(data):
        safety.override(
            session,
            kind=data["kind"],
            reason=data["reason"],
            by=request.user,
            submission_id=data["submission_id"],
        )

    anchor = "top" if request.POST.get("kind") == safety.GATE else "dose"
    return _step(request, session, form, "override_form", record, "Override recorded on the chart.", anchor)


@staff_view(roles.CHART_SESSION)
def observation(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = ObservationForm(request.POST)

    def record(data):
        items = form.cadss_items()
        subscales = form.subscale_totals(items) if items else {}
        steps.record_observation(
            session,
            taken_at=moment(session, data["taken_at"]),
            by=request.user,
            submission_id=data["submission_id"],
            moaas=data["moaas"],
            cadss_total=data["cadss_total"],
            cadss_depersonalization=subscales.get("depersonalization", data["cadss_depersonalization"]),
            cadss_derealization=subscales.get("derealization", data["cadss_derealization"]),
            cadss_amnesia=subscales.get("amnesia", data["cadss_amnesia"]),
            cadss_items=items,
            note=data["note"],
        )

    return _step(
        request, session, form, "observation_form", record, "Sedation and dissociation charted.", "sedation"
    )


@staff_view(roles.CHART_SESSION)
def adverse_event(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = AdverseEventForm(request.POST)

    def record(data):
        steps.record_adverse_event(
            session,
            taken_at=moment(session, data["taken_at"]),
            by=request.user,
            submission_id=data["submission_id"],
            **{k: data[k] for k in ("kind", "severity", "outcome", "description", "intervention", "serious")},
        )

    return _step(request, session, form, "event_form", record, "Adverse event charted.", "events")


@staff_view(roles.CHART_SESSION)
def acknowledge(request, patient, session_id, alert_pk):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    alert = get_object_or_404(SessionAlert, session=session, pk=alert_pk)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what was done about the alert.")
    else:
        try:
            steps.acknowledge(alert, by=request.user, note=form.cleaned_data["note"])
        except ChartingError as error:
            messages.error(request, " ".join(error.reasons))
        else:
            messages.success(request, "Alert acknowledged.")
    return redirect(_url(session))


@staff_view(roles.CHART_SESSION)
def discharge(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = DischargeForm(request.POST, session=session)

    def record(data):
        steps.discharge(
            session,
            by=request.user,
            aldrete=form.aldrete(),
            discharged_at=moment(session, data["discharged_at"]) if data["discharged_at"] else None,
            **{
                k: data[k]
                for k in (
                    "vitals_near_baseline",
                    "alert_and_oriented",
                    "escort_present",
                    "escort_name",
                    "instructions_given",
                    "note",
                )
            },
        )

    return _step(
        request,
        session,
        form,
        "discharge_form",
        record,
        "Discharged. The nurse and the prescriber can now sign.",
        "sign",
    )


@staff_view(roles.CHART_SESSION)
def rems(request, patient, session_id):
    session = _session(patient, session_id)
    if session.route != "intranasal":
        return redirect(_url(session))
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    form = RemsForm(request.POST, session=session, suggestions=steps.rems_suggestions(session))
    return _step(
        request,
        session,
        form,
        "rems_form",
        lambda data: steps.save_rems(session, form.answers()),
        "REMS answers saved.",
        "rems",
    )


@staff_view(roles.SIGN_SESSION)
def sign(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request, session)) is not None:
        return refusal
    return _step(
        request,
        session,
        SignForm(request.POST),
        "sign_form",
        lambda data: steps.sign(session, by=request.user, password=data["password"]),
        lambda: "Signed and locked." if session.is_locked else "Signed. Waiting for the other signature.",
        "sign",
    )


@staff_view(roles.ADD_ADDENDUM)
def addendum(request, patient, session_id):
    session = _session(patient, session_id)
    if (refusal := _post_only(request)) is not None:
        return refusal
    if not session.is_locked:
        messages.error(request, "The record is not signed yet: correct the chart itself.")
        return redirect(_url(session))
    return _step(
        request,
        session,
        AddendumForm(request.POST),
        "addendum_form",
        lambda data: steps.add_addendum(
            session,
            by=request.user,
            reason=data["reason"],
            text=data["text"],
            submission_id=data["submission_id"],
        ),
        "Addendum added.",
        "addenda",
    )


# --- Records ---------------------------------------------------------------------------------------


def _pdf(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_view(roles.VIEW_SESSION)
def record_pdf(request, patient, session_id):
    session = _session(patient, session_id)
    name = document_filename("session record", timezone.localdate(session.started_at), session.external_id)
    return _pdf(session_record_pdf(session, request.user), name)


@staff_view(roles.VIEW_SESSION)
def rems_pdf(request, patient, session_id):
    session = _session(patient, session_id)
    if session.route != "intranasal":
        messages.error(request, "The REMS monitoring form is for esketamine sessions only.")
        return redirect(_url(session))
    name = document_filename(
        "REMS monitoring form", timezone.localdate(session.started_at), session.external_id
    )
    return _pdf(rems_form_pdf(session, request.user), name)
