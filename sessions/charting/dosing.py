"""Dose arithmetic for charting a treatment session: pure Python, no Django.

Formulas (docs/clinical-reference.md, "Routes and dosing"):

- IV infusion / IM (weight-based):
    dose mg         = weight kg × mg/kg                      -> rounded to 0.1 mg
    volume mL       = dose mg ÷ concentration mg/mL          -> rounded to 0.01 mL (the drug volume)
  ``Dose.mg_per_kg`` is the mg/kg actually given, i.e. rounded dose ÷ weight, to 4 decimal places.
  The volume is worked out from the rounded dose.
- IV pump (``minutes`` 2–100). The order is either undiluted stock, or the drug volume made up with
  0.9 % sodium chloride to a fixed ``final_volume_ml`` (more than the drug volume, at most 1000 mL):
    diluent mL          = final mL − drug volume mL                    -> rounded to 0.01 mL
    final concentration = dose mg ÷ final mL                           -> rounded to 0.001 mg/mL
    pump rate mL/h      = final mL ÷ (minutes ÷ 60)                    -> rounded to the pump's resolution
  Undiluted, the pump rate is the drug volume *before* it is rounded to 0.01 mL ÷ (minutes ÷ 60), so two
  roundings don't stack up (82.4 kg × 0.75 mg/kg at 50 mg/mL over 40 min: 61.8 mg, 1.236 mL -> 1.24 mL,
  1.236 ÷ (40/60) = 1.854 -> 1.9 mL/h). The rate is rounded HALF_UP to a multiple of ``rate_resolution``
  (0.1 mL/h for a syringe pump by default, 1 mL/h for a large-volume pump).
    delivered mg   = rounded rate × minutes ÷ 60 × mg/mL in the pump  -> rounded to 0.1 mg
                     (mg/mL in the pump: the exact final concentration, or the stock concentration)
    rate deviation = (delivered − dose) ÷ dose, from exact values     -> rounded to 0.0001
  The 5 % rule: when |rate deviation| > ``RATE_DEVIATION_LIMIT`` (0.05) the rounded rate gives the wrong
  dose (undiluted 100 mg/mL, 5.0 mg = 0.05 mL over 60 min: 0.05 mL/h shows as 0.1 mL/h, i.e. 10.0 mg).
  The dose then carries a ``rate_warning`` and, as ``proposal``, the smallest of ``DILUTION_VOLUMES_ML``
  (50 mL syringe, 100 or 250 mL bag) that is more than the drug volume and brings the deviation within
  5 % (``propose_dilution``). A rate that rounds to 0 is such a dose (deviation -1), not an error.
- Intranasal esketamine (Spravato): devices = dose mg ÷ 28; every device holds 28 mg, and there are
  5 minutes between devices.
- Oral / sublingual lozenge: dose mg = count × strength mg.

All rounding is ROUND_HALF_UP (35.25 mg -> 35.3 mg, not banker's 35.2).

Inputs may be ``Decimal``, ``int``, numeric strings or finite floats (converted with ``Decimal(str(x))``,
so ``82.4`` stays 82.4). Anything else, NaN, infinity, zero, negative or out-of-range values raise
``DoseError`` (a ``ValueError``) whose message names the field.

Limits: a dose above the clinic maximum is not an error: it comes back with ``over_limit`` reasons, a hard
stop that only a prescriber can override with a reason. The mg/kg check compares the *ordered* mg/kg
with the maximum, so a dose ordered exactly at the maximum never trips it through rounding to 0.1 mg
(70.07 kg × 0.75 = 52.5525 -> 52.6 mg, which is 0.7507 mg/kg). The absolute check compares the rounded
dose with ``Limits.max_mg``. Fixed doses (intranasal, lozenge) have no weight, so only ``max_mg`` applies.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext

__all__ = [
    "DILUTION_VOLUMES_ML",
    "ESKETAMINE_DEVICE_MG",
    "RATE_DEVIATION_LIMIT",
    "Dilution",
    "Dose",
    "DoseError",
    "Limits",
    "check_weight",
    "intranasal",
    "lozenge",
    "plain",
    "propose_dilution",
    "weight_based",
    "weight_is_recent",
]

# Plausibility ranges: outside these the value is almost certainly an entry mistake (e.g. lb for kg,
# mg for mg/kg). They are input validation, separate from the clinic's configurable Limits.
WEIGHT_KG_RANGE = (Decimal("25"), Decimal("350"))
MG_PER_KG_RANGE = (Decimal("0.05"), Decimal("2"))
CONCENTRATION_RANGE = (Decimal("1"), Decimal("100"))
IV_MINUTES_RANGE = (2, 100)  # published range for IV ketamine: 2–100 minutes
LOZENGE_COUNT_RANGE = (1, 10)
ESKETAMINE_DEVICE_MG = Decimal("28")
MINUTES_BETWEEN_DEVICES = 5
# Rounding the drawn volume to 0.01 mL can change a very small dose noticeably (0.0125 mL -> 0.01 mL
# is 20 % less drug); above this share a note suggests a more dilute concentration.
VOLUME_ROUNDING_NOTE_FRACTION = Decimal("0.05")
# A pump rate rounded to the pump's resolution changes the dose given; more than this share (either way)
# needs a dilution instead.
RATE_DEVIATION_LIMIT = Decimal("0.05")
# Final volumes to propose, smallest first: a 50 mL syringe, a 100 mL or a 250 mL bag of 0.9 % NaCl.
DILUTION_VOLUMES_ML = (Decimal("50"), Decimal("100"), Decimal("250"))
MAX_FINAL_VOLUME_ML = Decimal("1000")
# Pump rate resolutions in mL/h: a power of ten in this range (syringe pumps 0.1, large-volume pumps 1).
RATE_RESOLUTION_RANGE = (Decimal("0.01"), Decimal("10"))
# propose_dilution() on its own accepts any infusion up to 24 hours; weight_based() keeps to 2–100 minutes.
PROPOSAL_MINUTES_RANGE = (1, 1440)

ROUTES = ("iv", "im", "intranasal", "lozenge")

_MG = Decimal("0.1")
_MG_PER_KG = Decimal("0.0001")
_ML = Decimal("0.01")
_MG_PER_ML = Decimal("0.001")
_DEVIATION = Decimal("0.0001")
# A fixed context, so a caller's decimal settings cannot change a dose.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_UP)
# The exact pump rate as written in a warning: 4 significant digits (0.05, 0.0078, 1.854, 9.5).
_RATE_TEXT_CONTEXT = Context(prec=4, rounding=ROUND_HALF_UP)


class DoseError(ValueError):
    """Bad input: a value that cannot be a real dose (the message names the field)."""


def _to_decimal(value, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str | float):
        raise DoseError(f"{field} must be a number, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DoseError(f"{field} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise DoseError(f"{field} must be a finite number, got {value!r}")
    return number


def _positive(value, field: str) -> Decimal:
    number = _to_decimal(value, field)
    if number <= 0:
        raise DoseError(f"{field} must be greater than zero, got {plain(number)}")
    return number


def _in_range(value, field: str, bounds: tuple[Decimal, Decimal], unit: str, hint: str) -> Decimal:
    number = _positive(value, field)
    low, high = bounds
    if not low <= number <= high:
        raise DoseError(
            f"{field} must be between {plain(low)} and {plain(high)} {unit}, got {plain(number)}; {hint}"
        )
    return number


def _whole(value, field: str, bounds: tuple[int, int], unit: str) -> int:
    number = _to_decimal(value, field)
    low, high = bounds
    if number != number.to_integral_value():
        raise DoseError(f"{field} must be a whole number of {unit}, got {plain(number)}")
    if not low <= number <= high:
        raise DoseError(f"{field} must be between {low} and {high} {unit}, got {plain(number)}")
    return int(number)


def plain(number: Decimal, min_places: int = 0) -> str:
    """``Decimal`` as plain text, no exponent, at least ``min_places`` decimals: 1E+2 -> "100"."""
    number = number.normalize(_CONTEXT)
    if -number.as_tuple().exponent < min_places:
        number = number.quantize(Decimal(1).scaleb(-min_places))
    return format(number, "f")


def _mg_per_kg_text(number: Decimal) -> str:
    return plain(number, min_places=2)


@dataclass(frozen=True)
class Limits:
    """The clinic's maximum for a route (editable by an administrator)."""

    max_mg_per_kg: Decimal  # clinic maximum, e.g. Decimal("1.0") for IV
    max_mg: Decimal  # absolute cap, e.g. Decimal("100")
    weight_max_age_days: int = 0  # weight must be from today (0) or within N days

    def __post_init__(self):
        # Settings may arrive as strings or ints; store Decimals so comparisons are exact.
        object.__setattr__(self, "max_mg_per_kg", _positive(self.max_mg_per_kg, "max_mg_per_kg"))
        object.__setattr__(self, "max_mg", _positive(self.max_mg, "max_mg"))
        days = self.weight_max_age_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise DoseError(f"weight_max_age_days must be a whole number of days, 0 or more, got {days!r}")


@dataclass(frozen=True)
class Dilution:
    """The dose made up to a fixed final volume with 0.9 % sodium chloride, and what the pump then gives."""

    final_volume_ml: Decimal  # after adding the diluent
    diluent_volume_ml: Decimal  # final − drug volume, rounded to 0.01 mL
    final_concentration: Decimal  # dose mg ÷ final volume, rounded to 0.001 mg/mL
    rate_ml_per_h: Decimal  # final volume ÷ hours, rounded to the pump's resolution
    delivered_mg: Decimal  # what the pump gives at that rate over the infusion, rounded to 0.1 mg
    rate_deviation: Decimal  # (delivered − dose) ÷ dose from exact values, rounded to 0.0001


@dataclass(frozen=True)
class Dose:
    route: str  # "iv" | "im" | "intranasal" | "lozenge"
    mg: Decimal  # dose in mg, rounded to 0.1 mg (ROUND_HALF_UP)
    mg_per_kg: Decimal | None  # actual mg/kg after rounding (4 dp), None for fixed doses
    volume_ml: Decimal | None  # drug volume: mg / concentration, rounded to 0.01 mL
    rate_ml_per_h: Decimal | None  # IV only: final (or exact drug) volume / hours, to the pump's resolution
    devices: int | None  # intranasal: mg / 28 (must be whole)
    minutes: int | None
    over_limit: tuple[str, ...]  # reasons the dose exceeds Limits; empty when within. A hard stop.
    notes: tuple[str, ...]  # e.g. "5 minutes between devices"
    # IV only. The first three are None for undiluted stock (see Dilution for their meaning).
    final_volume_ml: Decimal | None = None
    diluent_volume_ml: Decimal | None = None
    final_concentration: Decimal | None = None
    delivered_mg: Decimal | None = None  # what the pump gives at the rounded rate, 0.1 mg
    rate_deviation: Decimal | None = None  # (delivered − mg) ÷ mg, 0.0001; -1 when the rate rounds to 0
    rate_warning: str | None = None  # when |rate_deviation| > RATE_DEVIATION_LIMIT
    proposal: Dilution | None = None  # with a rate_warning: a dilution that gives the dose within 5 %


def _mg_over_limit(mg: Decimal, limits: Limits) -> list[str]:
    if mg > limits.max_mg:
        return [f"{mg} mg is above the clinic maximum of {plain(limits.max_mg)} mg"]
    return []


def _rate_resolution(value) -> Decimal:
    number = _positive(value, "rate_resolution")
    low, high = RATE_RESOLUTION_RANGE
    normal = number.normalize(_CONTEXT)
    if normal.as_tuple().digits != (1,) or not low <= number <= high:
        raise DoseError(
            f"rate_resolution must be a power of ten from {plain(low)} to {plain(high)} mL/h "
            f"(e.g. 0.1 for a syringe pump, 1 for a large-volume pump), got {plain(number)}"
        )
    return normal


@dataclass(frozen=True)
class _Pump:
    exact_rate: Decimal
    rate: Decimal
    delivered_mg: Decimal
    deviation: Decimal


def _pump(*, mg: Decimal, mg_in: Decimal, ml_in: Decimal, minutes: int, resolution: Decimal) -> _Pump:
    """The pump running ``mg`` at ``mg_in`` mg per ``ml_in`` mL over ``minutes``.

    Undiluted: (concentration, 1); diluted: (mg, final volume). Every value is one division of exact
    products, so a half-way value (26.25 mg) is not lost to a repeating decimal such as 40/60.
    """
    with localcontext(_CONTEXT):
        exact_rate = mg * ml_in * 60 / (mg_in * minutes)
        steps = (exact_rate / resolution).to_integral_value(rounding=ROUND_HALF_UP)
        places = max(0, -resolution.as_tuple().exponent)
        rate = (steps * resolution).quantize(Decimal(1).scaleb(-places))
        given = rate * minutes * mg_in
        delivered = (given / (60 * ml_in)).quantize(_MG, rounding=ROUND_HALF_UP)
        deviation = ((given - 60 * ml_in * mg) / (60 * ml_in * mg)).quantize(
            _DEVIATION, rounding=ROUND_HALF_UP
        )
    return _Pump(exact_rate=exact_rate, rate=rate, delivered_mg=delivered, deviation=deviation)


def _diluted(*, mg: Decimal, drug_volume: Decimal, final: Decimal, pump: _Pump) -> Dilution:
    with localcontext(_CONTEXT):
        diluent = (final - drug_volume).quantize(_ML, rounding=ROUND_HALF_UP)
        concentration = (mg / final).quantize(_MG_PER_ML, rounding=ROUND_HALF_UP)
    return Dilution(
        final_volume_ml=final,
        diluent_volume_ml=diluent,
        final_concentration=concentration,
        rate_ml_per_h=pump.rate,
        delivered_mg=pump.delivered_mg,
        rate_deviation=pump.deviation,
    )


def _within_limit(deviation: Decimal) -> bool:
    return abs(deviation) <= RATE_DEVIATION_LIMIT


def _dilution_proposal(*, mg: Decimal, drug_volume: Decimal, minutes: int, resolution: Decimal):
    for final in DILUTION_VOLUMES_ML:
        if final <= drug_volume:
            continue
        pump = _pump(mg=mg, mg_in=mg, ml_in=final, minutes=minutes, resolution=resolution)
        if _within_limit(pump.deviation):
            return _diluted(mg=mg, drug_volume=drug_volume, final=final, pump=pump)
    return None


def propose_dilution(*, mg, drug_volume_ml, minutes, rate_resolution) -> Dilution | None:
    """The smallest of ``DILUTION_VOLUMES_ML`` (50, 100, 250 mL) that is more than the drug volume and
    whose pump rate, rounded to ``rate_resolution`` mL/h, gives ``mg`` within ``RATE_DEVIATION_LIMIT``;
    None when none does (the drug volume is over 250 mL, or even 250 mL runs too slowly).
    """
    dose = _positive(mg, "mg")
    drug_volume = _positive(drug_volume_ml, "drug_volume_ml")
    infusion_minutes = _whole(minutes, "minutes", PROPOSAL_MINUTES_RANGE, "minutes")
    resolution = _rate_resolution(rate_resolution)
    return _dilution_proposal(
        mg=dose, drug_volume=drug_volume, minutes=infusion_minutes, resolution=resolution
    )


def _percent(fraction: Decimal) -> str:
    text = plain(fraction * 100)
    return f"+{text}" if fraction > 0 else text


def _rate_warning(*, mg: Decimal, pump: _Pump, resolution: Decimal, diluted: bool) -> str:
    advice = "Use a larger final volume instead." if diluted else "Dilute the dose instead."
    return (
        f"The pump rate {plain(_RATE_TEXT_CONTEXT.plus(pump.exact_rate))} mL/h rounds to {pump.rate} mL/h "
        f"at this pump's {plain(resolution)} mL/h resolution: that gives {pump.delivered_mg} mg, "
        f"not {mg} mg ({_percent(pump.deviation)} %). {advice}"
    )


def weight_based(
    *,
    route,
    weight_kg,
    mg_per_kg,
    concentration_mg_per_ml,
    minutes=None,
    limits: Limits,
    final_volume_ml=None,
    rate_resolution=Decimal("0.1"),
) -> Dose:
    """IV infusion (``minutes`` required, 2–100) or IM injection (``minutes`` must be None).

    dose mg = weight kg × mg/kg; volume mL = dose ÷ concentration. IV only: ``final_volume_ml`` (None:
    undiluted stock) is the volume after adding 0.9 % sodium chloride; the pump rate mL/h = final (or exact
    drug) volume ÷ (minutes ÷ 60), rounded to ``rate_resolution`` mL/h (a power of ten, 0.01–10; it is
    checked but unused for IM). A rate that gives the dose more than 5 % off comes back with a
    ``rate_warning`` and a ``proposal`` (see the module docstring).
    """
    route_name = str(route).strip().lower() if isinstance(route, str) else route
    if route_name not in ("iv", "im"):
        if route_name in ROUTES:
            raise DoseError(f"route {route!r} is a fixed dose, not weight-based; use {route_name}()")
        raise DoseError(f"route must be 'iv' or 'im' for a weight-based dose, got {route!r}")
    weight = _in_range(
        weight_kg, "weight_kg", WEIGHT_KG_RANGE, "kg", "check the weight and its unit (kg, not lb)"
    )
    ordered = _in_range(mg_per_kg, "mg_per_kg", MG_PER_KG_RANGE, "mg/kg", "this is likely an entry mistake")
    concentration = _in_range(
        concentration_mg_per_ml,
        "concentration_mg_per_ml",
        CONCENTRATION_RANGE,
        "mg/mL",
        "check the vial or bag concentration",
    )
    final = None
    if route_name == "iv":
        if minutes is None:
            raise DoseError("minutes is required for an IV infusion")
        infusion_minutes = _whole(minutes, "minutes", IV_MINUTES_RANGE, "minutes")
        if final_volume_ml is not None:
            final = _positive(final_volume_ml, "final_volume_ml")
            if final > MAX_FINAL_VOLUME_ML:
                raise DoseError(
                    f"final_volume_ml must be at most {plain(MAX_FINAL_VOLUME_ML)} mL, got {plain(final)}"
                )
    else:
        if minutes is not None:
            raise DoseError(f"minutes must be empty for an IM injection (no infusion), got {minutes!r}")
        if final_volume_ml is not None:
            raise DoseError(
                f"final_volume_ml must be empty for an IM injection (no dilution), got {final_volume_ml!r}"
            )
        infusion_minutes = None
    resolution = _rate_resolution(rate_resolution)

    notes: list[str] = []
    with localcontext(_CONTEXT):
        mg = (weight * ordered).quantize(_MG, rounding=ROUND_HALF_UP)
        actual_mg_per_kg = (mg / weight).quantize(_MG_PER_KG, rounding=ROUND_HALF_UP)
        exact_volume = mg / concentration
        volume = exact_volume.quantize(_ML, rounding=ROUND_HALF_UP)
        if abs(volume - exact_volume) / exact_volume > VOLUME_ROUNDING_NOTE_FRACTION:
            notes.append(
                f"Rounding the volume to 0.01 mL ({plain(exact_volume)} -> {volume} mL) changes the dose "
                f"by more than {plain(VOLUME_ROUNDING_NOTE_FRACTION * 100)} %; use a more dilute concentration"
            )
    if final is not None and final <= volume:
        raise DoseError(
            f"final_volume_ml ({plain(final)} mL) must be more than the drug volume ({volume} mL)"
        )

    pump = dilution = warning = proposal = None
    if infusion_minutes is not None:
        if final is None:
            pump = _pump(
                mg=mg, mg_in=concentration, ml_in=Decimal(1), minutes=infusion_minutes, resolution=resolution
            )
        else:
            pump = _pump(mg=mg, mg_in=mg, ml_in=final, minutes=infusion_minutes, resolution=resolution)
            dilution = _diluted(mg=mg, drug_volume=volume, final=final, pump=pump)
        if not _within_limit(pump.deviation):
            warning = _rate_warning(mg=mg, pump=pump, resolution=resolution, diluted=dilution is not None)
            proposal = _dilution_proposal(
                mg=mg, drug_volume=volume, minutes=infusion_minutes, resolution=resolution
            )

    over_limit: list[str] = []
    if ordered > limits.max_mg_per_kg:
        over_limit.append(
            f"{_mg_per_kg_text(ordered)} mg/kg is above the clinic maximum of "
            f"{_mg_per_kg_text(limits.max_mg_per_kg)} mg/kg"
        )
    over_limit += _mg_over_limit(mg, limits)

    return Dose(
        route=route_name,
        mg=mg,
        mg_per_kg=actual_mg_per_kg,
        volume_ml=volume,
        rate_ml_per_h=None if pump is None else pump.rate,
        devices=None,
        minutes=infusion_minutes,
        over_limit=tuple(over_limit),
        notes=tuple(notes),
        final_volume_ml=final,
        diluent_volume_ml=None if dilution is None else dilution.diluent_volume_ml,
        final_concentration=None if dilution is None else dilution.final_concentration,
        delivered_mg=None if pump is None else pump.delivered_mg,
        rate_deviation=None if pump is None else pump.deviation,
        rate_warning=warning,
        proposal=proposal,
    )


def intranasal(*, dose_mg, limits: Limits) -> Dose:
    """Esketamine nasal spray: 28 mg per device (28 / 56 / 84 mg = 1 / 2 / 3 devices)."""
    dose = _positive(dose_mg, "dose_mg")
    with localcontext(_CONTEXT):
        devices = dose / ESKETAMINE_DEVICE_MG
        if devices != devices.to_integral_value():
            raise DoseError(
                f"Esketamine comes in 28 mg devices; dose_mg must be a multiple of 28 (28, 56 or 84 mg), "
                f"got {plain(dose)}"
            )
        mg = dose.quantize(_MG, rounding=ROUND_HALF_UP)
    device_count = int(devices)
    notes = (f"{MINUTES_BETWEEN_DEVICES} minutes between devices",) if device_count > 1 else ()
    return Dose(
        route="intranasal",
        mg=mg,
        mg_per_kg=None,
        volume_ml=None,
        rate_ml_per_h=None,
        devices=device_count,
        minutes=None,
        over_limit=tuple(_mg_over_limit(mg, limits)),
        notes=notes,
    )


def lozenge(*, count, strength_mg, limits: Limits) -> Dose:
    """Compounded oral / sublingual lozenge: dose mg = count × strength mg (count 1–10)."""
    lozenges = _whole(count, "count", LOZENGE_COUNT_RANGE, "lozenges")
    strength = _positive(strength_mg, "strength_mg")
    with localcontext(_CONTEXT):
        mg = (lozenges * strength).quantize(_MG, rounding=ROUND_HALF_UP)
    noun = "lozenge" if lozenges == 1 else "lozenges"
    return Dose(
        route="lozenge",
        mg=mg,
        mg_per_kg=None,
        volume_ml=None,
        rate_ml_per_h=None,
        devices=None,
        minutes=None,
        over_limit=tuple(_mg_over_limit(mg, limits)),
        notes=(f"{lozenges} {noun} × {plain(strength)} mg",),
    )


def _check_date(value, field: str) -> date:
    # datetime is a subclass of date; taking .date() of it silently picks a time zone's day.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise DoseError(f"{field} must be a date (not a datetime), got {value!r}")
    return value


def _age_days(measured_on, today) -> int:
    return (_check_date(today, "today") - _check_date(measured_on, "measured_on")).days


def weight_is_recent(measured_on: date, today: date, limits: Limits) -> bool:
    """True when the weight is from today, or at most ``limits.weight_max_age_days`` days old.

    A weight dated after ``today`` is an entry mistake and does not count as recent.
    """
    return 0 <= _age_days(measured_on, today) <= limits.weight_max_age_days


def _day_text(day: date, today: date) -> str:
    text = f"{day:%b} {day.day}"
    return text if day.year == today.year else f"{text}, {day.year}"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def check_weight(measured_on: date, today: date, limits: Limits) -> str | None:
    """The reason the weight cannot be used for dosing, or None when it is recent enough."""
    age = _age_days(measured_on, today)
    if age < 0:
        return (
            f"Weight date {_day_text(measured_on, today)} is after today ({_day_text(today, today)}); "
            "check the entry"
        )
    if age <= limits.weight_max_age_days:
        return None
    if limits.weight_max_age_days == 0:
        needed = "today's weight is needed"
    else:
        needed = f"a weight from the last {_days(limits.weight_max_age_days)} is needed"
    return f"Weight from {_day_text(measured_on, today)} is {_days(age)} old; {needed}"
