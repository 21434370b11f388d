"""What stops a treatment from going forward, checked at every step that moves it forward.

Starting the chart, ordering the dose, giving it, and giving each esketamine device all ask here first.
Two kinds of stop:

- **The treatment gate** (``patients.review.may_treat``): the patient is not Active, the latest screening
  decision is not an approval, the intake changed after it, the current consent is not signed, or an
  alert of any kind is open for the patient (``patients.alerts``: a questionnaire risk alert, or a
  session alert on any chart, this one included). The gate can close while a chart is open: a PHQ-9
  with item 9 answered arrives, a prescriber declines, the patient is put on hold.
- **The pre-dose hold**: the latest pre-dose value of a vital sign is past its hold level (each measure
  is judged by its own latest value: a later SpO2 alone does not clear an earlier blood pressure), or
  a checklist item is answered "no".

A stop is lifted when what caused it is resolved (an alert acknowledged, a new reading within limits) or
by a prescriber's written override (``SafetyOverride``), shown on the chart and printed on the session
record. An override covers the stops it was given for, by key: a stop that arises later (a newer
hold-level reading, a new alert, another decision) has a new key, so the treatment stops again. That is
what "an override later than the reading" means in docs/clinical-reference.md ("Pre-dose and hypotension
defaults"). Starting a chart is refused outright while the gate is closed: nothing is overridden before a
chart exists.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import roles
from clinic.refusals import Refusal
from patients.review import may_treat
from sessions.charting import monitoring
from sessions.charting.checklist import checklist_rows
from sessions.models import ChartingSettings, SafetyOverride, TreatmentSession

GATE, HOLD = SafetyOverride.Kind.GATE, SafetyOverride.Kind.HOLD

#: The vital signs the pre-dose check reads, in flowsheet order.
MEASURES = ("sbp", "dbp", "hr", "spo2", "rr", "temp_c")


class SafetyError(Refusal):
    """Why an override was refused."""


@dataclass(frozen=True)
class Stop:
    kind: str  # GATE or HOLD
    key: str
    text: str
    url: str = ""


# --- The gate -------------------------------------------------------------------------------------


def gate_stops(session, on=None):
    gate = may_treat(session.patient, session.route, on=on or timezone.localdate())
    own = {
        f"alert:session:{pk}": message for pk, message in session.alerts.open().values_list("pk", "message")
    }
    return [
        Stop(GATE, b.key, f"An alert on this chart is not yet acknowledged: {own[b.key]}", "#alerts")
        if b.key in own
        else Stop(GATE, b.key, b.text, b.url)
        for b in gate.blockers
    ]


# --- The pre-dose hold ----------------------------------------------------------------------------


def latest_pre_dose(session):
    """``({measure: reading}, Reading)``: for each vital sign, the latest pre-dose reading that has it,
    and a ``monitoring.Reading`` of those latest values."""
    readings = session.vitals.filter(pre_dose=True).order_by("-taken_at", "-pk")
    latest = {}
    for reading in readings:
        for measure in MEASURES:
            if measure not in latest and getattr(reading, measure) is not None:
                latest[measure] = reading
        if len(latest) == len(MEASURES):
            break
    values = {m: getattr(r, m) for m, r in latest.items()}
    if values.get("temp_c") is not None:
        values["temp_c"] = float(values["temp_c"])
    return latest, monitoring.Reading(**values)


def pre_dose_status(session, thresholds=None):
    """``("ok" | "caution" | "hold" | None, flags, {measure: reading})`` from the latest pre-dose value
    of each vital sign; None when nothing was charted before the dose."""
    latest, reading = latest_pre_dose(session)
    if not latest:
        return None, [], {}
    thresholds = thresholds or ChartingSettings.load().thresholds()
    status, flags = monitoring.pre_dose_check(reading, thresholds)
    return status, flags, latest


def hold_stops(session):
    stops = []
    _status, flags, latest = pre_dose_status(session)
    for flag in flags:
        if is_hold(flag):
            reading = latest[flag.field]
            stops.append(
                Stop(
                    HOLD,
                    f"reading:{reading.pk}:{flag.field}",
                    f"Pre-dose {flag.message}, charted {timezone.localtime(reading.taken_at):%H:%M}.",
                )
            )
    for row in checklist_rows(session):
        if row["answer"] == "no":
            stops.append(
                Stop(HOLD, f"checklist:{row['item'].key}", f"Checklist: “{row['item'].label}” answered no.")
            )
    return stops


# --- Overrides ------------------------------------------------------------------------------------


def covered_keys(session, kind):
    return {
        item["key"]
        for override in session.overrides.filter(kind=kind)
        for item in override.covers
        if "key" in item
    }


def open_stops(session, kind=None, on=None):
    """Stops not covered by an override: of one kind, or gate then hold."""
    found = []
    for each in (GATE, HOLD) if kind is None else (kind,):
        stops = gate_stops(session, on=on) if each == GATE else hold_stops(session)
        covered = covered_keys(session, each) if stops else set()
        found += [stop for stop in stops if stop.key not in covered]
    return found


def refusal(stops):
    """The reasons a step is refused, one line per stop and what to do about them."""
    gate = [s.text for s in stops if s.kind == GATE]
    hold = [s.text for s in stops if s.kind == HOLD]
    reasons = []
    if gate:
        reasons += [
            "Treatment is stopped: the patient is not cleared for treatment.",
            *gate,
            "Resolve it, or a prescriber overrides it at the top of the chart with a written reason.",
        ]
    if hold:
        reasons += [
            "Dosing is held.",
            *hold,
            "A prescriber's written override, given after the reading, lifts a hold.",
        ]
    return reasons


def override(session, *, kind, reason, by, now=None, submission_id=None, stops=None):
    """A prescriber overrides the open stops of ``kind`` with a written reason; returns the override.

    Refused when nothing of that kind is open (there is nothing to override), without a reason, for
    anyone but a prescriber, or on a signed record. A form sent twice finds the override it made.
    """
    if submission_id is not None:
        done = SafetyOverride.objects.filter(submission_id=submission_id, session=session).first()
        if done is not None:
            return done
    if session.is_locked:
        raise SafetyError("This session record is signed and locked.")
    if kind not in (GATE, HOLD):
        raise SafetyError("Choose what to override.")
    if not by.has_perm(roles.ORDER_DOSE):
        raise SafetyError("Only a prescriber can override a stop.")
    reason = (reason or "").strip()
    if not reason:
        raise SafetyError("Write the reason for overriding.")
    stops = open_stops(session, kind) if stops is None else stops
    if not stops:
        raise SafetyError("Nothing is stopped: there is nothing to override.")
    try:
        with transaction.atomic():
            made = SafetyOverride.objects.create(
                session=session,
                kind=kind,
                reason=reason,
                covers=[{"key": s.key, "text": s.text} for s in stops],
                by=by,
                at=now or timezone.now(),
                submission_id=submission_id,
            )
    except IntegrityError:
        # The same form, sent twice at once: the first one made it.
        return SafetyOverride.objects.get(submission_id=submission_id)
    return made


# --- What is still ahead --------------------------------------------------------------------------


def steps_ahead(session):
    """True while a step that moves the treatment forward remains: ordering, giving the dose, or giving
    another esketamine device."""
    if session.is_locked or session.status != TreatmentSession.Status.CHARTING:
        return False
    if not session.is_administered:
        return True
    return session.route == TreatmentSession.Route.INTRANASAL and devices_left(session) > 0


def devices_left(session):
    if session.route != TreatmentSession.Route.INTRANASAL or not session.ordered_devices:
        return 0
    if session.devices_stopped_at:
        return 0
    return max(session.ordered_devices - session.devices.count(), 0)


def is_hold(flag):
    # Every flag message names its threshold (sessions.charting.monitoring); "threshold" itself contains "hold".
    return "(pre-dose hold threshold)" in flag.message


def hold_alert_message(flags):
    return "Pre-dose hold: " + "; ".join(f.message for f in flags if is_hold(f))


__all__ = [
    "GATE",
    "HOLD",
    "SafetyError",
    "Stop",
    "covered_keys",
    "devices_left",
    "gate_stops",
    "hold_alert_message",
    "hold_stops",
    "is_hold",
    "latest_pre_dose",
    "open_stops",
    "override",
    "pre_dose_status",
    "refusal",
    "steps_ahead",
]
