"""Monitoring rules for treatment-session charting: pure Python, no Django.

Every default here comes from ``docs/clinical-reference.md`` ("Monitoring during and after administration",
its "Default alert thresholds" and "Pre-dose and hypotension defaults", "Discharge — modified Aldrete",
"Spravato REMS patient monitoring form", "Pre-session checklist"). The
thresholds are *configurable defaults*, not medical advice: callers pass the clinic's own thresholds
dict, and every message names the threshold that was in force so the chart shows what was applied.

- ``plausibility_errors``: input validation (is this number physiologically possible?), separate from
  alerts.
- ``vital_flags``: alerts during and after administration (high and low blood pressure, heart rate,
  SpO2, respiratory rate).
- ``pre_dose_check``: baseline vitals before dosing (blood pressure high or low, heart rate, SpO2,
  respiratory rate, temperature): ok, caution, or hold.
- ``moaas_alert``: sedation alert from a MOAA/S score.
- ``aldrete_total`` and ``discharge_ready``: the modified Aldrete score and the other discharge rules.
- ``expected_timepoints`` and ``timepoint_status``: when vitals are due, and which are done or late.
- ``rems_missing``: what is still blank on the Spravato REMS patient monitoring form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "ALDRETE_ITEMS",
    "ALDRETE_ITEM_NAMES",
    "ALDRETE_LABELS",
    "CADSS_MAX",
    "DEFAULT_THRESHOLDS",
    "ESKETAMINE_MIN_MONITORING_MINUTES",
    "MOAAS",
    "PLAUSIBLE",
    "REMS_DETAIL_FIELDS",
    "REMS_FIELDS",
    "ROUTES",
    "Flag",
    "Reading",
    "aldrete_total",
    "discharge_ready",
    "expected_timepoints",
    "moaas_alert",
    "plausibility_errors",
    "pre_dose_check",
    "rems_missing",
    "timepoint_status",
    "vital_flags",
]

#: Treatment routes, as stored on ``Patient.treatment_route`` and the session models.
ROUTES = ("iv", "im", "intranasal", "lozenge", "kap")

#: Physiological plausibility (input validation, not alerts), inclusive bounds. docs/clinical-reference.md,
#: "Monitoring during and after administration": SBP 50–300, DBP 20–200, HR 20–250, SpO2 50–100, RR 4–60,
#: temp 30–43 °C.
PLAUSIBLE = {
    "sbp": (50, 300),
    "dbp": (20, 200),
    "hr": (20, 250),
    "spo2": (50, 100),
    "rr": (4, 60),
    "temp_c": (30.0, 43.0),
}

#: Default alert thresholds; the clinic may override any of them. docs/clinical-reference.md, "Monitoring
#: during and after administration" → "Default alert thresholds (configurable)" and "Pre-dose and hypotension
#: defaults (configurable)":
#:
#: - pre-dose hold if BP > 160/100, caution above 140/90 (limits are exclusive: 160/100 itself is a
#:   caution, not a hold); ``sbp``/``dbp`` in the pre-dose sections mean "above";
#: - pre-dose hold if SpO2 < 92 % on room air (caution < 95 %), HR > 120 or < 50 (caution > 100),
#:   RR < 10 or > 24, temperature ≥ 38.0 °C (acute illness; the one *inclusive* limit: 38.0 is a hold);
#: - during and after administration: SBP > 180 or DBP > 110, SBP < 90 or DBP < 50 (vasovagal reactions
#:   and over-treated hypertension), HR > 120 or < 50, SpO2 < 92 %, RR < 10 or > 24 (again exclusive:
#:   the value at the threshold is not flagged); before the dose the low blood pressure limits give a
#:   caution;
#: - MOAA/S ≤ 2 is a safety alert ("Sedation — MOAA/S").
#:
#: A threshold set to ``None`` in the clinic's dict switches that alert off; a key the clinic leaves out
#: keeps the default.
DEFAULT_THRESHOLDS = {
    "pre_dose_hold": {
        "sbp": 160,
        "dbp": 100,
        "spo2_below": 92,
        "hr_above": 120,
        "hr_below": 50,
        "rr_below": 10,
        "rr_above": 24,
        "temp_c_at_or_above": 38.0,
    },
    "pre_dose_caution": {"sbp": 140, "dbp": 90, "spo2_below": 95, "hr_above": 100},
    "during": {
        "sbp_above": 180,
        "dbp_above": 110,
        "sbp_below": 90,
        "dbp_below": 50,
        "hr_above": 120,
        "hr_below": 50,
        "spo2_below": 92,
        "rr_below": 10,
        "rr_above": 24,
    },
    "moaas_alert_at_most": 2,
}

#: MOAA/S (Modified Observer's Assessment of Alertness/Sedation), docs/clinical-reference.md "Sedation —
#: MOAA/S".
MOAAS = {
    5: "Responds readily to name spoken in normal tone",
    4: "Lethargic response to name spoken in normal tone",
    3: "Responds only after name is called loudly and/or repeatedly",
    2: "Responds only after mild prodding or shaking",
    1: "Responds only after painful trapezius squeeze",
    0: "No response after painful trapezius squeeze",
}

#: CADSS total maximum: 23 items × 0–4 (docs/clinical-reference.md, "Dissociation — CADSS"). Item wording is
#: copyrighted; only the structure and totals are shipped.
CADSS_MAX = 92

#: Modified Aldrete items, each scored 0–2, total 0–10 (docs/clinical-reference.md, "Discharge — modified
#: Aldrete score").
ALDRETE_ITEMS = ("activity", "respiration", "circulation", "consciousness", "spo2")

#: Display names of the Aldrete items, for messages and forms.
ALDRETE_ITEM_NAMES = {
    "activity": "Activity",
    "respiration": "Respiration",
    "circulation": "Circulation",
    "consciousness": "Consciousness",
    "spo2": "SpO2",
}

#: What each Aldrete score means (the published modified Aldrete scale; docs/clinical-reference.md "Rating
#: scales" lists it as a published clinical scale). "Pre-dose" stands where the original says pre-anaesthetic.
ALDRETE_LABELS = {
    "activity": {
        2: "Moves all four limbs voluntarily or on command",
        1: "Moves two limbs voluntarily or on command",
        0: "Unable to move limbs voluntarily or on command",
    },
    "respiration": {
        2: "Breathes deeply and coughs freely",
        1: "Shortness of breath or limited breathing",
        0: "Apnoeic",
    },
    "circulation": {
        2: "Blood pressure within 20 mmHg of the pre-dose level",
        1: "Blood pressure 20–49 mmHg from the pre-dose level",
        0: "Blood pressure 50 mmHg or more from the pre-dose level",
    },
    "consciousness": {
        2: "Fully awake",
        1: "Arousable on calling",
        0: "Not responding",
    },
    "spo2": {
        2: "SpO2 above 92 % on room air",
        1: "Needs oxygen to keep SpO2 above 90 %",
        0: "SpO2 below 90 % even with oxygen",
    },
}

#: Spravato REMS: monitoring lasts at least 2 hours from the first device (docs/clinical-reference.md,
#: "Monitoring during and after administration", "Discharge — modified Aldrete" and the REMS form section).
ESKETAMINE_MIN_MONITORING_MINUTES = 120

#: Spacing of a closing timepoint: the end of an infusion or of monitoring gets its own timepoint only
#: when it is more than this many minutes after the previous one.
_CLOSING_GAP_MINUTES = 5

_FIELD_NAMES = {
    "sbp": "Systolic",
    "dbp": "Diastolic",
    "hr": "Heart rate",
    "spo2": "SpO2",
    "rr": "Respiratory rate",
    "temp_c": "Temperature",
}
_FIELD_UNITS = {"temp_c": " °C"}
#: Short names that start every flag message; other code reads that first word to find the flagged cell.
_FLAG_NAMES = {"sbp": "SBP", "dbp": "DBP", "hr": "HR", "spo2": "SpO2", "rr": "RR", "temp_c": "Temp"}


# --- Readings and plausibility ------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One set of vital signs. Any value may be ``None`` (not taken)."""

    sbp: int | None = None
    dbp: int | None = None
    hr: int | None = None
    spo2: int | None = None
    rr: int | None = None
    temp_c: float | None = None


def _fmt(number: float) -> str:
    """``184`` rather than ``184.0``; ``36.6`` stays as it is."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _fmt_value(field: str, value: float) -> str:
    """A measured value in a flag message. Temperatures show as entered (``38.0``, ``Decimal("38.0")``
    → ``38.0``); everything else as ``_fmt`` does."""
    if field != "temp_c":
        return _fmt(value)
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_measured(value: Any) -> bool:
    """A number that can be compared with a threshold (not ``None``, not text, not NaN)."""
    return _is_number(value) and value == value


def _crossed(value: float, threshold: float, direction: str) -> bool:
    """Whether ``value`` is past ``threshold``: "above" and "below" exclusive, "at or above" inclusive.

    A ``Decimal`` (temperatures come from the database as ``Decimal``) is compared with a float as
    written: ``Decimal("38.1")`` is at a 38.1 threshold, not below the binary float nearest to 38.1.
    """
    if isinstance(value, Decimal) != isinstance(threshold, Decimal):
        value, threshold = _as_decimal(value), _as_decimal(threshold)
    if direction == "above":
        return value > threshold
    if direction == "below":
        return value < threshold
    return value >= threshold


def _as_decimal(number: float) -> Decimal:
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def plausibility_errors(reading: Any) -> dict[str, str]:
    """Entries that cannot be right, as ``{field: message}``; empty when the reading is plausible.

    Bounds are inclusive (``PLAUSIBLE``, from docs/clinical-reference.md): SBP 50 is accepted, 49 refused. A
    diastolic that is not below the systolic is refused on ``"dbp"`` (only checked when both are otherwise
    plausible). Missing values (``None``) are not errors here: whether a value is required is the
    form's business. Works with a ``Reading`` or any object with the same attribute names.
    """
    errors: dict[str, str] = {}
    for field, (low, high) in PLAUSIBLE.items():
        value = getattr(reading, field, None)
        if value is None:
            continue
        name = _FIELD_NAMES[field]
        if not _is_number(value):
            errors[field] = f"{name} must be a number (got {value!r}): check the entry."
            continue
        if not low <= value <= high:
            unit = _FIELD_UNITS.get(field, "")
            errors[field] = (
                f"{name} {_fmt(value)} is not plausible ({_fmt(low)}–{_fmt(high)}{unit}): check the entry."
            )
    sbp, dbp = getattr(reading, "sbp", None), getattr(reading, "dbp", None)
    if sbp is not None and dbp is not None and "sbp" not in errors and "dbp" not in errors and dbp >= sbp:
        errors["dbp"] = (
            f"Diastolic {_fmt(dbp)} is not below systolic {_fmt(sbp)}: check the entry "
            "(the two may have been swapped)."
        )
    return errors


# --- Alerts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """A value past a threshold. ``message`` names the threshold in force, e.g.
    ``"SBP 184 above 180 (alert threshold)"``."""

    field: str
    value: float
    threshold: float
    direction: str  # "above" | "below" | "at or above"
    message: str


def _section(thresholds: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The clinic's thresholds for one section, falling back to the default for any key left out."""
    merged = dict(DEFAULT_THRESHOLDS[name])
    merged.update(thresholds.get(name) or {})
    return merged


def _flag(field: str, value: float, threshold: float, direction: str, kind: str) -> Flag:
    message = f"{_FLAG_NAMES[field]} {_fmt_value(field, value)} {direction} {_fmt(threshold)} ({kind})"
    return Flag(field, value, threshold, direction, message)


_DURING_RULES = (
    ("sbp", "sbp_above", "above"),
    ("sbp", "sbp_below", "below"),
    ("dbp", "dbp_above", "above"),
    ("dbp", "dbp_below", "below"),
    ("hr", "hr_above", "above"),
    ("hr", "hr_below", "below"),
    ("spo2", "spo2_below", "below"),
    ("rr", "rr_below", "below"),
    ("rr", "rr_above", "above"),
)


def vital_flags(reading: Any, thresholds: Mapping[str, Any] = DEFAULT_THRESHOLDS) -> list[Flag]:
    """Alerts for a reading taken during or after administration.

    Defaults (docs/clinical-reference.md, "Default alert thresholds" and "Pre-dose and hypotension defaults"):
    SBP > 180 or < 90, DBP > 110 or < 50, HR > 120 or < 50, SpO2 < 92 %, RR < 10 or > 24. Limits are
    exclusive: SBP 180 and 90 are not flagged, 181 and 89 are. Message e.g. ``"SBP 85 below 90 (alert
    threshold)"``. Values not taken (``None``) or not numbers raise nothing; a threshold set to ``None``
    is switched off. Temperature has no alert during administration.
    """
    during = _section(thresholds, "during")
    flags: list[Flag] = []
    for field, key, direction in _DURING_RULES:
        value = getattr(reading, field, None)
        threshold = during.get(key)
        if threshold is None or not _is_measured(value):
            continue
        if _crossed(value, threshold, direction):
            flags.append(_flag(field, value, threshold, direction, "alert threshold"))
    return flags


#: Pre-dose rules as ``(field, section, key, direction, level)``, in flag order (sbp, dbp, hr, spo2, rr,
#: temp_c) and, within a field, hold before caution: a field raises only its first rule crossed.
_PRE_DOSE_RULES = (
    ("sbp", "pre_dose_hold", "sbp", "above", "hold"),
    ("sbp", "pre_dose_caution", "sbp", "above", "caution"),
    ("sbp", "during", "sbp_below", "below", "caution"),
    ("dbp", "pre_dose_hold", "dbp", "above", "hold"),
    ("dbp", "pre_dose_caution", "dbp", "above", "caution"),
    ("dbp", "during", "dbp_below", "below", "caution"),
    ("hr", "pre_dose_hold", "hr_above", "above", "hold"),
    ("hr", "pre_dose_hold", "hr_below", "below", "hold"),
    ("hr", "pre_dose_caution", "hr_above", "above", "caution"),
    ("spo2", "pre_dose_hold", "spo2_below", "below", "hold"),
    ("spo2", "pre_dose_caution", "spo2_below", "below", "caution"),
    ("rr", "pre_dose_hold", "rr_below", "below", "hold"),
    ("rr", "pre_dose_hold", "rr_above", "above", "hold"),
    ("temp_c", "pre_dose_hold", "temp_c_at_or_above", "at or above", "hold"),
)


def pre_dose_check(
    reading: Any, thresholds: Mapping[str, Any] = DEFAULT_THRESHOLDS
) -> tuple[str, list[Flag]]:
    """Baseline vitals before dosing: ``("ok" | "caution" | "hold", flags)``.

    Defaults (docs/clinical-reference.md, "Default alert thresholds", "Pre-dose and hypotension defaults" and
    "Pre-session checklist": baseline vitals within limits):

    - SBP > 160 or DBP > 100: hold; SBP > 140 or DBP > 90: caution (140/90 ok, 160/100 a caution,
      161/100 and 150/101 a hold);
    - SBP < 90 or DBP < 50 (the ``"during"`` hypotension alert limits ``sbp_below``/``dbp_below``):
      caution;
    - SpO2 < 92 %: hold; SpO2 < 95 %: caution;
    - HR > 120 or < 50: hold; HR > 100: caution;
    - RR < 10 or > 24: hold;
    - temperature ≥ 38.0 °C: hold. This limit is *inclusive* (38.0 is a hold, 37.9 is not); all the
      others are exclusive.

    Every value present in the reading is checked; values not taken (``None``) or not numbers are
    skipped, so a reading with only SpO2 is judged on SpO2 and an empty reading is ``("ok", [])``.
    Each field raises at most one flag, at the highest level it crosses (hold beats caution), in the
    order SBP, DBP, HR, SpO2, RR, temperature. The status is the highest level of any flag. Messages
    name the threshold in force, e.g. ``"SpO2 90 below 92 (pre-dose hold threshold)"``,
    ``"SBP 85 below 90 (pre-dose caution threshold)"``, ``"Temp 38.0 at or above 38 (pre-dose hold
    threshold)"``. A threshold set to ``None`` is switched off.

    "hold" blocks dosing; docs/clinical-reference.md: it is lifted only by a prescriber's written override
    later than the reading that caused it (the caller's business, not this function's).
    """
    sections = {name: _section(thresholds, name) for name in ("pre_dose_hold", "pre_dose_caution", "during")}
    status = "ok"
    flags: list[Flag] = []
    done: set[str] = set()
    for field, section, key, direction, level in _PRE_DOSE_RULES:
        value = getattr(reading, field, None)
        threshold = sections[section].get(key)
        if field in done or threshold is None or not _is_measured(value):
            continue
        if _crossed(value, threshold, direction):
            flags.append(_flag(field, value, threshold, direction, f"pre-dose {level} threshold"))
            done.add(field)
            if level == "hold" or status == "ok":
                status = level
    return status, flags


def moaas_alert(score: int, thresholds: Mapping[str, Any] = DEFAULT_THRESHOLDS) -> bool:
    """True when a MOAA/S score is a sedation safety alert: ≤ 2 by default (docs/clinical-reference.md,
    "Sedation — MOAA/S"). Raises ``ValueError`` for anything but a whole number 0–5."""
    if not isinstance(score, int) or isinstance(score, bool) or score not in MOAAS:
        raise ValueError(f"MOAA/S score must be a whole number from 0 to 5 (got {score!r}).")
    at_most = thresholds.get("moaas_alert_at_most", DEFAULT_THRESHOLDS["moaas_alert_at_most"])
    return at_most is not None and score <= at_most


# --- Discharge ------------------------------------------------------------------------------------


def aldrete_total(scores: Mapping[str, int]) -> int:
    """Total of the five modified Aldrete items, 0–10 (docs/clinical-reference.md, "Discharge — modified
    Aldrete score").

    Raises ``ValueError`` naming the problem when an item is missing, unknown, or not 0, 1 or 2.
    """
    unknown = sorted(set(scores) - set(ALDRETE_ITEMS))
    if unknown:
        raise ValueError(f"Unknown modified Aldrete item: {', '.join(unknown)}.")
    missing = [ALDRETE_ITEM_NAMES[item] for item in ALDRETE_ITEMS if scores.get(item) is None]
    if missing:
        raise ValueError(f"Modified Aldrete score is incomplete: {', '.join(missing)} not scored.")
    for item in ALDRETE_ITEMS:
        value = scores[item]
        if not isinstance(value, int) or isinstance(value, bool) or value not in (0, 1, 2):
            raise ValueError(
                f"Modified Aldrete {ALDRETE_ITEM_NAMES[item]} must be 0, 1 or 2 (got {value!r})."
            )
    return sum(scores[item] for item in ALDRETE_ITEMS)


def _check_route(route: str) -> None:
    if route not in ROUTES:
        raise ValueError(f"Unknown route {route!r}: expected one of {', '.join(ROUTES)}.")


def discharge_ready(
    *,
    aldrete: Mapping[str, int],
    vitals_near_baseline: bool,
    alert_and_oriented: bool,
    escort_present: bool,
    instructions_given: bool,
    route: str,
    minutes_since_first_dose: int,
) -> list[str]:
    """Reasons the patient may not leave yet; an empty list means ready for discharge.

    docs/clinical-reference.md, "Discharge — modified Aldrete score": modified Aldrete ≥ 9, or ≥ 8 with 2 for
    both respiration and SpO2; vitals near baseline; alert and oriented; escort present; written
    instructions given. Spravato (route ``"intranasal"``): not before 120 minutes from the first device.
    Each condition must be exactly ``True``; ``None`` (not answered) counts as not met. An incomplete
    or invalid Aldrete score is a reason, not an exception. Raises ``ValueError`` for an unknown route
    or a negative number of minutes.
    """
    _check_route(route)
    if minutes_since_first_dose < 0:
        raise ValueError(f"Minutes since the first dose cannot be negative (got {minutes_since_first_dose}).")
    reasons: list[str] = []
    try:
        total = aldrete_total(aldrete)
    except ValueError as error:
        reasons.append(str(error))
    else:
        if total == 8:
            respiration, spo2 = aldrete["respiration"], aldrete["spo2"]
            if respiration != 2 or spo2 != 2:
                reasons.append(
                    "Modified Aldrete total is 8: 8 is enough only with 2 for respiration and 2 for SpO2 "
                    f"(respiration {respiration}, SpO2 {spo2}); otherwise discharge needs 9 or more."
                )
        elif total < 8:
            reasons.append(
                f"Modified Aldrete total is {total}: discharge needs 9 or more "
                "(or 8 with 2 for respiration and 2 for SpO2)."
            )
    if vitals_near_baseline is not True:
        reasons.append("Vital signs are not yet near baseline.")
    if alert_and_oriented is not True:
        reasons.append("Patient is not yet alert and oriented.")
    if escort_present is not True:
        reasons.append("No escort present: the patient must leave with a responsible adult.")
    if instructions_given is not True:
        reasons.append("Written discharge instructions have not been given.")
    if route == "intranasal" and minutes_since_first_dose < ESKETAMINE_MIN_MONITORING_MINUTES:
        remaining = ESKETAMINE_MIN_MONITORING_MINUTES - minutes_since_first_dose
        reasons.append(
            f"Esketamine: {minutes_since_first_dose} minutes since the first device; discharge not before "
            f"{ESKETAMINE_MIN_MONITORING_MINUTES} minutes ({remaining} more minute{'s' if remaining != 1 else ''})."
        )
    return reasons


# --- Timepoints -----------------------------------------------------------------------------------


def _positive_int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{what} must be a whole number of minutes above 0 (got {value!r}).")
    return value


def _close(points: list[tuple[int, str]], end: int, label: str) -> None:
    """Add a closing timepoint at ``end`` unless the previous one is within 5 minutes of it; a point
    already exactly at ``end`` takes the closing label."""
    last = points[-1][0]
    if last == end:
        points[-1] = (end, label)
    elif end - last > _CLOSING_GAP_MINUTES:
        points.append((end, label))


def expected_timepoints(
    route: str, *, infusion_minutes: int | None = None, monitoring_minutes: int = 120
) -> list[tuple[int, str]]:
    """When vitals are due, as ``(minutes from dose start, label)`` pairs in order.

    docs/clinical-reference.md, "Monitoring during and after administration":

    - IV ("BP every ~10 min during infusion, ~15 min after"): ``(0, "Pre-dose")``; every 10 minutes
      while the infusion runs, including its end (``"During infusion"``); then every 15 minutes counted
      from the end of the infusion (``"Recovery"``) up to ``monitoring_minutes``. ``infusion_minutes`` is
      required and ``monitoring_minutes`` must be later than it.
    - Intranasal esketamine ("BP before dosing, at ~40 min, and before discharge; monitoring ≥ 2 hours"):
      ``(0, "Before dosing")``, ``(40, "At 40 minutes")``, ``(monitoring_minutes, "Before discharge")``;
      ``monitoring_minutes`` below 120 is refused. ``infusion_minutes`` is ignored.
    - IM, lozenge and KAP (no schedule in docs/clinical-reference.md; the post-infusion cadence is used):
      ``(0, "Pre-dose")``, then every 15 minutes (``"Monitoring"``).

    Closing points: the end of an infusion and the end of monitoring get a timepoint of their own only
    when they fall more than 5 minutes after the previous one; otherwise that previous reading covers
    them. So a 40-minute infusion with 120 minutes of monitoring gives 0, 10, 20, 30, 40, 55, 70, 85,
    100, 115 (120 is within 5 minutes of 115), and a 45-minute infusion gives 0, 10, 20, 30, 40, then 60,
    75, 90, 105, 120. A point landing exactly on the monitoring end is labelled ``"Before discharge"``.
    """
    _check_route(route)
    monitoring_minutes = _positive_int(monitoring_minutes, "Monitoring time")
    if route == "intranasal":
        if monitoring_minutes < ESKETAMINE_MIN_MONITORING_MINUTES:
            raise ValueError(
                f"Esketamine monitoring must last at least {ESKETAMINE_MIN_MONITORING_MINUTES} minutes "
                f"(got {monitoring_minutes})."
            )
        return [(0, "Before dosing"), (40, "At 40 minutes"), (monitoring_minutes, "Before discharge")]

    if route == "iv":
        if infusion_minutes is None:
            raise ValueError("IV timepoints need the infusion length in minutes.")
        infusion_minutes = _positive_int(infusion_minutes, "Infusion time")
        if monitoring_minutes <= infusion_minutes:
            raise ValueError(
                f"Monitoring ({monitoring_minutes} min) must run past the end of the infusion "
                f"({infusion_minutes} min)."
            )
        points = [(0, "Pre-dose")]
        points += [(minute, "During infusion") for minute in range(10, infusion_minutes, 10)]
        _close(points, infusion_minutes, "During infusion")
        start, label = infusion_minutes, "Recovery"
    else:
        points = [(0, "Pre-dose")]
        start, label = 0, "Monitoring"

    points += [(minute, label) for minute in range(start + 15, monitoring_minutes + 1, 15)]
    _close(points, monitoring_minutes, "Before discharge")
    return points


def timepoint_status(
    timepoints: list[tuple[int, str]],
    recorded_minutes: list[int],
    now_minutes: int,
    *,
    tolerance: int = 5,
) -> list[dict]:
    """Status of each expected timepoint: ``{"minute", "label", "status"}``.

    - ``"done"``: a reading was recorded within ± ``tolerance`` minutes of it. Each reading counts for
      one timepoint only (a single reading at minute 15 does not tick both 10 and 20); timepoints take
      the earliest unused reading in their window, which ticks as many as the readings allow.
    - ``"due"``: not done, and now is within ± ``tolerance`` of it.
    - ``"overdue"``: not done, and now is past ``minute + tolerance``.
    - ``"upcoming"``: not done, and now is before ``minute - tolerance``.
    """
    if tolerance < 0:
        raise ValueError(f"Tolerance cannot be negative (got {tolerance}).")
    unused = sorted(recorded_minutes)
    result = []
    for minute, label in sorted(timepoints):
        match = next((r for r in unused if abs(r - minute) <= tolerance), None)
        if match is not None:
            unused.remove(match)
            status = "done"
        elif now_minutes > minute + tolerance:
            status = "overdue"
        elif now_minutes >= minute - tolerance:
            status = "due"
        else:
            status = "upcoming"
        result.append({"minute": minute, "label": label, "status": status})
    return result


# --- Spravato REMS patient monitoring form --------------------------------------------------------

#: Fields of the Spravato REMS patient monitoring form that are always required, as ``(key, label)``
#: (docs/clinical-reference.md, "Spravato REMS patient monitoring form"). Yes/no fields hold booleans:
#: ``False`` is an answer. Serious adverse events is free text ("None" when there were none).
REMS_FIELDS = [
    ("patient_name", "Patient name"),
    ("patient_dob", "Patient date of birth"),
    ("patient_sex", "Patient sex"),
    ("first_treatment", "First treatment (yes/no)"),
    ("enrolled", "Patient enrolled in the Spravato REMS (yes/no)"),
    ("benzodiazepines", "Concomitant benzodiazepines (yes/no)"),
    ("sedative_hypnotics", "Concomitant non-benzodiazepine sedative hypnotics (yes/no)"),
    ("psychostimulants", "Concomitant psychostimulants (yes/no)"),
    ("maois", "Concomitant MAOIs (yes/no)"),
    ("opioids", "Concomitant opioids (yes/no)"),
    ("provider_name", "Monitoring provider name"),
    ("provider_phone", "Monitoring provider phone"),
    ("provider_email", "Monitoring provider email"),
    ("clinic_name", "Clinic name"),
    ("clinic_address", "Clinic address"),
    ("treatment_date", "Treatment date"),
    ("dose", "Dose (56 mg, 84 mg or other)"),
    ("lot_number", "Lot number"),
    ("total_monitoring_minutes", "Total minutes from first device to end of monitoring"),
    ("ready_without_minimum", "When the patient would have been ready to leave without the 2-hour minimum"),
    ("vitals_ok_pre_dose", "Vital signs acceptable before dosing (yes/no)"),
    ("vitals_ok_at_completion", "Vital signs acceptable at completion of monitoring (yes/no)"),
    ("bp_pre_dose", "Blood pressure before dosing"),
    ("bp_40_min", "Blood pressure at 40 minutes"),
    ("bp_before_completion", "Blood pressure before completion of monitoring"),
    ("sedation", "Sedation (yes/no)"),
    ("dissociation", "Dissociation (yes/no)"),
    ("respiratory_depression", "Respiratory depression (yes/no)"),
    ("serious_adverse_events", "Serious adverse events"),
]

#: Fields required only in some cases, as ``(key, label)``: the other dose when the dose is "other",
#: and the details of sedation, dissociation or respiratory depression when the answer is yes.
REMS_DETAIL_FIELDS = [
    ("other_dose_mg", "Other dose (mg)"),
    ("sedation_details", "Sedation details"),
    ("dissociation_details", "Dissociation details"),
    ("respiratory_depression_details", "Respiratory depression details"),
]

_REMS_DETAILS_FOR = {
    "sedation": "sedation_details",
    "dissociation": "dissociation_details",
    "respiratory_depression": "respiratory_depression_details",
}
_REMS_LABELS = dict(REMS_FIELDS + REMS_DETAIL_FIELDS)
_REMS_DOSES = {56: 56, 84: 84, "56": 56, "84": 84, "other": "other"}


def _blank(value: Any) -> bool:
    """Missing: ``None``, an empty or whitespace-only string, or an empty collection. ``False`` and ``0``
    are answers."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | set):
        return not value
    return False


def _number(value: Any) -> float | None:
    """A number, or a string holding one (form data); ``None`` otherwise."""
    if _is_number(value):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _yes(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"yes", "y", "true"}
    return value is True


def rems_missing(data: Mapping[str, Any]) -> list[str]:
    """What stops the Spravato REMS patient monitoring form from being signed; empty when complete.

    docs/clinical-reference.md, "Spravato REMS patient monitoring form": every field must be filled before the
    note is signed. Returns, in form order, the label of each blank field in ``REMS_FIELDS``, plus:

    - "Other dose (mg)" when the dose is "other" without a positive amount, and a reason when the dose
      is not 56, 84 or "other";
    - the details field when sedation, dissociation or respiratory depression is answered yes;
    - "Monitoring must last at least 120 minutes (… recorded)" when the total is under 120, and a
      reason when it is not a number.
    """
    problems: list[str] = []
    for key, label in REMS_FIELDS:
        value = data.get(key)
        if _blank(value):
            problems.append(label)
            continue
        if key == "dose":
            dose = _REMS_DOSES.get(value.strip().lower() if isinstance(value, str) else value)
            if isinstance(value, bool) or dose is None:
                problems.append(f"Dose must be 56 mg, 84 mg or other (got {value!r}).")
            elif dose == "other":
                other = _number(data.get("other_dose_mg"))
                if other is None or other <= 0:
                    problems.append(_REMS_LABELS["other_dose_mg"])
        elif key == "total_monitoring_minutes":
            minutes = _number(value)
            if minutes is None:
                problems.append(f"{label} must be a number of minutes (got {value!r}).")
            elif minutes < ESKETAMINE_MIN_MONITORING_MINUTES:
                problems.append(
                    f"Monitoring must last at least {ESKETAMINE_MIN_MONITORING_MINUTES} minutes "
                    f"({_fmt(minutes)} recorded)."
                )
        elif key in _REMS_DETAILS_FOR and _yes(value):
            details = _REMS_DETAILS_FOR[key]
            if _blank(data.get(details)):
                problems.append(_REMS_LABELS[details])
    return problems
