"""Hand-checked dose table for sessions.charting.dosing (pure Python: no database)."""

import ast
import math
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sessions.charting import dosing
from sessions.charting.dosing import (
    Dilution,
    Dose,
    DoseError,
    Limits,
    check_weight,
    intranasal,
    lozenge,
    propose_dilution,
    weight_based,
    weight_is_recent,
)

D = Decimal
# Wide enough that no row in the table is over a limit; the cap tests use clinic-like limits.
ROOMY = Limits(max_mg_per_kg=D("2"), max_mg=D("200"))
IV_LIMITS = Limits(max_mg_per_kg=D("0.75"), max_mg=D("100"))


# --- weight-based table -------------------------------------------------------------------------
# columns: route, weight kg, mg/kg, mg/mL, minutes -> mg, actual mg/kg, volume mL, rate mL/h, delivered mg,
# rate deviation (undiluted stock on a 0.1 mL/h pump: delivered = rate × minutes/60 × mg/mL).
# HALF_UP vs banker's rounding is called out where they differ.
WEIGHT_BASED_TABLE = [
    # 70 × 0.5 = 35.0 mg; 35.0 / 70 = 0.5000; 35.0 / 10 = 3.50 mL; 3.5 / (40/60) = 5.25 -> 5.3 (HALF_EVEN: 5.2);
    # 5.3 × 40/60 × 10 = 35.333… -> 35.3 mg; 0.333… / 35 = 0.00952… -> 0.0095
    pytest.param(
        "iv", "70", "0.5", "10", 40, "35.0", "0.5000", "3.50", "5.3", "35.3", "0.0095", id="iv-70kg-usual"
    ),
    # 82.4 × 0.75 = 61.8 mg; 61.8 / 50 = 1.236 -> 1.24 mL; 1.236 / (40/60) = 1.854 -> 1.9 mL/h;
    # 1.9 × 40/60 × 50 = 63.333… -> 63.3 mg; 1.533… / 61.8 = 0.02481… -> 0.0248
    pytest.param(
        "iv",
        "82.4",
        "0.75",
        "50",
        40,
        "61.8",
        "0.7500",
        "1.24",
        "1.9",
        "63.3",
        "0.0248",
        id="iv-82.4kg-50mg/mL",
    ),
    # 60 × 0.5 = 30.0 mg; 30.0 / 50 = 0.60 mL; IM has no rate
    pytest.param("im", "60", "0.5", "50", None, "30.0", "0.5000", "0.60", None, None, None, id="im-60kg"),
    # 70.5 × 0.5 = 35.25 -> 35.3 mg (HALF_EVEN: 35.2); 35.3 / 70.5 = 0.500709… -> 0.5007;
    # 35.3 / 10 = 3.53 mL; 3.53 / (40/60) = 5.295 -> 5.3 mL/h; 5.3 × 40/60 × 10 = 35.333… -> 35.3 mg;
    # 0.0333… / 35.3 = 0.000944… -> 0.0009
    pytest.param(
        "iv", "70.5", "0.5", "10", 40, "35.3", "0.5007", "3.53", "5.3", "35.3", "0.0009", id="iv-mg-half-up"
    ),
    # 73 × 0.5 = 36.5 mg; 36.5 / 100 = 0.365 -> 0.37 mL (HALF_EVEN: 0.36); 0.365 / (40/60) = 0.5475 -> 0.5;
    # 0.5 × 40/60 × 100 = 33.333… -> 33.3 mg; -3.1666… / 36.5 = -0.086758… -> -0.0868: over 5 %, a warning
    pytest.param(
        "iv",
        "73",
        "0.5",
        "100",
        40,
        "36.5",
        "0.5000",
        "0.37",
        "0.5",
        "33.3",
        "-0.0868",
        id="iv-volume-half-up",
    ),
    # 50 × 0.5 = 25.0 mg; 25 / 100 = 0.25 mL; 0.25 / (60/60) = 0.25 -> 0.3 mL/h (HALF_EVEN: 0.2);
    # 0.3 × 1 × 100 = 30.0 mg; 5 / 25 = 0.2000: over 5 %, a warning
    pytest.param(
        "iv", "50", "0.5", "100", 60, "25.0", "0.5000", "0.25", "0.3", "30.0", "0.2000", id="iv-rate-half-up"
    ),
    # 65.3 × 0.4 = 26.12 -> 26.1 mg; 26.1 / 65.3 = 0.399693… -> 0.3997; 26.1 / 10 = 2.61 mL;
    # 2.61 / (45/60) = 3.48 -> 3.5 mL/h; 3.5 × 45/60 × 10 = 26.25 -> 26.3 mg (HALF_EVEN: 26.2);
    # 0.15 / 26.1 = 0.005747… -> 0.0057
    pytest.param(
        "iv",
        "65.3",
        "0.4",
        "10",
        45,
        "26.1",
        "0.3997",
        "2.61",
        "3.5",
        "26.3",
        "0.0057",
        id="iv-mg-rounds-down",
    ),
    # 100 × 0.75 = 75.0 mg; 75 / 10 = 7.50 mL; 7.5 / (100/60) = 4.5 mL/h (longest published infusion);
    # 4.5 × 100/60 × 10 = 75.0 mg exactly
    pytest.param(
        "iv", "100", "0.75", "10", 100, "75.0", "0.7500", "7.50", "4.5", "75.0", "0.0000", id="iv-100-minutes"
    ),
    # 55 × 0.1 = 5.5 mg; 5.5 / 1 = 5.50 mL; 5.5 / (2/60) = 165.0 mL/h (shortest published infusion); 5.5 mg
    pytest.param(
        "iv", "55", "0.1", "1", 2, "5.5", "0.1000", "5.50", "165.0", "5.5", "0.0000", id="iv-2-minutes"
    ),
    # 68 × 0.55 = 37.4 mg; 37.4 / 68 = 0.5500; 37.4 / 10 = 3.74 mL; 3.74 / (40/60) = 5.61 -> 5.6 mL/h;
    # 5.6 × 40/60 × 10 = 37.333… -> 37.3 mg; -0.0666… / 37.4 = -0.001782… -> -0.0018
    pytest.param(
        "iv", "68", "0.55", "10", 40, "37.4", "0.5500", "3.74", "5.6", "37.3", "-0.0018", id="iv-0.55mg/kg"
    ),
    # 120 × 0.5 = 60.0 mg; 60 / 10 = 6.00 mL; 6 / (60/60) = 6.0 mL/h; 60.0 mg exactly
    pytest.param(
        "iv", "120", "0.5", "10", 60, "60.0", "0.5000", "6.00", "6.0", "60.0", "0.0000", id="iv-120kg-1h"
    ),
    # 90 × 0.3 = 27.0 mg; 27 / 50 = 0.54 mL
    pytest.param("im", "90", "0.3", "50", None, "27.0", "0.3000", "0.54", None, None, None, id="im-90kg"),
    # 77.7 × 1.0 = 77.7 mg; 77.7 / 100 = 0.777 -> 0.78 mL
    pytest.param(
        "im", "77.7", "1.0", "100", None, "77.7", "1.0000", "0.78", None, None, None, id="im-volume-rounds-up"
    ),
]


def _decimal_or_none(text):
    return None if text is None else D(text)


@pytest.mark.parametrize(
    (
        "route",
        "weight",
        "per_kg",
        "conc",
        "minutes",
        "mg",
        "actual_per_kg",
        "volume",
        "rate",
        "delivered",
        "deviation",
    ),
    WEIGHT_BASED_TABLE,
)
def test_weight_based_table(
    route, weight, per_kg, conc, minutes, mg, actual_per_kg, volume, rate, delivered, deviation
):
    dose = weight_based(
        route=route,
        weight_kg=D(weight),
        mg_per_kg=D(per_kg),
        concentration_mg_per_ml=D(conc),
        minutes=minutes,
        limits=ROOMY,
    )
    # The two rows over 5 % also carry a warning and a proposal: checked in the dilution tests below.
    warned = deviation is not None and abs(D(deviation)) > D("0.05")
    assert (dose.rate_warning is not None, dose.proposal is not None) == (warned, warned)
    assert replace(dose, rate_warning=None, proposal=None) == Dose(
        route=route,
        mg=D(mg),
        mg_per_kg=D(actual_per_kg),
        volume_ml=D(volume),
        rate_ml_per_h=_decimal_or_none(rate),
        devices=None,
        minutes=minutes,
        over_limit=(),
        notes=(),
        delivered_mg=_decimal_or_none(delivered),
        rate_deviation=_decimal_or_none(deviation),
    )
    # The charted values keep their precision (str shows trailing zeros: 35.0 mg, 3.50 mL, 6.0 mL/h).
    assert str(dose.mg) == mg
    assert str(dose.volume_ml) == volume
    assert str(dose.mg_per_kg) == actual_per_kg
    assert (None if dose.rate_ml_per_h is None else str(dose.rate_ml_per_h)) == rate
    assert (None if dose.delivered_mg is None else str(dose.delivered_mg)) == delivered
    # Undiluted stock: no dilution fields.
    assert (dose.final_volume_ml, dose.diluent_volume_ml, dose.final_concentration) == (None, None, None)


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


def test_pump_rate_that_rounds_to_zero_is_a_warning_with_a_dilution():
    # 25 × 0.05 = 1.25 -> 1.3 mg; 1.3 / 100 = 0.013 -> 0.01 mL; 0.013 / (100/60) = 0.0078 -> 0.0 mL/h:
    # the pump gives 0.0 mg, (0 − 1.3) / 1.3 = -1. Formerly a DoseError; now the warning says why and
    # proposes a 50 mL syringe: 50 − 0.01 = 49.99 mL diluent, 1.3 / 50 = 0.026 mg/mL,
    # 50 / (100/60) = 30.0 mL/h exactly, 30 × 100/60 × 0.026 = 1.3 mg.
    dose = weight_based(
        route="iv", weight_kg=25, mg_per_kg="0.05", concentration_mg_per_ml=100, minutes=100, limits=ROOMY
    )
    assert (dose.mg, dose.volume_ml, dose.rate_ml_per_h) == (D("1.3"), D("0.01"), D("0.0"))
    assert str(dose.rate_ml_per_h) == "0.0"
    assert (dose.delivered_mg, dose.rate_deviation) == (D("0.0"), D("-1"))
    assert dose.rate_warning == (
        "The pump rate 0.0078 mL/h rounds to 0.0 mL/h at this pump's 0.1 mL/h resolution: "
        "that gives 0.0 mg, not 1.3 mg (-100 %). Dilute the dose instead."
    )
    assert dose.proposal == dosing.Dilution(
        final_volume_ml=D("50"),
        diluent_volume_ml=D("49.99"),
        final_concentration=D("0.026"),
        rate_ml_per_h=D("30.0"),
        delivered_mg=D("1.3"),
        rate_deviation=D("0"),
    )
    assert len(dose.notes) == 1  # the 0.013 -> 0.01 mL volume note still stands


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


# --- IV dilution and the pump's rate resolution ---------------------------------------------------
# A pump rate rounded to the pump's resolution changes the dose the pump gives:
# delivered mg = rounded rate × minutes/60 × mg/mL in the pump (stock, or dose ÷ final volume).


def _iv(**change):
    return weight_based(**{**VALID, **change}, limits=ROOMY)


def test_undiluted_tiny_rate_that_doubles_the_dose_warns_and_proposes_a_syringe():
    # The tester's case. 50 × 0.1 = 5.0 mg; 5.0 / 100 = 0.05 mL; 0.05 / (60/60) = 0.05 -> 0.1 mL/h (HALF_UP);
    # 0.1 × 60/60 × 100 = 10.0 mg, (10 − 5) / 5 = +1.0000. Proposal, a 50 mL syringe: 50 − 0.05 = 49.95 mL,
    # 5.0 / 50 = 0.100 mg/mL, 50 / (60/60) = 50.0 mL/h, 50 × 60/60 × 0.1 = 5.0 mg, deviation 0.
    dose = weight_based(
        route="iv", weight_kg=50, mg_per_kg="0.1", concentration_mg_per_ml=100, minutes=60, limits=ROOMY
    )
    assert dose == Dose(
        route="iv",
        mg=D("5.0"),
        mg_per_kg=D("0.1000"),
        volume_ml=D("0.05"),
        rate_ml_per_h=D("0.1"),
        devices=None,
        minutes=60,
        over_limit=(),
        notes=(),
        delivered_mg=D("10.0"),
        rate_deviation=D("1.0000"),
        rate_warning=(
            "The pump rate 0.05 mL/h rounds to 0.1 mL/h at this pump's 0.1 mL/h resolution: "
            "that gives 10.0 mg, not 5.0 mg (+100 %). Dilute the dose instead."
        ),
        proposal=Dilution(
            final_volume_ml=D("50"),
            diluent_volume_ml=D("49.95"),
            final_concentration=D("0.100"),
            rate_ml_per_h=D("50.0"),
            delivered_mg=D("5.0"),
            rate_deviation=D("0"),
        ),
    )
    assert "+100 %" in dose.rate_warning
    assert (str(dose.delivered_mg), str(dose.proposal.final_concentration)) == ("10.0", "0.100")


def test_undiluted_tiny_rate_is_fine_on_a_pump_that_resolves_it():
    # The same 0.05 mL/h on a 0.01 mL/h pump: 0.05 exactly, 0.05 × 60/60 × 100 = 5.0 mg, no warning
    dose = weight_based(
        route="iv",
        weight_kg=50,
        mg_per_kg="0.1",
        concentration_mg_per_ml=100,
        minutes=60,
        limits=ROOMY,
        rate_resolution=D("0.01"),
    )
    assert (str(dose.rate_ml_per_h), dose.delivered_mg, dose.rate_deviation) == ("0.05", D("5.0"), D("0"))
    assert (dose.rate_warning, dose.proposal) == (None, None)


def test_diluted_to_a_100_ml_bag():
    # 82.4 × 0.5 = 41.2 mg; 41.2 / 50 = 0.824 -> 0.82 mL; 100 − 0.82 = 99.18 mL saline; 41.2 / 100 = 0.412 mg/mL;
    # 100 / (40/60) = 150.0 mL/h; 150 × 40/60 × 0.412 = 41.2 mg exactly
    dose = weight_based(
        route="iv",
        weight_kg="82.4",
        mg_per_kg="0.5",
        concentration_mg_per_ml=50,
        minutes=40,
        limits=ROOMY,
        final_volume_ml=100,
    )
    assert dose == Dose(
        route="iv",
        mg=D("41.2"),
        mg_per_kg=D("0.5000"),
        volume_ml=D("0.82"),
        rate_ml_per_h=D("150.0"),
        devices=None,
        minutes=40,
        over_limit=(),
        notes=(),
        final_volume_ml=D("100"),
        diluent_volume_ml=D("99.18"),
        final_concentration=D("0.412"),
        delivered_mg=D("41.2"),
        rate_deviation=D("0"),
        rate_warning=None,
        proposal=None,
    )
    assert [
        str(value) for value in (dose.diluent_volume_ml, dose.final_concentration, dose.rate_ml_per_h)
    ] == [
        "99.18",
        "0.412",
        "150.0",
    ]


def test_diluted_to_a_50_ml_syringe_on_a_1_ml_per_h_pump():
    # 41.2 mg, 0.82 mL as above; 50 − 0.82 = 49.18 mL; 41.2 / 50 = 0.824 mg/mL; 50 / (40/60) = 75 mL/h exactly;
    # 75 × 40/60 × 0.824 = 41.2 mg
    dose = weight_based(
        route="iv",
        weight_kg="82.4",
        mg_per_kg="0.5",
        concentration_mg_per_ml=50,
        minutes=40,
        limits=ROOMY,
        final_volume_ml=50,
        rate_resolution=1,
    )
    assert (dose.final_volume_ml, dose.diluent_volume_ml, dose.final_concentration) == (
        D("50"),
        D("49.18"),
        D("0.824"),
    )
    assert str(dose.rate_ml_per_h) == "75"  # whole mL/h on a 1 mL/h pump
    assert (dose.delivered_mg, dose.rate_deviation, dose.rate_warning, dose.proposal) == (
        D("41.2"),
        D("0"),
        None,
        None,
    )


def test_diluted_but_too_coarse_a_pump_proposes_a_bigger_bag():
    # 41.2 mg in 50 mL on a 10 mL/h pump: 75 -> 80 mL/h (7.5 steps -> 8, HALF_UP);
    # 80 × 40/60 × 0.824 = 43.946… -> 43.9 mg; 80 / 75 − 1 = 0.0666… -> +0.0667.
    # The 50 mL syringe does the same, so the proposal is the 100 mL bag: 100 / (40/60) = 150 mL/h exactly.
    dose = weight_based(
        route="iv",
        weight_kg="82.4",
        mg_per_kg="0.5",
        concentration_mg_per_ml=50,
        minutes=40,
        limits=ROOMY,
        final_volume_ml=50,
        rate_resolution=10,
    )
    assert (str(dose.rate_ml_per_h), dose.delivered_mg, dose.rate_deviation) == ("80", D("43.9"), D("0.0667"))
    assert dose.rate_warning == (
        "The pump rate 75 mL/h rounds to 80 mL/h at this pump's 10 mL/h resolution: "
        "that gives 43.9 mg, not 41.2 mg (+6.67 %). Use a larger final volume instead."
    )
    assert dose.proposal == Dilution(
        final_volume_ml=D("100"),
        diluent_volume_ml=D("99.18"),
        final_concentration=D("0.412"),
        rate_ml_per_h=D("150"),
        delivered_mg=D("41.2"),
        rate_deviation=D("0"),
    )


def test_rate_rounding_down_warns_with_a_minus_sign():
    # Row iv-volume-half-up: 36.5 mg = 0.365 mL -> 0.37 mL at 100 mg/mL; 0.365 / (40/60) = 0.5475 -> 0.5 mL/h;
    # 0.5 × 40/60 × 100 = 33.333… -> 33.3 mg; -3.1666… / 36.5 = -0.0868. Proposal: 50 − 0.37 = 49.63 mL,
    # 36.5 / 50 = 0.730 mg/mL, 50 / (40/60) = 75.0 mL/h, 75 × 40/60 × 0.73 = 36.5 mg.
    dose = weight_based(
        route="iv", weight_kg=73, mg_per_kg="0.5", concentration_mg_per_ml=100, minutes=40, limits=ROOMY
    )
    assert dose.rate_warning == (
        "The pump rate 0.5475 mL/h rounds to 0.5 mL/h at this pump's 0.1 mL/h resolution: "
        "that gives 33.3 mg, not 36.5 mg (-8.68 %). Dilute the dose instead."
    )
    assert dose.proposal == Dilution(
        final_volume_ml=D("50"),
        diluent_volume_ml=D("49.63"),
        final_concentration=D("0.730"),
        rate_ml_per_h=D("75.0"),
        delivered_mg=D("36.5"),
        rate_deviation=D("0"),
    )


# 1 mL/h pump, 60 minutes, so the exact rate is the pump's volume in mL. Undiluted at 1 mg/mL, the rate
# in mL/h is the dose in mg; diluted, 10 mg/mL stock made up to the same number of mL, i.e. 1 mg/mL.
RATE_LIMIT_TABLE = [
    # 70 × 0.15 = 10.5 mg = 10.50 mL; 10.5 mL/h -> 11 (HALF_UP); 11 × 1 × 1 = 11.0 mg;
    # 0.5 / 10.5 = 0.047619… -> +0.0476: just under 5 %, no warning
    pytest.param("70", "0.15", "1", None, "11", "11.0", "0.0476", None, id="undiluted-up-4.76%"),
    # 95 × 0.1 = 9.5 mg = 9.50 mL; 9.5 mL/h -> 10; 10.0 mg; 0.5 / 9.5 = 0.052631… -> +0.0526: just over
    pytest.param("95", "0.1", "1", None, "10", "10.0", "0.0526", "+5.26 %", id="undiluted-up-5.26%"),
    # 84 × 0.1 = 8.4 mg = 8.40 mL; 8.4 mL/h -> 8; 8.0 mg; -0.4 / 8.4 = -0.047619… -> -0.0476: just under
    pytest.param("84", "0.1", "1", None, "8", "8.0", "-0.0476", None, id="undiluted-down-4.76%"),
    # 74 × 0.1 = 7.4 mg = 7.40 mL; 7.4 mL/h -> 7; 7.0 mg; -0.4 / 7.4 = -0.054054… -> -0.0541: just over
    pytest.param("74", "0.1", "1", None, "7", "7.0", "-0.0541", "-5.41 %", id="undiluted-down-5.41%"),
    # 70 × 0.15 = 10.5 mg = 1.05 mL of 10 mg/mL made up to 10.5 mL (1.000 mg/mL): 10.5 mL/h -> 11; 11.0 mg; +0.0476
    pytest.param("70", "0.15", "10", "10.5", "11", "11.0", "0.0476", None, id="diluted-up-4.76%"),
    # 95 × 0.1 = 9.5 mg = 0.95 mL of 10 mg/mL made up to 9.5 mL (1.000 mg/mL): 9.5 mL/h -> 10; 10.0 mg; +0.0526
    pytest.param("95", "0.1", "10", "9.5", "10", "10.0", "0.0526", "+5.26 %", id="diluted-up-5.26%"),
]


@pytest.mark.parametrize(
    ("weight", "per_kg", "conc", "final", "rate", "delivered", "deviation", "percent"), RATE_LIMIT_TABLE
)
def test_rate_deviation_either_side_of_5_percent(
    weight, per_kg, conc, final, rate, delivered, deviation, percent
):
    dose = weight_based(
        route="iv",
        weight_kg=weight,
        mg_per_kg=per_kg,
        concentration_mg_per_ml=conc,
        minutes=60,
        limits=ROOMY,
        final_volume_ml=final,
        rate_resolution=1,
    )
    assert (str(dose.rate_ml_per_h), str(dose.delivered_mg), str(dose.rate_deviation)) == (
        rate,
        delivered,
        deviation,
    )
    if percent is None:
        assert (dose.rate_warning, dose.proposal) == (None, None)
    else:
        assert f"({percent})" in dose.rate_warning
        assert dose.rate_warning.endswith(
            "Use a larger final volume instead." if final else "Dilute the dose instead."
        )
        # 50 mL over 60 minutes is 50 mL/h exactly on a 1 mL/h pump
        assert (dose.proposal.final_volume_ml, dose.proposal.rate_ml_per_h, dose.proposal.rate_deviation) == (
            D("50"),
            D("50"),
            D("0"),
        )
        assert dose.proposal.diluent_volume_ml == D("50") - dose.volume_ml


def test_rate_deviation_of_exactly_5_percent_is_within_the_limit():
    # 70 × 0.5 = 35.0 mg = 0.70 mL of 50 mg/mL made up to 10 mL (3.500 mg/mL) over 63 minutes on a 1 mL/h pump:
    # 10 / (63/60) = 9.5238… -> 10 mL/h; 10 × 63/60 × 3.5 = 36.75 -> 36.8 mg; 36.75 / 35 − 1 = 0.0500 exactly
    dose = weight_based(
        route="iv",
        weight_kg=70,
        mg_per_kg="0.5",
        concentration_mg_per_ml=50,
        minutes=63,
        limits=ROOMY,
        final_volume_ml=10,
        rate_resolution=1,
    )
    assert (dose.rate_ml_per_h, dose.delivered_mg, str(dose.rate_deviation)) == (D("10"), D("36.8"), "0.0500")
    assert (dose.rate_warning, dose.proposal) == (None, None)


def test_new_arguments_left_out_give_the_same_undiluted_dose():
    # 70 × 0.5 = 35.0 mg at 10 mg/mL = 3.50 mL; 3.5 / (40/60) = 5.25 -> 5.3 mL/h, as before dilution existed
    default = _iv()
    assert default == _iv(final_volume_ml=None, rate_resolution=D("0.1"))
    assert (default.rate_ml_per_h, default.final_volume_ml, default.rate_warning) == (D("5.3"), None, None)


def test_im_has_no_pump_fields():
    dose = weight_based(
        route="im", weight_kg=60, mg_per_kg="0.5", concentration_mg_per_ml=50, limits=ROOMY, rate_resolution=1
    )
    assert (
        dose.rate_ml_per_h,
        dose.final_volume_ml,
        dose.diluent_volume_ml,
        dose.final_concentration,
        dose.delivered_mg,
        dose.rate_deviation,
        dose.rate_warning,
        dose.proposal,
    ) == (None,) * 8


@pytest.mark.parametrize("final", ["3.51", 1000, D("1000.00")], ids=repr)
def test_final_volume_bounds(final):
    # VALID is 35.0 mg = 3.50 mL: 3.51 mL is just more than the drug volume; 1000 mL is the largest bag
    assert _iv(final_volume_ml=final).final_volume_ml == D(str(final))


@pytest.mark.parametrize(
    "change",
    [
        {"final_volume_ml": "3.5"},  # equal to the 3.50 mL drug volume: no room for any diluent
        {"final_volume_ml": "3.49"},
        {"final_volume_ml": 0},
        {"final_volume_ml": -50},
        {"final_volume_ml": "1000.01"},
        {"final_volume_ml": 1500},
        {"final_volume_ml": "abc"},
        {"final_volume_ml": ""},
        {"final_volume_ml": [100]},
        {"final_volume_ml": True},
        {"final_volume_ml": math.nan},
        {"final_volume_ml": "NaN"},
        {"final_volume_ml": math.inf},
        {"route": "im", "minutes": None, "final_volume_ml": 50},  # IM is not diluted
        {"rate_resolution": 0},
        {"rate_resolution": "0.5"},
        {"rate_resolution": -1},
        {"rate_resolution": "abc"},
        {"rate_resolution": None},
        {"rate_resolution": "0.2"},
        {"rate_resolution": "0.001"},  # a power of ten, but finer than any pump
        {"rate_resolution": 100},
        {"rate_resolution": math.nan},
    ],
    ids=repr,
)
def test_invalid_dilution_input_names_the_field(change):
    (field,) = set(change) - {"route", "minutes"}
    with pytest.raises(DoseError, match=rf"\b{field}\b"):
        _iv(**change)


def test_final_volume_messages():
    with pytest.raises(DoseError) as raised:
        _iv(final_volume_ml="0.5")
    assert str(raised.value) == "final_volume_ml (0.5 mL) must be more than the drug volume (3.50 mL)"
    with pytest.raises(DoseError) as raised:
        _iv(final_volume_ml=1500)
    assert str(raised.value) == "final_volume_ml must be at most 1000 mL, got 1500"


@pytest.mark.parametrize(
    ("resolution", "rate"),
    [
        # VALID: 3.5 / (40/60) = 5.25 mL/h exactly
        (D("0.01"), "5.25"),
        ("0.1", "5.3"),
        (0.1, "5.3"),
        (D("0.10"), "5.3"),
        (1, "5"),  # 5.25 -> 5
        (D("1.0"), "5"),
        (10, "10"),  # 0.525 steps of 10 -> 1 step
        ("1E+1", "10"),
    ],
    ids=repr,
)
def test_rate_resolution_accepts_powers_of_ten(resolution, rate):
    assert str(_iv(rate_resolution=resolution).rate_ml_per_h) == rate


# --- propose_dilution --------------------------------------------------------------------------------


def test_propose_dilution_picks_the_50_ml_syringe_first():
    # 5.0 mg in 0.05 mL over 60 min, 0.1 mL/h pump: 50 mL -> 50.0 mL/h exactly (as in the tester's case)
    assert propose_dilution(
        mg="5.0", drug_volume_ml="0.05", minutes=60, rate_resolution=D("0.1")
    ) == Dilution(
        final_volume_ml=D("50"),
        diluent_volume_ml=D("49.95"),
        final_concentration=D("0.100"),
        rate_ml_per_h=D("50.0"),
        delivered_mg=D("5.0"),
        rate_deviation=D("0"),
    )


def test_propose_dilution_skips_a_volume_no_bigger_than_the_drug():
    # 50 mg in 50 mL: the 50 mL syringe has no room for saline, so 100 mL: 50.00 mL diluent, 0.500 mg/mL,
    # 100 / (40/60) = 150 mL/h exactly, 50.0 mg
    assert propose_dilution(mg=50, drug_volume_ml=50, minutes=40, rate_resolution=1) == Dilution(
        final_volume_ml=D("100"),
        diluent_volume_ml=D("50.00"),
        final_concentration=D("0.500"),
        rate_ml_per_h=D("150"),
        delivered_mg=D("50.0"),
        rate_deviation=D("0"),
    )


def test_propose_dilution_moves_to_a_bigger_bag_and_accepts_exactly_5_percent():
    # 10 mg in 1 mL over 90 min on a 10 mL/h pump.
    # 50 mL: 50 / 1.5 = 33.33… -> 30 mL/h, 30 × 1.5 × 0.2 = 9.0 mg, -10 %: too far.
    # 100 mL: 100 / 1.5 = 66.66… -> 70 mL/h, 70 × 1.5 × 0.1 = 10.5 mg, +0.0500: at the limit, accepted.
    assert propose_dilution(mg=10, drug_volume_ml=1, minutes=90, rate_resolution=10) == Dilution(
        final_volume_ml=D("100"),
        diluent_volume_ml=D("99.00"),
        final_concentration=D("0.100"),
        rate_ml_per_h=D("70"),
        delivered_mg=D("10.5"),
        rate_deviation=D("0.0500"),
    )


def test_propose_dilution_can_need_the_250_ml_bag():
    # 10 mg in 1 mL over 480 min (8 h) on a 10 mL/h pump.
    # 50 mL: 6.25 -> 10 mL/h (+60 %); 100 mL: 12.5 -> 10 mL/h (-20 %);
    # 250 mL: 31.25 -> 30 mL/h, 30 × 8 × 0.04 = 9.6 mg, -0.4 / 10 = -0.0400: within 5 %.
    assert propose_dilution(mg=10, drug_volume_ml=1, minutes=480, rate_resolution=10) == Dilution(
        final_volume_ml=D("250"),
        diluent_volume_ml=D("249.00"),
        final_concentration=D("0.040"),
        rate_ml_per_h=D("30"),
        delivered_mg=D("9.6"),
        rate_deviation=D("-0.0400"),
    )


def test_propose_dilution_none_when_even_250_ml_is_too_coarse():
    # 10 mg in 1 mL over 700 min on a 10 mL/h pump (rate = final × 60/700):
    # 50 mL: 4.29 -> 0 mL/h (-100 %); 100 mL: 8.57 -> 10 mL/h (+16.7 %); 250 mL: 21.43 -> 20 mL/h (-6.67 %)
    assert propose_dilution(mg=10, drug_volume_ml=1, minutes=700, rate_resolution=10) is None


def test_propose_dilution_none_when_the_drug_volume_is_over_250_ml():
    # 260 mL does not fit in any of the 50, 100 or 250 mL containers
    assert propose_dilution(mg=260, drug_volume_ml=260, minutes=40, rate_resolution="0.1") is None
    # 250 mL exactly leaves no room for saline in the 250 mL bag either
    assert propose_dilution(mg=250, drug_volume_ml=250, minutes=40, rate_resolution="0.1") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mg": 0}, "mg"),
        ({"mg": "abc"}, "mg"),
        ({"drug_volume_ml": 0}, "drug_volume_ml"),
        ({"drug_volume_ml": None}, "drug_volume_ml"),
        ({"drug_volume_ml": math.nan}, "drug_volume_ml"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": "2.5"}, "minutes"),
        ({"rate_resolution": "0.5"}, "rate_resolution"),
    ],
    ids=repr,
)
def test_propose_dilution_invalid_input_names_the_field(change, field):
    valid = {"mg": "5.0", "drug_volume_ml": "0.05", "minutes": 60, "rate_resolution": "0.1"}
    with pytest.raises(DoseError, match=rf"\b{field}\b"):
        propose_dilution(**{**valid, **change})


# --- property: no warning means the pump gives the dose within 5 % -------------------------------------

_TENTH = st.decimals(min_value=D("0.1"), max_value=D("1000"), places=1)


@settings(max_examples=400, deadline=None, database=None)
@given(
    weight=st.decimals(min_value=D("25"), max_value=D("350"), places=1),
    per_kg=st.decimals(min_value=D("0.05"), max_value=D("2"), places=2),
    conc=st.sampled_from([D("1"), D("10"), D("50"), D("100")])
    | st.decimals(min_value=1, max_value=100, places=1),
    minutes=st.integers(min_value=2, max_value=100),
    resolution=st.sampled_from([D("0.01"), D("0.1"), D("1"), D("10")]),
    final=st.none() | st.sampled_from(dosing.DILUTION_VOLUMES_ML) | _TENTH,
)
def test_property_no_warning_means_within_5_percent(weight, per_kg, conc, minutes, resolution, final):
    args = {
        "route": "iv",
        "weight_kg": weight,
        "mg_per_kg": per_kg,
        "concentration_mg_per_ml": conc,
        "minutes": minutes,
        "limits": ROOMY,
        "rate_resolution": resolution,
    }
    drug_volume = weight_based(**args).volume_ml
    assume(final is None or final > drug_volume)
    dose = weight_based(**args, final_volume_ml=final)
    pump_volume = dose.mg / conc if final is None else final  # exact, before the 0.01 mL rounding

    # The rate is a multiple of the resolution, within half a step of the exact rate (one division each,
    # so a half-way rate such as 4.875 mL/h stays exact).
    exact_rate = pump_volume * 60 / minutes
    assert dose.rate_ml_per_h % resolution == 0
    assert abs(dose.rate_ml_per_h - exact_rate) <= resolution / 2

    # What the pump really gives, worked out again from the charted rate.
    given_mg = dose.rate_ml_per_h * minutes * dose.mg / (60 * pump_volume)
    slack = D("0.00005")  # rate_deviation is rounded to 0.0001
    if dose.rate_warning is None:
        assert abs(dose.rate_deviation) <= dosing.RATE_DEVIATION_LIMIT
        assert abs(given_mg - dose.mg) / dose.mg <= dosing.RATE_DEVIATION_LIMIT + slack
        assert abs(dose.delivered_mg - dose.mg) <= dose.mg * (dosing.RATE_DEVIATION_LIMIT + slack) + D("0.05")
        assert dose.proposal is None
    else:
        assert abs(dose.rate_deviation) > dosing.RATE_DEVIATION_LIMIT
        # Within 2–100 minutes a 250 mL bag runs at 150 mL/h or more, so a proposal always exists.
        proposal = dose.proposal
        assert proposal is not None
        assert proposal.final_volume_ml in dosing.DILUTION_VOLUMES_ML
        assert proposal.final_volume_ml > dose.volume_ml
        assert proposal.diluent_volume_ml == proposal.final_volume_ml - dose.volume_ml
        assert abs(proposal.rate_deviation) <= dosing.RATE_DEVIATION_LIMIT
        proposed_mg = proposal.rate_ml_per_h * minutes * dose.mg / (60 * proposal.final_volume_ml)
        assert abs(proposed_mg - dose.mg) / dose.mg <= dosing.RATE_DEVIATION_LIMIT + slack


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
