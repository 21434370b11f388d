"""The scoring engine and the shipped instrument definitions. Pure functions: no database."""

import copy
import json

import pytest

from assessments.scoring import (
    INSTRUMENTS_DIR,
    AnswerError,
    Score,
    answer_label,
    asked_items,
    band_for,
    change_from_baseline,
    clean_answers,
    is_remission,
    is_response,
    load_definition,
    score,
    shipped_definitions,
    validate_definition,
)

SHIPPED = {definition["code"]: definition for definition in shipped_definitions()}


def definition(code):
    """A private copy, so a test that changes it cannot affect another."""
    return copy.deepcopy(SHIPPED[code])


def ids(first, last):
    return [str(number) for number in range(first, last + 1)]


def spread(item_ids, total, top):
    """Answers for item_ids adding up to total, filling each item up to top in turn."""
    answers = {}
    for item_id in item_ids:
        answers[item_id] = min(top, total)
        total -= answers[item_id]
    assert total == 0, "total is more than the items can hold"
    return answers


def scored(code, raw):
    d = definition(code)
    return score(d, clean_answers(d, raw))


QIDS_DOMAIN_FIRST_ITEMS = ["1", "5", "6", "10", "11", "12", "13", "14", "15"]


def qids_answers(domain_total):
    """QIDS answers whose domain total is domain_total: one item per domain carries the score."""
    answers = dict.fromkeys(ids(1, 16), 0)
    answers.update(spread(QIDS_DOMAIN_FIRST_ITEMS, domain_total, 3))
    return answers


# Shipped definitions ------------------------------------------------------------------------------


def test_shipped_definitions_are_valid_and_sorted_by_code():
    codes = [d["code"] for d in shipped_definitions()]
    assert codes == ["CADSS", "GAD-7", "PCL-5", "PHQ-9", "QIDS-SR16"]
    for path in INSTRUMENTS_DIR.glob("*.json"):
        assert load_definition(path)["version"] == "1"


def test_shipped_loinc_codes_match_domain_reference():
    assert {code: d["loinc"] for code, d in SHIPPED.items()} == {
        "CADSS": None,
        "GAD-7": "70274-6",
        "PCL-5": None,
        "PHQ-9": "44261-6",
        "QIDS-SR16": None,
    }


def test_shipped_item_counts_and_ranges():
    summary = {
        code: (
            len(d["items"]),
            sum(1 for item in d["items"] if item.get("scored", True)),
            d["scoring"]["min"],
            d["scoring"]["max"],
        )
        for code, d in SHIPPED.items()
    }
    assert summary == {
        "PHQ-9": (10, 9, 0, 27),
        "GAD-7": (8, 7, 0, 21),
        "PCL-5": (20, 20, 0, 80),
        "QIDS-SR16": (16, 16, 0, 27),
        "CADSS": (0, 0, 0, 92),
    }


def test_cadss_ships_no_item_wording():
    cadss = SHIPPED["CADSS"]
    assert cadss["entry"] == "totals"
    assert cadss["items"] == []
    assert cadss["option_sets"] == {}
    assert "Bremner" in cadss["licence"]
    assert [s["id"] for s in cadss["scoring"]["subscales"]] == [
        "depersonalization",
        "derealization",
        "amnesia",
    ]
    assert (cadss["bands"], cadss["alerts"], cadss["outcomes"]) == ([], [], None)


def test_each_qids_item_has_its_own_four_options():
    qids = SHIPPED["QIDS-SR16"]
    option_set_names = [item["options"] for item in qids["items"]]
    assert len(set(option_set_names)) == 16
    for name in option_set_names:
        assert [option["value"] for option in qids["option_sets"][name]] == [0, 1, 2, 3]


def test_pcl5_answer_options_are_the_official_five():
    labels = [option["label"] for option in SHIPPED["PCL-5"]["option_sets"]["severity"]]
    assert labels == ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"]


# PHQ-9 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([0] * 9, 0, "Minimal"),
        ([3] * 9, 27, "Severe"),
        # 1+2+0+3+1+0+2+1+0 = 10
        ([1, 2, 0, 3, 1, 0, 2, 1, 0], 10, "Moderate"),
        # 2+2+2+1+1+1+0+0+0 = 9
        ([2, 2, 2, 1, 1, 1, 0, 0, 0], 9, "Mild"),
    ],
)
def test_phq9_total_and_band(values, total, band):
    raw = {str(number): str(value) for number, value in enumerate(values, start=1)}
    if total > 0:
        raw["10"] = "1"
    result = scored("PHQ-9", raw)
    assert (result.total, result.band) == (total, band)
    assert result.subscales == {} and result.domains == {}
    assert result.cutoff_met is None


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_band_boundaries(total, band):
    answers = spread(ids(1, 9), total, 3)
    if total:
        answers["10"] = 0
    d = definition("PHQ-9")
    assert score(d, clean_answers(d, answers)).band == band
    assert band_for(d, total) == band


def test_phq9_item10_not_asked_when_total_is_zero():
    d = definition("PHQ-9")
    zeros = dict.fromkeys(ids(1, 9), "0")
    assert "10" not in [item["id"] for item in asked_items(d, zeros)]
    # Not required, and an answer sent anyway is dropped.
    assert clean_answers(d, zeros) == dict.fromkeys(ids(1, 9), 0)
    assert "10" not in clean_answers(d, {**zeros, "10": "3"})


def test_phq9_item10_not_asked_still_refuses_an_answer_that_is_not_one_of_its_choices():
    d = definition("PHQ-9")
    zeros = dict.fromkeys(ids(1, 9), "0")
    for unlisted in ("not-a-choice", "99999999999999999999999", "-1"):
        with pytest.raises(AnswerError) as caught:
            clean_answers(d, {**zeros, "10": unlisted})
        assert list(caught.value.errors) == ["10"]


def test_phq9_item10_required_when_total_above_zero():
    d = definition("PHQ-9")
    answers = {**dict.fromkeys(ids(1, 9), "0"), "4": "1"}
    assert [item["id"] for item in asked_items(d, answers)][-1] == "10"
    with pytest.raises(AnswerError) as caught:
        clean_answers(d, answers)
    assert caught.value.errors == {"10": "Answer this question."}
    cleaned = clean_answers(d, {**answers, "10": "3"})
    assert cleaned["10"] == 3
    # Item 10 is unscored: the total stays 1.
    assert score(d, cleaned).total == 1


def test_phq9_item10_asked_as_soon_as_a_partial_answer_scores():
    d = definition("PHQ-9")
    assert [item["id"] for item in asked_items(d, {})] == ids(1, 9)
    assert [item["id"] for item in asked_items(d, {"1": "1"})] == ids(1, 10)


def test_phq9_item9_alert_fires_at_one_not_zero():
    d = definition("PHQ-9")
    base = {**dict.fromkeys(ids(1, 9), 1), "10": 0}
    assert score(d, {**base, "9": 0}).alerts == ()
    fired = score(d, {**base, "9": 1}).alerts
    assert [alert["id"] for alert in fired] == ["self-harm-thoughts"]
    assert fired[0]["risk"] is True
    assert "item 9" in fired[0]["message"]


# GAD-7 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ([0] * 7, 0, "Minimal"),
        ([3] * 7, 21, "Severe"),
        # 2+1+0+3+1+2+0 = 9
        ([2, 1, 0, 3, 1, 2, 0], 9, "Mild"),
    ],
)
def test_gad7_total_and_band(values, total, band):
    raw = {str(number): value for number, value in enumerate(values, start=1)}
    if total:
        raw["8"] = 2
    result = scored("GAD-7", raw)
    assert (result.total, result.band, result.alerts) == (total, band, ())


@pytest.mark.parametrize(
    ("total", "band"),
    [(4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"), (14, "Moderate"), (15, "Severe")],
)
def test_gad7_band_boundaries(total, band):
    answers = {**spread(ids(1, 7), total, 3), "8": 1}
    assert scored("GAD-7", answers).band == band


def test_gad7_difficulty_question_follows_the_total():
    d = definition("GAD-7")
    zeros = dict.fromkeys(ids(1, 7), 0)
    assert clean_answers(d, {**zeros, "8": 3}) == zeros
    with pytest.raises(AnswerError) as caught:
        clean_answers(d, {**zeros, "7": 1})
    assert caught.value.errors == {"8": "Answer this question."}


# QIDS-SR16 --------------------------------------------------------------------------------------


def test_qids_all_minimum_and_all_maximum():
    lowest = scored("QIDS-SR16", dict.fromkeys(ids(1, 16), 0))
    assert (lowest.total, lowest.band) == (0, "None")
    assert set(lowest.domains.values()) == {0}
    highest = scored("QIDS-SR16", dict.fromkeys(ids(1, 16), 3))
    # Nine domains at 3 each, not 16 items at 3 (48).
    assert (highest.total, highest.band) == (27, "Very severe")
    assert len(highest.domains) == 9


def test_qids_sleep_domain_counts_the_highest_item_once():
    answers = {**dict.fromkeys(ids(1, 16), 0), "1": 3, "2": 0, "3": 1, "4": 2}
    result = scored("QIDS-SR16", answers)
    assert result.domains["sleep"] == 3
    assert result.total == 3


def test_qids_weight_domain_is_highest_of_items_6_to_9():
    answers = {**dict.fromkeys(ids(1, 16), 0), "6": 1, "7": 0, "8": 2, "9": 0}
    result = scored("QIDS-SR16", answers)
    assert result.domains["appetite_weight"] == 2
    assert result.total == 2


def test_qids_psychomotor_domain_is_highest_of_items_15_and_16():
    answers = {**dict.fromkeys(ids(1, 16), 0), "15": 1, "16": 2}
    assert scored("QIDS-SR16", answers).domains["psychomotor"] == 2


def test_qids_mixed_case_differs_from_summing_items():
    values = [3, 0, 1, 2, 2, 1, 0, 2, 0, 1, 2, 0, 1, 2, 1, 2]
    answers = {str(number): value for number, value in enumerate(values, start=1)}
    # Domains: sleep max(3,0,1,2)=3, sad 2, appetite/weight max(1,0,2,0)=2, concentration 1,
    # self-view 2, suicidal ideation 0, interest 1, energy 2, psychomotor max(1,2)=2 -> 15.
    # Summing all 16 items would give 20 (and the band "Severe").
    result = scored("QIDS-SR16", answers)
    assert sum(values) == 20
    assert result.total == 15
    assert result.band == "Moderate"
    assert result.domains == {
        "sleep": 3,
        "sad_mood": 2,
        "appetite_weight": 2,
        "concentration": 1,
        "self_view": 2,
        "suicidal_ideation": 0,
        "interest": 1,
        "energy": 2,
        "psychomotor": 2,
    }


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (5, "None"),
        (6, "Mild"),
        (10, "Mild"),
        (11, "Moderate"),
        (15, "Moderate"),
        (16, "Severe"),
        (20, "Severe"),
        (21, "Very severe"),
    ],
)
def test_qids_band_boundaries(total, band):
    result = scored("QIDS-SR16", qids_answers(total))
    assert (result.total, result.band) == (total, band)


def test_qids_item12_alert():
    assert scored("QIDS-SR16", qids_answers(0)).alerts == ()
    fired = scored("QIDS-SR16", {**qids_answers(0), "12": 1}).alerts
    assert [(alert["id"], alert["risk"]) for alert in fired] == [("thoughts-of-death-or-suicide", True)]


# PCL-5 ------------------------------------------------------------------------------------------


def test_pcl5_all_minimum_and_all_maximum():
    lowest = scored("PCL-5", dict.fromkeys(ids(1, 20), 0))
    assert (lowest.total, lowest.cutoff_met, lowest.band) == (0, False, "Below probable-PTSD cut-off")
    assert lowest.subscales == {"B": 0, "C": 0, "D": 0, "E": 0}
    highest = scored("PCL-5", dict.fromkeys(ids(1, 20), 4))
    assert (highest.total, highest.cutoff_met, highest.band) == (80, True, "Probable PTSD")
    assert highest.subscales == {"B": 20, "C": 8, "D": 28, "E": 24}
    assert highest.alerts == ()


def test_pcl5_clusters_mixed_case():
    values = [4, 3, 0, 2, 1, 4, 0, 1, 2, 3, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    answers = {str(number): value for number, value in enumerate(values, start=1)}
    # B items 1-5: 4+3+0+2+1 = 10; C 6-7: 4+0 = 4; D 8-14: 1+2+3+0+1+2+3 = 12;
    # E 15-20: 4+0+1+2+3+4 = 14; total 40.
    result = scored("PCL-5", answers)
    assert result.subscales == {"B": 10, "C": 4, "D": 12, "E": 14}
    assert result.total == 40
    assert result.cutoff_met is True


@pytest.mark.parametrize(
    ("total", "met", "band"), [(32, False, "Below probable-PTSD cut-off"), (33, True, "Probable PTSD")]
)
def test_pcl5_cutoff_at_33(total, met, band):
    result = scored("PCL-5", spread(ids(1, 20), total, 4))
    assert (result.total, result.cutoff_met, result.band) == (total, met, band)


def test_total_based_alert_fires_at_threshold():
    d = definition("PCL-5")
    d["alerts"] = [
        {"id": "probable-ptsd", "total_at_least": 33, "risk": False, "message": "PCL-5 at or above 33."}
    ]
    validate_definition(d)
    assert score(d, spread(ids(1, 20), 32, 4)).alerts == ()
    assert [alert["id"] for alert in score(d, spread(ids(1, 20), 33, 4)).alerts] == ["probable-ptsd"]


# CADSS (totals entry) ----------------------------------------------------------------------------


def test_cadss_totals_entry_with_subscales():
    d = definition("CADSS")
    raw = {
        "total": "41",
        "subscale:depersonalization": "10",
        "subscale:derealization": "25",
        "subscale:amnesia": "6",
    }
    cleaned = clean_answers(d, raw)
    assert cleaned == {
        "total": 41,
        "subscale:depersonalization": 10,
        "subscale:derealization": 25,
        "subscale:amnesia": 6,
    }
    assert score(d, cleaned) == Score(
        total=41,
        subscales={"depersonalization": 10, "derealization": 25, "amnesia": 6},
        domains={},
        band=None,
        alerts=(),
        cutoff_met=None,
    )
    assert asked_items(d, raw) == []


def test_cadss_total_alone_and_partial_subscales_are_accepted():
    d = definition("CADSS")
    assert score(d, clean_answers(d, {"total": "0"})).subscales == {}
    # Two of three subscales: nothing to check the sum against.
    cleaned = clean_answers(d, {"total": 30, "subscale:amnesia": 2, "subscale:derealization": ""})
    assert cleaned == {"total": 30, "subscale:amnesia": 2}
    assert score(d, cleaned).subscales == {"amnesia": 2}


def test_cadss_missing_total():
    with pytest.raises(AnswerError) as caught:
        clean_answers(definition("CADSS"), {"subscale:amnesia": "3"})
    assert list(caught.value.errors) == ["total"]


@pytest.mark.parametrize("value", ["93", "-1", "abc", "4.5", 93])
def test_cadss_total_out_of_range_or_not_whole(value):
    with pytest.raises(AnswerError) as caught:
        clean_answers(definition("CADSS"), {"total": value})
    assert caught.value.errors == {"total": "Enter a whole number from 0 to 92."}


def test_cadss_subscales_must_add_up_to_total():
    raw = {
        "total": "41",
        "subscale:depersonalization": "10",
        "subscale:derealization": "24",
        "subscale:amnesia": "6",
    }
    with pytest.raises(AnswerError) as caught:
        clean_answers(definition("CADSS"), raw)
    assert caught.value.errors == {"total": "The three subscale scores add up to 40, not the total of 41."}


def test_cadss_reports_every_field_problem_together():
    with pytest.raises(AnswerError) as caught:
        clean_answers(definition("CADSS"), {"subscale:depersonalization": "100", "subscale:amnesia": "x"})
    assert set(caught.value.errors) == {"total", "subscale:depersonalization", "subscale:amnesia"}
    assert caught.value.errors["subscale:amnesia"] == "Enter a whole number from 0 to 92."


def fake_licensed_cadss():
    """What a licensed clinic might load: item text, each item in a subscale (wording invented)."""
    layout = {"1": "derealization", "2": "derealization", "3": "depersonalization", "4": "depersonalization"}
    layout |= {"5": "amnesia", "6": "amnesia"}
    return {
        "code": "CADSS-LICENSED",
        "version": "1",
        "name": "CADSS (licensed item text)",
        "instructions": "Rate each item.",
        "licence": "Licensed to the clinic.",
        "loinc": None,
        "reference": "Bremner et al. 1998",
        "option_sets": {
            "intensity": [
                {"value": 0, "label": "Not at all"},
                {"value": 1, "label": "Slightly"},
                {"value": 2, "label": "Moderately"},
                {"value": 3, "label": "Considerably"},
                {"value": 4, "label": "Extremely"},
            ]
        },
        "items": [
            {
                "id": item_id,
                "text": f"Placeholder item {item_id}",
                "options": "intensity",
                "subscale": subscale,
            }
            for item_id, subscale in layout.items()
        ],
        "scoring": {
            "min": 0,
            "max": 24,
            "total": {"method": "sum", "of": "items"},
            "subscales": [
                {
                    "id": "depersonalization",
                    "label": "Depersonalization",
                    "method": "sum",
                    "min": 0,
                    "max": 8,
                },
                {"id": "derealization", "label": "Derealization", "method": "sum", "min": 0, "max": 8},
                {"id": "amnesia", "label": "Amnesia", "method": "sum", "min": 0, "max": 8},
            ],
        },
        "entry": "items",
        "bands": [],
        "alerts": [],
        "outcomes": None,
    }


def test_item_level_cadss_scores_subscales_from_item_membership():
    d = fake_licensed_cadss()
    validate_definition(d)
    cleaned = clean_answers(d, {"1": "4", "2": "1", "3": "2", "4": "0", "5": "3", "6": "3"})
    result = score(d, cleaned)
    # derealization 4+1 = 5, depersonalization 2+0 = 2, amnesia 3+3 = 6; total 13.
    assert result.subscales == {"depersonalization": 2, "derealization": 5, "amnesia": 6}
    assert (result.total, result.band, result.cutoff_met) == (13, None, None)
    assert answer_label(d, "1", 4) == "Extremely"


def test_item_level_cadss_total_can_be_the_sum_of_subscales():
    d = fake_licensed_cadss()
    d["scoring"]["total"] = {"method": "sum", "of": "subscales"}
    validate_definition(d)
    assert score(d, dict.fromkeys(ids(1, 6), 4)).total == 24


def test_item_level_cadss_requires_every_item():
    with pytest.raises(AnswerError) as caught:
        clean_answers(fake_licensed_cadss(), {"1": "4", "2": "5"})
    assert caught.value.errors == {
        "2": "Choose one of the listed answers.",
        **dict.fromkeys(ids(3, 6), "Answer this question."),
    }


# clean_answers ------------------------------------------------------------------------------------


def test_clean_answers_lists_every_problem():
    d = definition("PHQ-9")
    raw = {"1": "abc", "2": "4", "4": "", "5": "-1", "6": True, **dict.fromkeys(ids(7, 9), "0")}
    with pytest.raises(AnswerError) as caught:
        clean_answers(d, raw)
    assert caught.value.errors == {
        "1": "Choose one of the listed answers.",
        "2": "Choose one of the listed answers.",
        "3": "Answer this question.",
        "4": "Answer this question.",
        "5": "Choose one of the listed answers.",
        "6": "Choose one of the listed answers.",
    }
    assert "6 answer(s)" in str(caught.value)


def test_clean_answers_converts_form_strings_and_drops_unknown_keys():
    d = definition("PHQ-9")
    raw = {**dict.fromkeys(ids(1, 9), " 2 "), "10": "1", "csrfmiddlewaretoken": "x", "11": "3"}
    assert clean_answers(d, raw) == {**dict.fromkeys(ids(1, 9), 2), "10": 1}


def test_clean_answers_reports_a_bad_conditional_answer_while_the_total_is_unknown():
    d = definition("PHQ-9")
    raw = {**dict.fromkeys(ids(1, 8), "0"), "10": "7"}
    with pytest.raises(AnswerError) as caught:
        clean_answers(d, raw)
    assert caught.value.errors == {"9": "Answer this question.", "10": "Choose one of the listed answers."}


def test_answer_error_is_a_value_error():
    error = AnswerError({"1": "Answer this question."})
    assert isinstance(error, ValueError)
    assert error.errors == {"1": "Answer this question."}


# answer_label -------------------------------------------------------------------------------------


def test_answer_label():
    assert answer_label(definition("PHQ-9"), "9", "2") == "More than half the days"
    assert answer_label(definition("PHQ-9"), "10", 0) == "Not difficult at all"
    assert answer_label(definition("QIDS-SR16"), "12", 1).startswith("I feel that life is empty")
    assert answer_label(definition("CADSS"), "total", 41) == "41"
    with pytest.raises(ValueError, match="not a listed answer"):
        answer_label(definition("PHQ-9"), "1", 4)
    with pytest.raises(KeyError):
        answer_label(definition("PHQ-9"), "11", 0)


# validate_definition ------------------------------------------------------------------------------


def _break_unknown_option_set(d):
    d["items"][0]["options"] = "frequencies"


def _break_duplicate_item(d):
    d["items"][1]["id"] = "1"


def _break_band_gap(d):
    d["bands"][1]["min"] = 6


def _break_band_overlap(d):
    d["bands"][1]["min"] = 4


def _break_band_short_of_max(d):
    d["bands"][-1]["max"] = 26


def _break_alert_unknown_item(d):
    d["alerts"][0]["item"] = "99"


def _break_alert_impossible(d):
    d["alerts"][0]["at_least"] = 4


def _break_scored_item_with_ask_if(d):
    d["items"][0]["ask_if"] = {"total_above": 0}


def _break_unknown_item_key(d):
    d["items"][9]["scord"] = False


def _break_declared_max(d):
    d["scoring"]["max"] = 30


def _break_entry(d):
    d["entry"] = "totalz"


def _break_missing_key(d):
    del d["bands"]


def _break_both_remission_rules(d):
    d["outcomes"]["remission_at_most"] = 4


def _break_unscored_item_in_subscale(d):
    d["scoring"]["subscales"] = [{"id": "x", "label": "X", "method": "sum", "items": ["9", "10"]}]


def _break_duplicate_option_value(d):
    d["option_sets"]["frequency"][1]["value"] = 0


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (_break_unknown_option_set, "unknown option set 'frequencies'"),
        (_break_duplicate_item, "duplicate item id '1'"),
        (_break_band_gap, "gap"),
        (_break_band_overlap, "overlap"),
        (_break_band_short_of_max, "maximum score 27"),
        (_break_alert_unknown_item, "unknown item '99'"),
        (_break_alert_impossible, "can never fire"),
        (_break_scored_item_with_ask_if, "only unscored items can have ask_if"),
        (_break_unknown_item_key, "unknown key(s) scord"),
        (_break_declared_max, "total range of 0-30, but the items give 0-27"),
        (_break_entry, "entry must be"),
        (_break_missing_key, "missing bands"),
        (_break_both_remission_rules, "both remission_below and remission_at_most"),
        (_break_unscored_item_in_subscale, "unscored item '10'"),
        (_break_duplicate_option_value, "more than once"),
    ],
)
def test_validate_definition_rejects_broken_phq9(breaker, message):
    d = definition("PHQ-9")
    breaker(d)
    with pytest.raises(ValueError) as caught:
        validate_definition(d)
    assert message in str(caught.value)


def test_validate_definition_rejects_domain_on_unknown_item():
    d = definition("QIDS-SR16")
    d["scoring"]["domains"][0]["items"].append("17")
    with pytest.raises(ValueError, match="domain 'sleep' refers to unknown item '17'"):
        validate_definition(d)


def test_validate_definition_rejects_qids_summed_as_items():
    d = definition("QIDS-SR16")
    d["scoring"]["total"] = {"method": "sum", "of": "items"}
    with pytest.raises(ValueError, match="the items give 0-48"):
        validate_definition(d)


def test_validate_definition_rejects_subscale_on_unknown_item_and_wrong_subscale_max():
    d = definition("PCL-5")
    d["scoring"]["subscales"][0]["items"].append("21")
    with pytest.raises(ValueError, match="subscale 'B' refers to unknown item '21'"):
        validate_definition(d)
    d = definition("PCL-5")
    d["scoring"]["subscales"][1]["max"] = 10
    with pytest.raises(ValueError, match="subscale 'C' declares max 10, but its items give 8"):
        validate_definition(d)


def test_validate_definition_rejects_items_in_a_totals_definition():
    d = definition("CADSS")
    d["option_sets"] = {"intensity": [{"value": 0, "label": "Not at all"}]}
    d["items"] = [{"id": "1", "text": "x", "options": "intensity"}]
    with pytest.raises(ValueError, match="totals entry has no items"):
        validate_definition(d)


def test_validate_definition_rejects_item_in_unknown_subscale():
    d = fake_licensed_cadss()
    d["items"][0]["subscale"] = "derealisation"
    with pytest.raises(ValueError, match="unknown subscale 'derealisation'"):
        validate_definition(d)


def test_load_definition_names_the_file(tmp_path):
    broken = definition("GAD-7")
    broken["bands"].pop()
    path = tmp_path / "gad7.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValueError, match=r"gad7\.json: GAD-7: bands must end at the maximum score 21"):
        load_definition(path)


# Outcomes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "latest", "expected"),
    [
        (20, 10, {"points": -10, "percent": -50.0}),
        (49, 25, {"points": -24, "percent": -49.0}),
        (15, 16, {"points": 1, "percent": 6.7}),
        (0, 5, {"points": 5, "percent": None}),
        (0, 0, {"points": 0, "percent": None}),
    ],
)
def test_change_from_baseline(baseline, latest, expected):
    assert change_from_baseline(baseline, latest) == expected


@pytest.mark.parametrize(
    ("code", "baseline", "latest", "expected"),
    [
        ("PHQ-9", 20, 10, True),  # exactly 50 %
        ("PHQ-9", 20, 11, False),  # 45 %
        ("PHQ-9", 27, 13, True),  # 51.9 %
        ("PHQ-9", 27, 14, False),  # 48.1 %
        ("PCL-5", 49, 25, False),  # 49.0 %
        ("PCL-5", 49, 24, True),  # 51.0 %
        ("QIDS-SR16", 16, 8, True),
        ("GAD-7", 10, 12, False),  # worse
        ("PHQ-9", 0, 0, None),  # no baseline to fall from
        ("CADSS", 40, 10, None),  # no outcome rules
    ],
)
def test_is_response(code, baseline, latest, expected):
    assert is_response(definition(code), baseline, latest) is expected


def test_is_response_when_higher_is_better():
    d = definition("PHQ-9")
    d["outcomes"]["lower_is_better"] = False
    validate_definition(d)
    assert is_response(d, 10, 15) is True
    assert is_response(d, 10, 14) is False


@pytest.mark.parametrize(
    ("code", "latest", "expected"),
    [
        ("PHQ-9", 4, True),
        ("PHQ-9", 5, False),
        ("GAD-7", 4, True),
        ("GAD-7", 5, False),
        ("QIDS-SR16", 5, True),
        ("QIDS-SR16", 6, False),
        ("PCL-5", 0, None),
        ("CADSS", 0, None),
    ],
)
def test_is_remission(code, latest, expected):
    assert is_remission(definition(code), latest) is expected
