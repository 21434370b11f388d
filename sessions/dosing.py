"""Dose arithmetic for charting a treatment session: pure Python, no Django.

Formulas (docs: /work/shared/domain.md, "Routes and dosing"):

- IV infusion / IM (weight-based):
    dose mg         = weight kg × mg/kg                      -> rounded to 0.1 mg
    volume mL       = dose mg ÷ concentration mg/mL          -> rounded to 0.01 mL
    pump rate mL/h  = volume mL ÷ (minutes ÷ 60)             -> rounded to 0.1 mL/h (IV only)
  ``Dose.mg_per_kg`` is the mg/kg actually given, i.e. rounded dose ÷ weight, to 4 decimal places.
  The volume is worked out from the rounded dose; the pump rate from that volume *before* it is rounded
  to 0.01 mL, so two roundings don't stack up (82.4 kg × 0.75 mg/kg at 50 mg/mL over 40 min:
  61.8 mg, 1.236 mL -> 1.24 mL, 1.236 ÷ (40/60) = 1.854 -> 1.9 mL/h).
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
    "ESKETAMINE_DEVICE_MG",
    "Dose",
    "DoseError",
    "Limits",
    "check_weight",
    "intranasal",
    "lozenge",
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

ROUTES = ("iv", "im", "intranasal", "lozenge")

_MG = Decimal("0.1")
_MG_PER_KG = Decimal("0.0001")
_ML = Decimal("0.01")
_ML_PER_H = Decimal("0.1")
# A fixed context, so a caller's decimal settings cannot change a dose.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_UP)


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
        raise DoseError(f"{field} must be greater than zero, got {_plain(number)}")
    return number


def _in_range(value, field: str, bounds: tuple[Decimal, Decimal], unit: str, hint: str) -> Decimal:
    number = _positive(value, field)
    low, high = bounds
    if not low <= number <= high:
        raise DoseError(
            f"{field} must be between {_plain(low)} and {_plain(high)} {unit}, got {_plain(number)}; {hint}"
        )
    return number


def _whole(value, field: str, bounds: tuple[int, int], unit: str) -> int:
    number = _to_decimal(value, field)
    low, high = bounds
    if number != number.to_integral_value():
        raise DoseError(f"{field} must be a whole number of {unit}, got {_plain(number)}")
    if not low <= number <= high:
        raise DoseError(f"{field} must be between {low} and {high} {unit}, got {_plain(number)}")
    return int(number)


def _plain(number: Decimal, min_places: int = 0) -> str:
    """``Decimal`` as plain text, no exponent, at least ``min_places`` decimals: 1E+2 -> "100"."""
    number = number.normalize(_CONTEXT)
    if -number.as_tuple().exponent < min_places:
        number = number.quantize(Decimal(1).scaleb(-min_places))
    return format(number, "f")


def _mg_per_kg_text(number: Decimal) -> str:
    return _plain(number, min_places=2)


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
class Dose:
    route: str  # "iv" | "im" | "intranasal" | "lozenge"
    mg: Decimal  # dose in mg, rounded to 0.1 mg (ROUND_HALF_UP)
    mg_per_kg: Decimal | None  # actual mg/kg after rounding (4 dp), None for fixed doses
    volume_ml: Decimal | None  # mg / concentration, rounded to 0.01 mL
    rate_ml_per_h: Decimal | None  # IV only: volume / (minutes/60), rounded to 0.1 mL/h
    devices: int | None  # intranasal: mg / 28 (must be whole)
    minutes: int | None
    over_limit: tuple[str, ...]  # reasons the dose exceeds Limits; empty when within. A hard stop.
    notes: tuple[str, ...]  # e.g. "5 minutes between devices"


def _mg_over_limit(mg: Decimal, limits: Limits) -> list[str]:
    if mg > limits.max_mg:
        return [f"{mg} mg is above the clinic maximum of {_plain(limits.max_mg)} mg"]
    return []


def weight_based(
    *, route, weight_kg, mg_per_kg, concentration_mg_per_ml, minutes=None, limits: Limits
) -> Dose:
    """IV infusion (``minutes`` required, 2–100) or IM injection (``minutes`` must be None).

    dose mg = weight kg × mg/kg; volume mL = dose ÷ concentration; IV pump rate mL/h = volume ÷ (minutes ÷ 60).
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
    if route_name == "iv":
        if minutes is None:
            raise DoseError("minutes is required for an IV infusion")
        infusion_minutes = _whole(minutes, "minutes", IV_MINUTES_RANGE, "minutes")
    else:
        if minutes is not None:
            raise DoseError(f"minutes must be empty for an IM injection (no infusion), got {minutes!r}")
        infusion_minutes = None

    notes: list[str] = []
    with localcontext(_CONTEXT):
        mg = (weight * ordered).quantize(_MG, rounding=ROUND_HALF_UP)
        actual_mg_per_kg = (mg / weight).quantize(_MG_PER_KG, rounding=ROUND_HALF_UP)
        exact_volume = mg / concentration
        volume = exact_volume.quantize(_ML, rounding=ROUND_HALF_UP)
        if abs(volume - exact_volume) / exact_volume > VOLUME_ROUNDING_NOTE_FRACTION:
            notes.append(
                f"Rounding the volume to 0.01 mL ({_plain(exact_volume)} -> {volume} mL) changes the dose "
                f"by more than {_plain(VOLUME_ROUNDING_NOTE_FRACTION * 100)} %; use a more dilute concentration"
            )
        rate = None
        if infusion_minutes is not None:
            rate = (exact_volume / (Decimal(infusion_minutes) / 60)).quantize(
                _ML_PER_H, rounding=ROUND_HALF_UP
            )
            if rate == 0:
                raise DoseError(
                    f"pump rate rounds to 0.0 mL/h ({_plain(exact_volume)} mL over {infusion_minutes} minutes); "
                    "use a more dilute concentration_mg_per_ml"
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
        rate_ml_per_h=rate,
        devices=None,
        minutes=infusion_minutes,
        over_limit=tuple(over_limit),
        notes=tuple(notes),
    )


def intranasal(*, dose_mg, limits: Limits) -> Dose:
    """Esketamine nasal spray: 28 mg per device (28 / 56 / 84 mg = 1 / 2 / 3 devices)."""
    dose = _positive(dose_mg, "dose_mg")
    with localcontext(_CONTEXT):
        devices = dose / ESKETAMINE_DEVICE_MG
        if devices != devices.to_integral_value():
            raise DoseError(
                f"Esketamine comes in 28 mg devices; dose_mg must be a multiple of 28 (28, 56 or 84 mg), "
                f"got {_plain(dose)}"
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
        notes=(f"{lozenges} {noun} × {_plain(strength)} mg",),
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
