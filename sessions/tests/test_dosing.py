"""Hand-checked dose table for sessions.dosing (pure Python: no database)."""

import ast
import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sessions import dosing
from sessions.dosing import (
    Dose,
    DoseError,
    Limits,
    check_weight,
    intranasal,
    lozenge,
    weight_based,
    weight_is_recent,
)

D = Decimal
# Wide enough that no row in the table is over a limit; the cap tests use clinic-like limits.
ROOMY = Limits(max_mg_per_kg=D("2"), max_mg=D("200"))
IV_LIMITS = Limits(max_mg_per_kg=D("0.75"), max_mg=D("100"))


# --- weight-based table -------------------------------------------------------------------------
# columns: route, weight kg, mg/kg, mg/mL, minutes -> mg, actual mg/kg, volume mL, rate mL/h
# HALF_UP vs banker's rounding is called out where they differ.
WEIGHT_BASED_TABLE = [
    # 70 × 0.5 = 35.0 mg; 35.0 / 70 = 0.5000; 35.0 / 10 = 3.50 mL; 3.5 / (40/60) = 5.25 -> 5.3 (HALF_EVEN: 5.2)
    pytest.param("iv", "70", "0.5", "10", 40, "35.0", "0.5000", "3.50", "5.3", id="iv-70kg-usual"),
    # 82.4 × 0.75 = 61.8 mg; 61.8 / 50 = 1.236 -> 1.24 mL; 1.236 / (40/60) = 1.854 -> 1.9 mL/h
    pytest.param("iv", "82.4", "0.75", "50", 40, "61.8", "0.7500", "1.24", "1.9", id="iv-82.4kg-50mg/mL"),
    # 60 × 0.5 = 30.0 mg; 30.0 / 50 = 0.60 mL; IM has no rate
    pytest.param("im", "60", "0.5", "50", None, "30.0", "0.5000", "0.60", None, id="im-60kg"),
    # 70.5 × 0.5 = 35.25 -> 35.3 mg (HALF_EVEN: 35.2); 35.3 / 70.5 = 0.500709… -> 0.5007;
    # 35.3 / 10 = 3.53 mL; 3.53 / (40/60) = 5.295 -> 5.3 mL/h
    pytest.param("iv", "70.5", "0.5", "10", 40, "35.3", "0.5007", "3.53", "5.3", id="iv-mg-half-up"),
    # 73 × 0.5 = 36.5 mg; 36.5 / 100 = 0.365 -> 0.37 mL (HALF_EVEN: 0.36); 0.365 / (40/60) = 0.5475 -> 0.5
    pytest.param("iv", "73", "0.5", "100", 40, "36.5", "0.5000", "0.37", "0.5", id="iv-volume-half-up"),
    # 50 × 0.5 = 25.0 mg; 25 / 100 = 0.25 mL; 0.25 / (60/60) = 0.25 -> 0.3 mL/h (HALF_EVEN: 0.2)
    pytest.param("iv", "50", "0.5", "100", 60, "25.0", "0.5000", "0.25", "0.3", id="iv-rate-half-up"),
    # 65.3 × 0.4 = 26.12 -> 26.1 mg; 26.1 / 65.3 = 0.399693… -> 0.3997; 26.1 / 10 = 2.61 mL;
    # 2.61 / (45/60) = 3.48 -> 3.5 mL/h
    pytest.param("iv", "65.3", "0.4", "10", 45, "26.1", "0.3997", "2.61", "3.5", id="iv-mg-rounds-down"),
    # 100 × 0.75 = 75.0 mg; 75 / 10 = 7.50 mL; 7.5 / (100/60) = 4.5 mL/h (longest published infusion)
    pytest.param("iv", "100", "0.75", "10", 100, "75.0", "0.7500", "7.50", "4.5", id="iv-100-minutes"),
    # 55 × 0.1 = 5.5 mg; 5.5 / 1 = 5.50 mL; 5.5 / (2/60) = 165.0 mL/h (shortest published infusion)
    pytest.param("iv", "55", "0.1", "1", 2, "5.5", "0.1000", "5.50", "165.0", id="iv-2-minutes"),
    # 68 × 0.55 = 37.4 mg; 37.4 / 68 = 0.5500; 37.4 / 10 = 3.74 mL; 3.74 / (40/60) = 5.61 -> 5.6 mL/h
    pytest.param("iv", "68", "0.55", "10", 40, "37.4", "0.5500", "3.74", "5.6", id="iv-0.55mg/kg"),
    # 120 × 0.5 = 60.0 mg; 60 / 10 = 6.00 mL; 6 / (60/60) = 6.0 mL/h
    pytest.param("iv", "120", "0.5", "10", 60, "60.0", "0.5000", "6.00", "6.0", id="iv-120kg-1h"),
    # 90 × 0.3 = 27.0 mg; 27 / 50 = 0.54 mL
    pytest.param("im", "90", "0.3", "50", None, "27.0", "0.3000", "0.54", None, id="im-90kg"),
    # 77.7 × 1.0 = 77.7 mg; 77.7 / 100 = 0.777 -> 0.78 mL
    pytest.param("im", "77.7", "1.0", "100", None, "77.7", "1.0000", "0.78", None, id="im-volume-rounds-up"),
]


@pytest.mark.parametrize(
    ("route", "weight", "per_kg", "conc", "minutes", "mg", "actual_per_kg", "volume", "rate"),
    WEIGHT_BASED_TABLE,
)
def test_weight_based_table(route, weight, per_kg, conc, minutes, mg, actual_per_kg, volume, rate):
    dose = weight_based(
        route=route,
        weight_kg=D(weight),
        mg_per_kg=D(per_kg),
        concentration_mg_per_ml=D(conc),
        minutes=minutes,
        limits=ROOMY,
    )
    assert dose == Dose(
        route=route,
        mg=D(mg),
        mg_per_kg=D(actual_per_kg),
        volume_ml=D(volume),
        rate_ml_per_h=None if rate is None else D(rate),
        devices=None,
        minutes=minutes,
        over_limit=(),
        notes=(),
    )
    # The charted values keep their precision (str shows trailing zeros: 35.0 mg, 3.50 mL).
    assert str(dose.mg) == mg
    assert str(dose.volume_ml) == volume
    assert str(dose.mg_per_kg) == actual_per_kg


@pytest.mark.parametrize("weight", [70, "70", " 70 ", D("70"), D("70.0"), 70.0], ids=repr)
def test_ints_strings_and_floats_give_the_same_dose(weight):
    # 70 × 0.5 = 35.0 mg; 3.50 mL at 10 mg/mL; 5.3 mL/h over 40 min, whatever type the weight came in as
    dose = weight_based(
        route="iv", weight_kg=weight, mg_per_kg="0.5", concentration_mg_per_ml=10, minutes=40, limits=ROOMY
    )
    assert (dose.mg, dose.volume_ml, dose.rate_ml_per_h) == (D("35.0"), D("3.50"), D("5.3"))


def test_float_is_read_as_written_not_as_binary():
    # Decimal(82.4) would be 82.400000000000005684…; Decimal(str(82.4)) is 82.4 -> 82.4 × 0.75 = 61.8 mg
    dose = weight_based(
        route="iv", weight_kg=82.4, mg_per_kg=0.75, concentration_mg_per_ml=50.0, minutes=40, limits=ROOMY
    )
    assert dose.mg == D("61.8")
    assert dose.mg_per_kg == D("0.7500")


def test_route_is_normalised():
    dose = weight_based(
        route=" IV ", weight_kg=70, mg_per_kg="0.5", concentration_mg_per_ml=10, minutes=40, limits=ROOMY
    )
    assert dose.route == "iv"


def test_weight_and_concentration_bounds_are_inclusive():
    # 25 × 2 = 50.0 mg at 100 mg/mL = 0.50 mL; 350 × 0.05 = 17.5 mg at 1 mg/mL = 17.50 mL
    low = weight_based(route="im", weight_kg=25, mg_per_kg=2, concentration_mg_per_ml=100, limits=ROOMY)
    high = weight_based(route="im", weight_kg=350, mg_per_kg="0.05", concentration_mg_per_ml=1, limits=ROOMY)
    assert (low.mg, low.volume_ml) == (D("50.0"), D("0.50"))
    assert (high.mg, high.volume_ml) == (D("17.5"), D("17.50"))


def test_tiny_volume_gets_a_dilution_note():
    # 25 × 0.05 = 1.25 -> 1.3 mg; 1.3 / 100 = 0.013 -> 0.01 mL, 23 % less drug than ordered
    dose = weight_based(route="im", weight_kg=25, mg_per_kg="0.05", concentration_mg_per_ml=100, limits=ROOMY)
    assert dose.volume_ml == D("0.01")
    assert len(dose.notes) == 1
    assert "0.013 -> 0.01 mL" in dose.notes[0]
    assert "more dilute" in dose.notes[0]


def test_pump_rate_that_rounds_to_zero_is_refused():
    # 25 × 0.05 = 1.3 mg; 1.3 / 100 = 0.013 mL; 0.013 / (100/60) = 0.0078 -> 0.0 mL/h: not a usable rate
    with pytest.raises(DoseError, match=r"pump rate rounds to 0\.0 mL/h"):
        weight_based(
            route="iv", weight_kg=25, mg_per_kg="0.05", concentration_mg_per_ml=100, minutes=100, limits=ROOMY
        )


# --- limits (hard stop) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "per_kg", "expected"),
    [
        # 70 × 0.8 = 56.0 mg: under 100 mg, but 0.8 > 0.75 mg/kg
        pytest.param(
            "70", "0.8", ("0.80 mg/kg is above the clinic maximum of 0.75 mg/kg",), id="mg-per-kg-over"
        ),
        # 140 × 0.75 = 105.0 mg: at 0.75 mg/kg, but 105.0 > 100 mg
        pytest.param("140", "0.75", ("105.0 mg is above the clinic maximum of 100 mg",), id="absolute-over"),
        # 140 × 0.8 = 112.0 mg: both over
        pytest.param(
            "140",
            "0.8",
            (
                "0.80 mg/kg is above the clinic maximum of 0.75 mg/kg",
                "112.0 mg is above the clinic maximum of 100 mg",
            ),
            id="both-over",
        ),
        # 133.3 × 0.75 = 99.975 -> 100.0 mg: exactly at both limits is within
        pytest.param("133.3", "0.75", (), id="at-both-limits"),
        # 70.07 × 0.75 = 52.5525 -> 52.6 mg = 0.7507 mg/kg actual; ordered at the maximum, so not a stop
        pytest.param("70.07", "0.75", (), id="rounding-does-not-trip-the-stop"),
        # 0.751 mg/kg is shown with its 3 decimals rather than rounded to a confusing "0.75"
        pytest.param(
            "70", "0.751", ("0.751 mg/kg is above the clinic maximum of 0.75 mg/kg",), id="more-decimals"
        ),
    ],
)
def test_over_limit_reasons(weight, per_kg, expected):
    dose = weight_based(
        route="iv",
        weight_kg=weight,
        mg_per_kg=per_kg,
        concentration_mg_per_ml=10,
        minutes=40,
        limits=IV_LIMITS,
    )
    assert dose.over_limit == expected


def test_over_limit_dose_is_still_fully_calculated():
    # 140 × 0.8 = 112.0 mg; 112 / 10 = 11.20 mL; 11.2 / (40/60) = 16.8 mL/h -> the prescriber sees what they override
    dose = weight_based(
        route="iv", weight_kg=140, mg_per_kg="0.8", concentration_mg_per_ml=10, minutes=40, limits=IV_LIMITS
    )
    assert (dose.mg, dose.volume_ml, dose.rate_ml_per_h) == (D("112.0"), D("11.20"), D("16.8"))
    assert len(dose.over_limit) == 2


def test_limits_accept_strings_and_reject_non_positive():
    limits = Limits(max_mg_per_kg="0.75", max_mg=100, weight_max_age_days=1)
    assert (limits.max_mg_per_kg, limits.max_mg) == (D("0.75"), D("100"))
    with pytest.raises(DoseError, match="max_mg_per_kg"):
        Limits(max_mg_per_kg=0, max_mg=100)
    with pytest.raises(DoseError, match="max_mg "):
        Limits(max_mg_per_kg="0.75", max_mg="-5")
    with pytest.raises(DoseError, match="weight_max_age_days"):
        Limits(max_mg_per_kg="0.75", max_mg=100, weight_max_age_days=-1)


# --- invalid weight-based input ----------------------------------------------------------------------

VALID = {"route": "iv", "weight_kg": "70", "mg_per_kg": "0.5", "concentration_mg_per_ml": "10", "minutes": 40}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight_kg": "24.9"}, "weight_kg"),  # below 25 kg
        ({"weight_kg": "350.1"}, "weight_kg"),  # above 350 kg (lb entered as kg?)
        ({"weight_kg": 0}, "weight_kg"),
        ({"weight_kg": -70}, "weight_kg"),
        ({"weight_kg": "seventy"}, "weight_kg"),
        ({"weight_kg": ""}, "weight_kg"),
        ({"weight_kg": None}, "weight_kg"),
        ({"weight_kg": True}, "weight_kg"),  # bool is an int in Python, never a weight
        ({"weight_kg": math.nan}, "weight_kg"),
        ({"weight_kg": math.inf}, "weight_kg"),
        ({"weight_kg": D("Infinity")}, "weight_kg"),
        ({"weight_kg": "NaN"}, "weight_kg"),
        ({"mg_per_kg": "0.04"}, "mg_per_kg"),  # below 0.05: likely an entry mistake
        ({"mg_per_kg": "2.01"}, "mg_per_kg"),  # above 2: likely mg typed as mg/kg
        ({"mg_per_kg": "50"}, "mg_per_kg"),
        ({"concentration_mg_per_ml": "0.5"}, "concentration_mg_per_ml"),
        ({"concentration_mg_per_ml": "101"}, "concentration_mg_per_ml"),
        ({"concentration_mg_per_ml": 0}, "concentration_mg_per_ml"),
        ({"minutes": None}, "minutes"),  # IV needs an infusion time
        ({"minutes": 1}, "minutes"),  # below the published 2 minutes
        ({"minutes": 101}, "minutes"),  # above the published 100 minutes
        ({"minutes": "40.5"}, "minutes"),
        ({"route": "im"}, "minutes"),  # IM with minutes: no infusion
        ({"route": "oral"}, "route"),
        ({"route": "intranasal"}, "route"),  # fixed dose: use intranasal()
        ({"route": None}, "route"),
    ],
    ids=lambda value: repr(value) if isinstance(value, dict) else value,
)
def test_invalid_input_names_the_field(change, field):
    with pytest.raises(DoseError, match=rf"\b{field}\b") as raised:
        weight_based(**{**VALID, **change}, limits=ROOMY)
    assert isinstance(raised.value, ValueError)


def test_out_of_range_weight_message_is_clear():
    with pytest.raises(DoseError) as raised:
        weight_based(**{**VALID, "weight_kg": "400"}, limits=ROOMY)
    assert str(raised.value) == (
        "weight_kg must be between 25 and 350 kg, got 400; check the weight and its unit (kg, not lb)"
    )


def test_out_of_range_mg_per_kg_says_entry_mistake():
    with pytest.raises(DoseError, match="likely an entry mistake"):
        weight_based(**{**VALID, "mg_per_kg": "5"}, limits=ROOMY)


# --- intranasal esketamine -------------------------------------------------------------------------

SPRAVATO = Limits(max_mg_per_kg=D("2"), max_mg=D("84"))


@pytest.mark.parametrize(
    ("dose_mg", "mg", "devices", "notes"),
    [
        # 28 / 28 = 1 device; nothing to wait between
        (28, "28.0", 1, ()),
        # 56 / 28 = 2 devices, 5 minutes apart
        (56, "56.0", 2, ("5 minutes between devices",)),
        # 84 / 28 = 3 devices
        ("84", "84.0", 3, ("5 minutes between devices",)),
        # 56.0 written with a decimal is still 2 devices
        (D("56.0"), "56.0", 2, ("5 minutes between devices",)),
    ],
)
def test_intranasal_devices(dose_mg, mg, devices, notes):
    dose = intranasal(dose_mg=dose_mg, limits=SPRAVATO)
    assert dose == Dose(
        route="intranasal",
        mg=D(mg),
        mg_per_kg=None,
        volume_ml=None,
        rate_ml_per_h=None,
        devices=devices,
        minutes=None,
        over_limit=(),
        notes=notes,
    )


def test_intranasal_above_clinic_maximum_is_a_hard_stop():
    # 112 / 28 = 4 devices: a whole number of devices, but above the 84 mg maximum
    dose = intranasal(dose_mg=112, limits=SPRAVATO)
    assert dose.devices == 4
    assert dose.over_limit == ("112.0 mg is above the clinic maximum of 84 mg",)


@pytest.mark.parametrize("dose_mg", [30, "42", D("27.9"), 14])
def test_intranasal_dose_must_be_whole_devices(dose_mg):
    # 30 / 28 = 1.07…, 42 / 28 = 1.5, 27.9 / 28 < 1, 14 / 28 = 0.5: not whole devices
    with pytest.raises(DoseError, match=r"^Esketamine comes in 28 mg devices.*dose_mg"):
        intranasal(dose_mg=dose_mg, limits=SPRAVATO)


@pytest.mark.parametrize("dose_mg", [0, -28, "", None, math.nan])
def test_intranasal_rejects_non_positive_or_non_numbers(dose_mg):
    with pytest.raises(DoseError, match="dose_mg"):
        intranasal(dose_mg=dose_mg, limits=SPRAVATO)


# --- lozenges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "strength", "mg", "note"),
    [
        (2, "25", "50.0", "2 lozenges × 25 mg"),  # 2 × 25 = 50.0 mg
        (1, "100", "100.0", "1 lozenge × 100 mg"),  # 1 × 100 = 100.0 mg
        (3, "12.5", "37.5", "3 lozenges × 12.5 mg"),  # 3 × 12.5 = 37.5 mg
        (10, "20", "200.0", "10 lozenges × 20 mg"),  # 10 × 20 = 200.0 mg (largest count)
    ],
)
def test_lozenge_table(count, strength, mg, note):
    dose = lozenge(count=count, strength_mg=strength, limits=ROOMY)
    assert dose == Dose(
        route="lozenge",
        mg=D(mg),
        mg_per_kg=None,
        volume_ml=None,
        rate_ml_per_h=None,
        devices=None,
        minutes=None,
        over_limit=(),
        notes=(note,),
    )


def test_lozenge_over_clinic_maximum():
    # 4 × 25 = 100.0 mg > 75 mg
    dose = lozenge(count=4, strength_mg=25, limits=Limits(max_mg_per_kg=1, max_mg=75))
    assert dose.over_limit == ("100.0 mg is above the clinic maximum of 75 mg",)


@pytest.mark.parametrize(
    ("count", "strength", "field"),
    [
        (0, "25", "count"),
        (11, "25", "count"),
        ("2.5", "25", "count"),
        (-1, "25", "count"),
        (2, "0", "strength_mg"),
        (2, "-25", "strength_mg"),
        (2, "abc", "strength_mg"),
    ],
)
def test_lozenge_invalid(count, strength, field):
    with pytest.raises(DoseError, match=rf"\b{field}\b"):
        lozenge(count=count, strength_mg=strength, limits=ROOMY)


# --- weight recency --------------------------------------------------------------------------------

TODAY = date(2025, 3, 5)


@pytest.mark.parametrize(
    ("measured_on", "max_days", "recent"),
    [
        (date(2025, 3, 5), 0, True),  # same day, today's weight required
        (date(2025, 3, 4), 0, False),  # 1 day old, today's weight required
        (date(2025, 3, 4), 1, True),  # 1 day old, 1 day allowed
        (date(2025, 3, 3), 1, False),  # 2 days old, 1 day allowed
        (date(2025, 2, 26), 7, True),  # 7 days old (across the month end), 7 allowed
        (date(2025, 3, 6), 3, False),  # dated tomorrow: an entry mistake, never recent
    ],
)
def test_weight_is_recent(measured_on, max_days, recent):
    limits = Limits(max_mg_per_kg=1, max_mg=100, weight_max_age_days=max_days)
    assert weight_is_recent(measured_on, TODAY, limits) is recent
    assert (check_weight(measured_on, TODAY, limits) is None) is recent


@pytest.mark.parametrize(
    ("measured_on", "max_days", "reason"),
    [
        (date(2025, 3, 2), 0, "Weight from Mar 2 is 3 days old; today's weight is needed"),
        (date(2025, 3, 4), 0, "Weight from Mar 4 is 1 day old; today's weight is needed"),
        (date(2025, 3, 2), 1, "Weight from Mar 2 is 3 days old; a weight from the last 1 day is needed"),
        (date(2025, 2, 20), 7, "Weight from Feb 20 is 13 days old; a weight from the last 7 days is needed"),
        (
            date(2024, 12, 30),
            2,
            "Weight from Dec 30, 2024 is 65 days old; a weight from the last 2 days is needed",
        ),
        (date(2025, 3, 9), 0, "Weight date Mar 9 is after today (Mar 5); check the entry"),
    ],
)
def test_check_weight_reason(measured_on, max_days, reason):
    # Dec 30 -> Mar 5: 2 days to Jan 1, + 31 (Jan) + 28 (Feb) + 4 = 65 days; Feb 20 -> Mar 5: 8 + 5 = 13 days
    limits = Limits(max_mg_per_kg=1, max_mg=100, weight_max_age_days=max_days)
    assert check_weight(measured_on, TODAY, limits) == reason


def test_weight_dates_must_be_dates_not_datetimes():
    limits = Limits(max_mg_per_kg=1, max_mg=100)
    with pytest.raises(DoseError, match="measured_on"):
        weight_is_recent(datetime(2025, 3, 5, 9, 0), TODAY, limits)
    with pytest.raises(DoseError, match="today"):
        check_weight(TODAY, "2025-03-05", limits)


# --- module hygiene --------------------------------------------------------------------------------


def test_dosing_module_imports_no_django():
    tree = ast.parse(Path(dosing.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"dataclasses", "datetime", "decimal"}
