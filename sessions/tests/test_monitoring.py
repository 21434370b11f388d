"""Monitoring rules (sessions/monitoring.py): pure Python, no database."""

import copy
from decimal import Decimal

import pytest

from sessions.charting.monitoring import (
    ALDRETE_ITEMS,
    ALDRETE_LABELS,
    CADSS_MAX,
    DEFAULT_THRESHOLDS,
    MOAAS,
    PLAUSIBLE,
    REMS_DETAIL_FIELDS,
    REMS_FIELDS,
    Flag,
    Reading,
    aldrete_total,
    discharge_ready,
    expected_timepoints,
    moaas_alert,
    plausibility_errors,
    pre_dose_check,
    rems_missing,
    timepoint_status,
    vital_flags,
)

NORMAL = Reading(sbp=120, dbp=80, hr=72, spo2=98, rr=14, temp_c=36.8)
FULL_ALDRETE = dict.fromkeys(ALDRETE_ITEMS, 2)


def flagged(reading, thresholds=DEFAULT_THRESHOLDS):
    return [(f.field, f.direction) for f in vital_flags(reading, thresholds)]


# --- plausibility ---------------------------------------------------------------------------------


def test_normal_reading_is_plausible():
    assert plausibility_errors(NORMAL) == {}


def test_missing_values_are_not_plausibility_errors():
    assert plausibility_errors(Reading(sbp=None, dbp=None, hr=None, spo2=None, rr=None)) == {}


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [(field, low, high) for field, (low, high) in PLAUSIBLE.items()],
)
def test_plausibility_bounds_are_inclusive(field, low, high):
    # Keep SBP above DBP while pushing either one to its bound.
    base = {"sbp": 300, "dbp": 20} if field in ("sbp", "dbp") else {}
    assert plausibility_errors(Reading(**{**base, field: low})) == {}
    assert plausibility_errors(Reading(**{**base, field: high})) == {}
    step = 0.1 if isinstance(low, float) else 1
    below = plausibility_errors(Reading(**{**base, field: low - step}))
    above = plausibility_errors(Reading(**{**base, field: high + step}))
    assert set(below) == {field}
    assert set(above) == {field}
    assert "not plausible" in below[field]


def test_systolic_50_accepted_49_refused_with_specific_message():
    assert plausibility_errors(Reading(sbp=50, dbp=30)) == {}
    assert plausibility_errors(Reading(sbp=49, dbp=30)) == {
        "sbp": "Systolic 49 is not plausible (50–300): check the entry."
    }


def test_implausible_systolic_message_names_value_and_range():
    assert plausibility_errors(Reading(sbp=320, dbp=80))["sbp"] == (
        "Systolic 320 is not plausible (50–300): check the entry."
    )


def test_temperature_message_carries_unit():
    assert plausibility_errors(Reading(temp_c=29.5))["temp_c"] == (
        "Temperature 29.5 is not plausible (30–43 °C): check the entry."
    )


@pytest.mark.parametrize(("sbp", "dbp"), [(100, 100), (80, 120)])
def test_diastolic_not_below_systolic_is_refused_on_dbp(sbp, dbp):
    errors = plausibility_errors(Reading(sbp=sbp, dbp=dbp))
    assert list(errors) == ["dbp"]
    assert errors["dbp"].startswith(f"Diastolic {dbp} is not below systolic {sbp}")


def test_diastolic_one_below_systolic_is_accepted():
    assert plausibility_errors(Reading(sbp=100, dbp=99)) == {}


def test_non_number_is_refused():
    errors = plausibility_errors(Reading(hr="fast"))
    assert errors == {"hr": "Heart rate must be a number (got 'fast'): check the entry."}


# --- during-administration alerts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "at_edge", "past_edge", "direction", "threshold"),
    [
        ("sbp", 180, 181, "above", 180),
        ("sbp", 90, 89, "below", 90),
        ("dbp", 110, 111, "above", 110),
        ("dbp", 50, 49, "below", 50),
        ("hr", 120, 121, "above", 120),
        ("hr", 50, 49, "below", 50),
        ("spo2", 92, 91, "below", 92),
        ("rr", 10, 9, "below", 10),
        ("rr", 24, 25, "above", 24),
    ],
)
def test_each_during_threshold_at_and_just_past_its_edge(field, at_edge, past_edge, direction, threshold):
    # For DBP, SBP 170 keeps the reading plausible without an SBP alert of its own.
    base = {"sbp": 170} if field == "dbp" else {}
    assert vital_flags(Reading(**{**base, field: at_edge})) == []
    flags = vital_flags(Reading(**{**base, field: past_edge}))
    assert len(flags) == 1
    flag = flags[0]
    assert (flag.field, flag.value, flag.threshold, flag.direction) == (
        field,
        past_edge,
        threshold,
        direction,
    )
    assert flag.message.endswith(f"{direction} {threshold} (alert threshold)")


def test_low_blood_pressure_message_names_the_alert_threshold():
    assert [f.message for f in vital_flags(Reading(sbp=85, dbp=45))] == [
        "SBP 85 below 90 (alert threshold)",
        "DBP 45 below 50 (alert threshold)",
    ]


@pytest.mark.parametrize(
    ("override", "reading", "default_flags", "custom_flags"),
    [
        ({"sbp_below": 100}, Reading(sbp=95, dbp=60), [], [("sbp", "below")]),
        ({"sbp_below": 80}, Reading(sbp=85, dbp=60), [("sbp", "below")], []),
        ({"sbp_below": None}, Reading(sbp=85, dbp=60), [("sbp", "below")], []),
        ({"dbp_below": 60}, Reading(sbp=110, dbp=55), [], [("dbp", "below")]),
        ({"dbp_below": 40}, Reading(sbp=110, dbp=45), [("dbp", "below")], []),
        ({"dbp_below": None}, Reading(sbp=110, dbp=45), [("dbp", "below")], []),
    ],
)
def test_low_blood_pressure_alerts_follow_the_clinic(override, reading, default_flags, custom_flags):
    assert flagged(reading) == default_flags
    assert flagged(reading, {"during": override}) == custom_flags


def test_flag_message_shows_the_threshold_in_force():
    assert vital_flags(Reading(sbp=184, dbp=90)) == [
        Flag("sbp", 184, 180, "above", "SBP 184 above 180 (alert threshold)")
    ]


def test_normal_reading_raises_no_flags():
    assert vital_flags(NORMAL) == []


def test_several_flags_at_once():
    reading = Reading(sbp=190, dbp=115, hr=130, spo2=88, rr=8)
    assert flagged(reading) == [
        ("sbp", "above"),
        ("dbp", "above"),
        ("hr", "above"),
        ("spo2", "below"),
        ("rr", "below"),
    ]


def test_custom_thresholds_change_the_outcome_and_the_message():
    custom = copy.deepcopy(DEFAULT_THRESHOLDS)
    custom["during"]["sbp_above"] = 170
    custom["during"]["spo2_below"] = 94
    reading = Reading(sbp=175, dbp=80, spo2=93)
    assert vital_flags(reading) == []
    flags = vital_flags(reading, custom)
    assert [f.message for f in flags] == [
        "SBP 175 above 170 (alert threshold)",
        "SpO2 93 below 94 (alert threshold)",
    ]


def test_partial_custom_thresholds_keep_other_defaults_and_none_switches_off():
    custom = {"during": {"hr_above": 100, "rr_above": None}}
    reading = Reading(hr=110, rr=30, spo2=90)
    assert flagged(reading, custom) == [("hr", "above"), ("spo2", "below")]


def test_custom_thresholds_do_not_mutate_defaults():
    vital_flags(NORMAL, {"during": {"hr_above": 60}})
    assert DEFAULT_THRESHOLDS["during"]["hr_above"] == 120


# --- pre-dose check -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "dbp", "status"),
    [
        (140, 90, "ok"),
        (141, 90, "caution"),
        (140, 91, "caution"),
        (160, 100, "caution"),
        (161, 100, "hold"),
        (150, 101, "hold"),
    ],
)
def test_pre_dose_status(sbp, dbp, status):
    assert pre_dose_check(Reading(sbp=sbp, dbp=dbp))[0] == status


def test_pre_dose_ok_has_no_flags():
    assert pre_dose_check(Reading(sbp=140, dbp=90)) == ("ok", [])


def test_pre_dose_caution_flag_names_caution_threshold():
    status, flags = pre_dose_check(Reading(sbp=141, dbp=90))
    assert status == "caution"
    assert [f.message for f in flags] == ["SBP 141 above 140 (pre-dose caution threshold)"]


def test_pre_dose_hold_flags_each_component_at_its_level():
    status, flags = pre_dose_check(Reading(sbp=150, dbp=101))
    assert status == "hold"
    assert [f.message for f in flags] == [
        "SBP 150 above 140 (pre-dose caution threshold)",
        "DBP 101 above 100 (pre-dose hold threshold)",
    ]


def test_pre_dose_custom_thresholds():
    custom = {"pre_dose_hold": {"sbp": 150, "dbp": 95}, "pre_dose_caution": {"sbp": 130, "dbp": 85}}
    assert pre_dose_check(Reading(sbp=155, dbp=80))[0] == "caution"
    assert pre_dose_check(Reading(sbp=155, dbp=80), custom)[0] == "hold"
    assert pre_dose_check(Reading(sbp=135, dbp=80), custom)[0] == "caution"


def test_pre_dose_check_without_blood_pressure_checks_what_is_there():
    assert pre_dose_check(Reading(sbp=120)) == ("ok", [])
    assert pre_dose_check(Reading(sbp=165)) == (
        "hold",
        [Flag("sbp", 165, 160, "above", "SBP 165 above 160 (pre-dose hold threshold)")],
    )
    assert pre_dose_check(Reading(dbp=95)) == (
        "caution",
        [Flag("dbp", 95, 90, "above", "DBP 95 above 90 (pre-dose caution threshold)")],
    )
    assert pre_dose_check(Reading()) == ("ok", [])


def test_pre_dose_reading_with_only_spo2():
    assert pre_dose_check(Reading(spo2=97)) == ("ok", [])
    assert pre_dose_check(Reading(spo2=93)) == (
        "caution",
        [Flag("spo2", 93, 95, "below", "SpO2 93 below 95 (pre-dose caution threshold)")],
    )
    assert pre_dose_check(Reading(spo2=90)) == (
        "hold",
        [Flag("spo2", 90, 92, "below", "SpO2 90 below 92 (pre-dose hold threshold)")],
    )


# Each new pre-dose threshold at its limit, just inside and just past it, on an otherwise empty reading.
@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("spo2", 96, "ok"),
        ("spo2", 95, "ok"),
        ("spo2", 94, "caution"),
        ("spo2", 93, "caution"),
        ("spo2", 92, "caution"),
        ("spo2", 91, "hold"),
        ("hr", 99, "ok"),
        ("hr", 100, "ok"),
        ("hr", 101, "caution"),
        ("hr", 119, "caution"),
        ("hr", 120, "caution"),
        ("hr", 121, "hold"),
        ("hr", 51, "ok"),
        ("hr", 50, "ok"),
        ("hr", 49, "hold"),
        ("rr", 11, "ok"),
        ("rr", 10, "ok"),
        ("rr", 9, "hold"),
        ("rr", 23, "ok"),
        ("rr", 24, "ok"),
        ("rr", 25, "hold"),
        ("temp_c", 37.9, "ok"),
        ("temp_c", 38.0, "hold"),
        ("temp_c", 38.1, "hold"),
        ("temp_c", Decimal("37.9"), "ok"),
        ("temp_c", Decimal("38.0"), "hold"),
        ("temp_c", 38, "hold"),
        ("sbp", 91, "ok"),
        ("sbp", 90, "ok"),
        ("sbp", 89, "caution"),
        ("dbp", 51, "ok"),
        ("dbp", 50, "ok"),
        ("dbp", 49, "caution"),
        ("hr", Decimal("121"), "hold"),
        ("spo2", 94.5, "caution"),
    ],
)
def test_pre_dose_new_thresholds_at_their_edges(field, value, status):
    result, flags = pre_dose_check(Reading(**{field: value}))
    assert result == status
    assert [f.field for f in flags] == ([] if status == "ok" else [field])


@pytest.mark.parametrize(
    ("reading", "message"),
    [
        (Reading(spo2=90), "SpO2 90 below 92 (pre-dose hold threshold)"),
        (Reading(spo2=94), "SpO2 94 below 95 (pre-dose caution threshold)"),
        (Reading(hr=125), "HR 125 above 120 (pre-dose hold threshold)"),
        (Reading(hr=45), "HR 45 below 50 (pre-dose hold threshold)"),
        (Reading(hr=105), "HR 105 above 100 (pre-dose caution threshold)"),
        (Reading(rr=8), "RR 8 below 10 (pre-dose hold threshold)"),
        (Reading(rr=28), "RR 28 above 24 (pre-dose hold threshold)"),
        (Reading(temp_c=38.0), "Temp 38.0 at or above 38 (pre-dose hold threshold)"),
        (Reading(temp_c=38.6), "Temp 38.6 at or above 38 (pre-dose hold threshold)"),
        (Reading(temp_c=Decimal("38.0")), "Temp 38.0 at or above 38 (pre-dose hold threshold)"),
        (Reading(sbp=85, dbp=60), "SBP 85 below 90 (pre-dose caution threshold)"),
        (Reading(sbp=100, dbp=45), "DBP 45 below 50 (pre-dose caution threshold)"),
    ],
)
def test_pre_dose_messages_name_the_threshold_in_force(reading, message):
    _status, flags = pre_dose_check(reading)
    assert [f.message for f in flags] == [message]
    assert message.split(" ", 1)[0] in {"SBP", "DBP", "HR", "SpO2", "RR", "Temp"}


def test_pre_dose_temperature_flag():
    assert pre_dose_check(Reading(temp_c=38.0)) == (
        "hold",
        [Flag("temp_c", 38.0, 38.0, "at or above", "Temp 38.0 at or above 38 (pre-dose hold threshold)")],
    )


def test_pre_dose_decimal_temperature_is_compared_as_written():
    # Decimal("38.1") is not below the float 38.1 (which is 38.100000000000001…): at the limit is a hold.
    custom = {"pre_dose_hold": {"temp_c_at_or_above": 38.1}}
    assert pre_dose_check(Reading(temp_c=Decimal("38.1")), custom)[0] == "hold"
    assert pre_dose_check(Reading(temp_c=Decimal("38.0")), custom)[0] == "ok"
    status, flags = pre_dose_check(Reading(temp_c=Decimal("38.4")))
    assert (status, flags[0].message) == ("hold", "Temp 38.4 at or above 38 (pre-dose hold threshold)")


@pytest.mark.parametrize(
    ("override", "reading", "default_status", "custom_status"),
    [
        ({"pre_dose_hold": {"spo2_below": 94}}, Reading(spo2=93), "caution", "hold"),
        ({"pre_dose_caution": {"spo2_below": 97}}, Reading(spo2=96), "ok", "caution"),
        ({"pre_dose_hold": {"hr_above": 110}}, Reading(hr=115), "caution", "hold"),
        ({"pre_dose_hold": {"hr_below": 55}}, Reading(hr=52), "ok", "hold"),
        ({"pre_dose_caution": {"hr_above": 90}}, Reading(hr=95), "ok", "caution"),
        ({"pre_dose_hold": {"rr_below": 12}}, Reading(rr=11), "ok", "hold"),
        ({"pre_dose_hold": {"rr_above": 20}}, Reading(rr=22), "ok", "hold"),
        ({"pre_dose_hold": {"temp_c_at_or_above": 37.5}}, Reading(temp_c=37.5), "ok", "hold"),
        ({"pre_dose_hold": {"temp_c_at_or_above": 38.5}}, Reading(temp_c=38.2), "hold", "ok"),
        ({"during": {"sbp_below": 100}}, Reading(sbp=95, dbp=60), "ok", "caution"),
        ({"during": {"dbp_below": 60}}, Reading(sbp=110, dbp=55), "ok", "caution"),
        ({"during": {"sbp_below": 80}}, Reading(sbp=85, dbp=60), "caution", "ok"),
    ],
)
def test_pre_dose_clinic_override_changes_the_outcome(override, reading, default_status, custom_status):
    assert pre_dose_check(reading)[0] == default_status
    status, flags = pre_dose_check(reading, override)
    assert status == custom_status
    if flags:
        # The message names the clinic's threshold, not the default.
        [values] = override.values()
        [threshold] = values.values()
        assert flags[0].threshold == threshold
        assert f" {threshold} (" in flags[0].message


@pytest.mark.parametrize(
    ("override", "reading"),
    [
        ({"pre_dose_hold": {"spo2_below": None}, "pre_dose_caution": {"spo2_below": None}}, Reading(spo2=85)),
        ({"pre_dose_hold": {"hr_above": None}, "pre_dose_caution": {"hr_above": None}}, Reading(hr=140)),
        ({"pre_dose_hold": {"hr_below": None}}, Reading(hr=40)),
        ({"pre_dose_hold": {"rr_below": None}}, Reading(rr=6)),
        ({"pre_dose_hold": {"rr_above": None}}, Reading(rr=30)),
        ({"pre_dose_hold": {"temp_c_at_or_above": None}}, Reading(temp_c=39.0)),
        ({"during": {"sbp_below": None}}, Reading(sbp=80, dbp=55)),
        ({"during": {"dbp_below": None}}, Reading(sbp=100, dbp=40)),
    ],
)
def test_pre_dose_none_threshold_switches_the_check_off(override, reading):
    assert pre_dose_check(reading)[0] != "ok"
    assert pre_dose_check(reading, override) == ("ok", [])


def test_pre_dose_hold_switched_off_falls_back_to_caution():
    assert pre_dose_check(Reading(spo2=90), {"pre_dose_hold": {"spo2_below": None}})[0] == "caution"
    assert pre_dose_check(Reading(hr=130), {"pre_dose_hold": {"hr_above": None}})[0] == "caution"


def test_pre_dose_hold_and_caution_together_is_hold_with_both_flags():
    status, flags = pre_dose_check(Reading(hr=105, spo2=88))
    assert status == "hold"
    assert [f.message for f in flags] == [
        "HR 105 above 100 (pre-dose caution threshold)",
        "SpO2 88 below 92 (pre-dose hold threshold)",
    ]


def test_pre_dose_flags_come_in_field_order_one_per_field():
    reading = Reading(sbp=170, dbp=105, hr=130, spo2=85, rr=30, temp_c=38.5)
    status, flags = pre_dose_check(reading)
    assert status == "hold"
    assert [(f.field, f.threshold) for f in flags] == [
        ("sbp", 160),
        ("dbp", 100),
        ("hr", 120),
        ("spo2", 92),
        ("rr", 24),
        ("temp_c", 38.0),
    ]


def test_pre_dose_normal_baseline_is_ok():
    assert pre_dose_check(NORMAL) == ("ok", [])


def test_pre_dose_skips_values_that_are_not_numbers():
    assert pre_dose_check(Reading(sbp="high", hr=True, spo2=None, temp_c=float("nan"))) == ("ok", [])
    assert pre_dose_check(Reading(temp_c=Decimal("NaN"))) == ("ok", [])


def test_new_defaults_have_the_documented_shape():
    assert DEFAULT_THRESHOLDS["pre_dose_hold"] == {
        "sbp": 160,
        "dbp": 100,
        "spo2_below": 92,
        "hr_above": 120,
        "hr_below": 50,
        "rr_below": 10,
        "rr_above": 24,
        "temp_c_at_or_above": 38.0,
    }
    assert DEFAULT_THRESHOLDS["pre_dose_caution"] == {
        "sbp": 140,
        "dbp": 90,
        "spo2_below": 95,
        "hr_above": 100,
    }
    assert DEFAULT_THRESHOLDS["during"]["sbp_below"] == 90
    assert DEFAULT_THRESHOLDS["during"]["dbp_below"] == 50


def test_pre_dose_overrides_do_not_mutate_defaults():
    pre_dose_check(NORMAL, {"pre_dose_hold": {"temp_c_at_or_above": 36}, "during": {"sbp_below": 130}})
    assert DEFAULT_THRESHOLDS["pre_dose_hold"]["temp_c_at_or_above"] == 38.0
    assert DEFAULT_THRESHOLDS["during"]["sbp_below"] == 90


# --- MOAA/S ---------------------------------------------------------------------------------------


def test_moaas_alert_at_two_not_three():
    assert moaas_alert(2) is True
    assert moaas_alert(3) is False
    assert [score for score in MOAAS if moaas_alert(score)] == [2, 1, 0]


def test_moaas_custom_threshold():
    assert moaas_alert(3, {"moaas_alert_at_most": 3}) is True


@pytest.mark.parametrize("score", [6, -1, 2.5, True, None])
def test_moaas_rejects_scores_outside_scale(score):
    with pytest.raises(ValueError, match="0 to 5"):
        moaas_alert(score)


def test_moaas_descriptions_cover_the_scale():
    assert sorted(MOAAS) == [0, 1, 2, 3, 4, 5]
    assert MOAAS[2] == "Responds only after mild prodding or shaking"


def test_cadss_maximum():
    assert CADSS_MAX == 23 * 4


# --- Aldrete --------------------------------------------------------------------------------------


def test_aldrete_labels_describe_every_value_of_every_item():
    assert set(ALDRETE_LABELS) == set(ALDRETE_ITEMS)
    for item in ALDRETE_ITEMS:
        assert sorted(ALDRETE_LABELS[item]) == [0, 1, 2]
        assert all(ALDRETE_LABELS[item].values())


def test_aldrete_totals():
    assert aldrete_total(FULL_ALDRETE) == 10
    assert aldrete_total(dict.fromkeys(ALDRETE_ITEMS, 0)) == 0
    assert aldrete_total({**FULL_ALDRETE, "activity": 1, "circulation": 0}) == 7


def test_aldrete_missing_item_is_named():
    scores = {k: v for k, v in FULL_ALDRETE.items() if k not in ("respiration", "spo2")}
    with pytest.raises(ValueError, match="Respiration, SpO2 not scored"):
        aldrete_total(scores)


@pytest.mark.parametrize("bad", [3, -1, 1.5, "2"])
def test_aldrete_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="Consciousness must be 0, 1 or 2"):
        aldrete_total({**FULL_ALDRETE, "consciousness": bad})


def test_aldrete_unknown_item_is_refused():
    with pytest.raises(ValueError, match="Unknown modified Aldrete item: colour"):
        aldrete_total({**FULL_ALDRETE, "colour": 2})


# --- discharge ------------------------------------------------------------------------------------


def ready(**overrides):
    kwargs = {
        "aldrete": FULL_ALDRETE,
        "vitals_near_baseline": True,
        "alert_and_oriented": True,
        "escort_present": True,
        "instructions_given": True,
        "route": "iv",
        "minutes_since_first_dose": 90,
    }
    kwargs.update(overrides)
    return discharge_ready(**kwargs)


def test_everything_met_is_ready():
    assert ready() == []


def test_aldrete_nine_is_enough():
    assert ready(aldrete={**FULL_ALDRETE, "activity": 1}) == []


def test_aldrete_eight_with_respiration_and_spo2_two_is_enough():
    assert ready(aldrete={**FULL_ALDRETE, "activity": 1, "consciousness": 1}) == []


@pytest.mark.parametrize("low_item", ["respiration", "spo2"])
def test_aldrete_eight_without_two_on_respiration_and_spo2_is_not_enough(low_item):
    reasons = ready(aldrete={**FULL_ALDRETE, "activity": 1, low_item: 1})
    assert len(reasons) == 1
    assert reasons[0].startswith("Modified Aldrete total is 8: 8 is enough only with 2 for respiration")


def test_aldrete_seven_is_not_enough():
    reasons = ready(aldrete={**FULL_ALDRETE, "activity": 0, "consciousness": 1})
    assert reasons == [
        "Modified Aldrete total is 7: discharge needs 9 or more (or 8 with 2 for respiration and 2 for SpO2)."
    ]


def test_incomplete_aldrete_is_a_reason_not_an_exception():
    reasons = ready(aldrete={"activity": 2})
    assert reasons == [
        "Modified Aldrete score is incomplete: Respiration, Circulation, Consciousness, SpO2 not scored."
    ]


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("vitals_near_baseline", "Vital signs are not yet near baseline."),
        ("alert_and_oriented", "Patient is not yet alert and oriented."),
        ("escort_present", "No escort present: the patient must leave with a responsible adult."),
        ("instructions_given", "Written discharge instructions have not been given."),
    ],
)
@pytest.mark.parametrize("value", [False, None])
def test_each_discharge_condition_is_required(condition, reason, value):
    assert ready(**{condition: value}) == [reason]


def test_esketamine_not_before_120_minutes():
    reasons = ready(route="intranasal", minutes_since_first_dose=119)
    assert reasons == [
        "Esketamine: 119 minutes since the first device; discharge not before 120 minutes (1 more minute)."
    ]
    assert ready(route="intranasal", minutes_since_first_dose=120) == []


def test_two_hour_minimum_applies_only_to_esketamine():
    assert ready(route="iv", minutes_since_first_dose=60) == []
    assert ready(route="im", minutes_since_first_dose=60) == []


def test_all_reasons_are_listed_together():
    reasons = ready(
        aldrete={**FULL_ALDRETE, "activity": 0, "consciousness": 0},
        escort_present=False,
        route="intranasal",
        minutes_since_first_dose=100,
    )
    assert len(reasons) == 3
    assert reasons[0].startswith("Modified Aldrete total is 6")
    assert reasons[1].startswith("No escort present")
    assert reasons[2].endswith("(20 more minutes).")


def test_discharge_rejects_unknown_route_and_negative_minutes():
    with pytest.raises(ValueError, match="Unknown route 'nasal'"):
        ready(route="nasal")
    with pytest.raises(ValueError, match="cannot be negative"):
        ready(minutes_since_first_dose=-1)


# --- expected timepoints --------------------------------------------------------------------------


def minutes(points):
    return [minute for minute, _ in points]


def test_iv_forty_minute_infusion_with_two_hours_monitoring():
    points = expected_timepoints("iv", infusion_minutes=40, monitoring_minutes=120)
    # 120 is within 5 minutes of 115, so the 115 reading closes monitoring.
    assert points == [
        (0, "Pre-dose"),
        (10, "During infusion"),
        (20, "During infusion"),
        (30, "During infusion"),
        (40, "During infusion"),
        (55, "Recovery"),
        (70, "Recovery"),
        (85, "Recovery"),
        (100, "Recovery"),
        (115, "Recovery"),
    ]


def test_iv_monitoring_end_gets_its_own_point_when_more_than_five_minutes_away():
    points = expected_timepoints("iv", infusion_minutes=40, monitoring_minutes=122)
    assert points[-2:] == [(115, "Recovery"), (122, "Before discharge")]


def test_iv_point_on_monitoring_end_is_labelled_before_discharge():
    points = expected_timepoints("iv", infusion_minutes=45, monitoring_minutes=120)
    # The infusion end (45) is within 5 minutes of 40, so 40 covers it; recovery counts from 45.
    assert minutes(points) == [0, 10, 20, 30, 40, 60, 75, 90, 105, 120]
    assert points[-1] == (120, "Before discharge")


def test_iv_infusion_end_gets_its_own_point_when_more_than_five_minutes_away():
    points = expected_timepoints("iv", infusion_minutes=47, monitoring_minutes=120)
    assert minutes(points) == [0, 10, 20, 30, 40, 47, 62, 77, 92, 107, 120]
    assert points[5] == (47, "During infusion")
    assert points[-1] == (120, "Before discharge")


def test_iv_needs_infusion_minutes_and_monitoring_past_the_infusion():
    with pytest.raises(ValueError, match="infusion length"):
        expected_timepoints("iv")
    with pytest.raises(ValueError, match="must run past the end of the infusion"):
        expected_timepoints("iv", infusion_minutes=40, monitoring_minutes=40)


def test_intranasal_timepoints():
    assert expected_timepoints("intranasal") == [
        (0, "Before dosing"),
        (40, "At 40 minutes"),
        (120, "Before discharge"),
    ]
    assert expected_timepoints("intranasal", monitoring_minutes=150)[-1] == (150, "Before discharge")


def test_intranasal_monitoring_under_two_hours_is_refused():
    with pytest.raises(ValueError, match="at least 120 minutes"):
        expected_timepoints("intranasal", monitoring_minutes=119)


def test_im_timepoints_every_fifteen_minutes():
    points = expected_timepoints("im", monitoring_minutes=60)
    assert points == [
        (0, "Pre-dose"),
        (15, "Monitoring"),
        (30, "Monitoring"),
        (45, "Monitoring"),
        (60, "Before discharge"),
    ]


def test_unknown_route_is_refused():
    with pytest.raises(ValueError, match="Unknown route"):
        expected_timepoints("")


# --- timepoint status -----------------------------------------------------------------------------

INTRANASAL = [(0, "Before dosing"), (40, "At 40 minutes"), (120, "Before discharge")]


def statuses(result):
    return [(row["minute"], row["status"]) for row in result]


def test_timepoint_status_done_due_overdue_upcoming():
    iv = [(0, "Pre-dose"), (10, "During infusion"), (20, "During infusion"), (30, "During infusion")]
    result = timepoint_status(iv, recorded_minutes=[-2], now_minutes=21)
    assert statuses(result) == [(0, "done"), (10, "overdue"), (20, "due"), (30, "upcoming")]
    assert result[0] == {"minute": 0, "label": "Pre-dose", "status": "done"}


def test_done_within_tolerance_either_side():
    assert statuses(timepoint_status(INTRANASAL, [0, 35, 125], now_minutes=130)) == [
        (0, "done"),
        (40, "done"),
        (120, "done"),
    ]
    assert statuses(timepoint_status(INTRANASAL, [0, 34], now_minutes=44)) == [
        (0, "done"),
        (40, "due"),
        (120, "upcoming"),
    ]


def test_due_and_overdue_edges():
    assert statuses(timepoint_status(INTRANASAL, [0], now_minutes=34))[1] == (40, "upcoming")
    assert statuses(timepoint_status(INTRANASAL, [0], now_minutes=35))[1] == (40, "due")
    assert statuses(timepoint_status(INTRANASAL, [0], now_minutes=45))[1] == (40, "due")
    assert statuses(timepoint_status(INTRANASAL, [0], now_minutes=46))[1] == (40, "overdue")


def test_custom_tolerance():
    assert statuses(timepoint_status(INTRANASAL, [0, 32], now_minutes=50, tolerance=10))[1] == (40, "done")
    assert statuses(timepoint_status(INTRANASAL, [0, 32], now_minutes=50, tolerance=5))[1] == (40, "overdue")


def test_one_reading_ticks_one_timepoint_only():
    points = [(10, "During infusion"), (20, "During infusion")]
    assert statuses(timepoint_status(points, [15], now_minutes=22)) == [(10, "done"), (20, "due")]
    assert statuses(timepoint_status(points, [15, 16], now_minutes=22)) == [(10, "done"), (20, "done")]


# --- REMS form ------------------------------------------------------------------------------------


def complete_rems(**overrides):
    data = {
        "patient_name": "Alex Chen",
        "patient_dob": "1985-03-14",
        "patient_sex": "F",
        "first_treatment": False,
        "enrolled": True,
        "benzodiazepines": False,
        "sedative_hypnotics": False,
        "psychostimulants": False,
        "maois": False,
        "opioids": False,
        "provider_name": "Dana Nurse",
        "provider_phone": "555-0100",
        "provider_email": "dana@clinic.example",
        "clinic_name": "Example Clinic",
        "clinic_address": "1 Main St, Springfield",
        "treatment_date": "2025-06-20",
        "dose": 84,
        "lot_number": "LOT123",
        "total_monitoring_minutes": 125,
        "ready_without_minimum": "90 minutes",
        "vitals_ok_pre_dose": True,
        "vitals_ok_at_completion": True,
        "bp_pre_dose": "128/82",
        "bp_40_min": "142/88",
        "bp_before_completion": "126/80",
        "sedation": False,
        "dissociation": False,
        "respiratory_depression": False,
        "serious_adverse_events": "None",
    }
    data.update(overrides)
    return data


def test_rems_fields_cover_the_form():
    keys = [key for key, _ in REMS_FIELDS]
    assert len(keys) == len(set(keys))
    assert {"dose", "lot_number", "total_monitoring_minutes", "bp_40_min", "respiratory_depression"} <= set(
        keys
    )
    assert set(complete_rems()) == set(keys)
    assert all(label for _, label in REMS_FIELDS + REMS_DETAIL_FIELDS)


def test_rems_empty_lists_every_field():
    assert rems_missing({}) == [label for _, label in REMS_FIELDS]


def test_rems_complete_is_empty():
    assert rems_missing(complete_rems()) == []


def test_rems_false_answers_count_as_present_and_blanks_do_not():
    missing = rems_missing(complete_rems(opioids=False, lot_number="  ", clinic_name=None))
    assert missing == ["Clinic name", "Lot number"]


@pytest.mark.parametrize(
    ("answer", "details", "label"),
    [
        ("sedation", "sedation_details", "Sedation details"),
        ("dissociation", "dissociation_details", "Dissociation details"),
        ("respiratory_depression", "respiratory_depression_details", "Respiratory depression details"),
    ],
)
def test_rems_yes_needs_details(answer, details, label):
    assert rems_missing(complete_rems(**{answer: True})) == [label]
    assert rems_missing(complete_rems(**{answer: True, details: ""})) == [label]
    assert rems_missing(complete_rems(**{answer: True, details: "Resolved by 60 min."})) == []


def test_rems_monitoring_under_120_minutes():
    assert rems_missing(complete_rems(total_monitoring_minutes=110)) == [
        "Monitoring must last at least 120 minutes (110 recorded)."
    ]
    assert rems_missing(complete_rems(total_monitoring_minutes=120)) == []
    assert rems_missing(complete_rems(total_monitoring_minutes="130")) == []


def test_rems_dose_56_84_or_other_with_amount():
    assert rems_missing(complete_rems(dose=56)) == []
    assert rems_missing(complete_rems(dose="84")) == []
    assert rems_missing(complete_rems(dose="other")) == ["Other dose (mg)"]
    assert rems_missing(complete_rems(dose="other", other_dose_mg=28)) == []
    assert rems_missing(complete_rems(dose=28)) == ["Dose must be 56 mg, 84 mg or other (got 28)."]
