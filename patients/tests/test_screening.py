"""Suitability screening engine: every shipped rule, thresholds, evidence text, validation, trials."""

import copy
import json
import re

import pytest

from patients import screening
from patients.screening import (
    CONDITIONS,
    KINDS,
    Finding,
    adequate_trials,
    failed_adequate_trials,
    has_absolute,
    is_treatment_resistant,
    load_default_rules,
    screen,
    summarize,
    validate_rule,
)

RULES = load_default_rules()
RULES_BY_CODE = {rule["code"]: rule for rule in RULES}


def clean_facts():
    """An intake with nothing wrong and nothing missing: no shipped rule fires."""
    return {
        "age": 34,
        "sex_at_birth": "female",
        "sections": {
            "medical_history": True,
            "medications": True,
            "allergies": True,
            "substance_use": True,
            "pregnancy": True,
            "measurements": True,
        },
        "conditions": {key: "no" for key, _label in CONDITIONS},
        "medications": [
            {"name": "Sertraline", "dose": "100 mg", "frequency": "daily", "drug_class": "none"},
        ],
        "no_medications": False,
        "allergies": {"ketamine_hypersensitivity": "no", "details": "penicillin"},
        "substance_use": {
            "alcohol_drinks_per_week": 4,
            "cannabis": "occasional",
            "ketamine_nonmedical": "never",
            "substance_use_disorder": "no",
            "other": "",
        },
        "pregnancy": {"status": "not_pregnant", "breastfeeding": "no"},
        "measurements": {
            "height_cm": 170,
            "weight_kg": 72.5,
            "bp_systolic": 128,
            "bp_diastolic": 82,
            "heart_rate": 70,
            "spo2": 98,
            "resp_rate": 14,
        },
        "sources": {"conditions": "medical history, entered by the patient on Mar 2"},
    }


def _condition(key):
    def mutate(f):
        f["conditions"][key] = "yes"

    return mutate


def _medication(name, drug_class):
    def mutate(f):
        f["medications"].append(
            {"name": name, "dose": "1 mg", "frequency": "daily", "drug_class": drug_class}
        )

    return mutate


def _set(path, value):
    def mutate(f):
        target = f
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _unsure_item(f):
    f["conditions"]["seizures"] = "unsure"


def _both(*mutations):
    def mutate(f):
        for m in mutations:
            m(f)

    return mutate


# Shipped rule code -> a mutation of clean_facts() that must make it fire.
# A new shipped rule without an entry here fails test_every_shipped_rule_has_a_trigger.
TRIGGERS = {
    "aneurysm": _condition("aneurysm"),
    "arteriovenous-malformation": _condition("avm"),
    "intracerebral-hemorrhage": _condition("intracerebral_hemorrhage"),
    "ketamine-hypersensitivity": _set(["allergies", "ketamine_hypersensitivity"], "yes"),
    "psychosis": _condition("psychosis"),
    "pregnancy": _set(["pregnancy", "status"], "pregnant"),
    "uncontrolled-hypertension": _set(["measurements", "bp_systolic"], 172),
    "hypertension-history": _condition("hypertension"),
    "cardiovascular-disease": _condition("cardiovascular_disease"),
    "recent-mi-stroke": _condition("recent_mi_stroke"),
    "substance-use-disorder": _set(["substance_use", "substance_use_disorder"], "yes"),
    "nonmedical-ketamine-use": _set(["substance_use", "ketamine_nonmedical"], "current"),
    "daily-cannabis-use": _set(["substance_use", "cannabis"], "daily"),
    "bipolar-current-mania": _both(_condition("bipolar"), _condition("current_mania")),
    "raised-intracranial-pressure": _condition("raised_icp"),
    "raised-intraocular-pressure": _condition("raised_iop"),
    "severe-liver-disease": _condition("liver_disease"),
    "uncontrolled-hyperthyroidism": _condition("hyperthyroidism"),
    "breastfeeding": _set(["pregnancy", "breastfeeding"], "yes"),
    "severe-personality-disorder": _condition("personality_disorder"),
    "age-under-18": _set(["age"], 17),
    "benzodiazepine": _medication("Lorazepam", "benzodiazepine"),
    "lamotrigine": _medication("Lamotrigine", "lamotrigine"),
    "maoi": _medication("Phenelzine", "maoi"),
    "psychostimulant": _medication("Methylphenidate", "psychostimulant"),
    "opioid": _medication("Oxycodone", "opioid"),
    "sedative-hypnotic": _medication("Zolpidem", "sedative_hypnotic"),
    "medical-history-not-entered": _set(["sections", "medical_history"], False),
    "medical-history-incomplete": _unsure_item,
    "medications-not-entered": _set(["sections", "medications"], False),
    "allergies-not-entered": _set(["sections", "allergies"], False),
    "ketamine-allergy-unsure": _set(["allergies", "ketamine_hypersensitivity"], "unsure"),
    "measurements-not-entered": _set(["sections", "measurements"], False),
    "weight-missing": _set(["measurements", "weight_kg"], None),
    "pregnancy-status-needed": _set(["pregnancy", "status"], "unsure"),
}


def codes(findings):
    return [f.code for f in findings]


def one_rule(code, **changes):
    rule = copy.deepcopy(RULES_BY_CODE[code])
    rule.update(changes)
    return rule


# --- the shipped rules file -------------------------------------------------------------------


def test_clean_intake_has_no_findings():
    findings = screen(clean_facts(), RULES)
    assert findings == []
    assert summarize(findings) == dict.fromkeys(KINDS, 0)
    assert not has_absolute(findings)


def test_every_shipped_rule_has_a_trigger():
    shipped = [rule["code"] for rule in RULES]
    assert [code for code in shipped if code not in TRIGGERS] == []
    assert [code for code in TRIGGERS if code not in shipped] == []


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule["code"])
def test_shipped_rule_fires_only_on_its_trigger(rule):
    assert screen(clean_facts(), [rule]) == []
    facts = clean_facts()
    TRIGGERS[rule["code"]](facts)
    findings = screen(facts, [rule])
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.code, finding.label, finding.kind, finding.reason) == (
        rule["code"],
        rule["label"],
        rule["kind"],
        rule["reason"],
    )
    assert finding.evidence.strip()
    # The whole rule set still reports it, and no mutation drags in an absolute by accident.
    everything = screen(facts, RULES)
    assert rule["code"] in codes(everything)
    assert has_absolute(everything) == (rule["kind"] == "absolute")


def test_shipped_rules_cover_every_contraindication_and_interaction():
    def whens(kind):
        return [json.dumps(rule["when"], sort_keys=True) for rule in RULES if rule["kind"] == kind]

    absolute = " ".join(whens("absolute"))
    for needle in ("aneurysm", "avm", "intracerebral_hemorrhage", "ketamine_hypersensitivity", "psychosis"):
        assert f'"{needle}"' in absolute
    assert '"pregnancy_status": "pregnant"' in absolute
    assert '"bp_at_least": {"diastolic": 100, "systolic": 160}' in absolute
    relative = " ".join(whens("relative"))
    for key in ("hypertension", "cardiovascular_disease", "recent_mi_stroke", "raised_icp", "raised_iop"):
        assert f'"condition": "{key}"' in relative
    for key in ("liver_disease", "hyperthyroidism", "personality_disorder"):
        assert f'"condition": "{key}"' in relative
    assert '"all_conditions": ["bipolar", "current_mania"]' in relative
    assert '"breastfeeding": "yes"' in relative and '"age_below": 18' in relative
    assert '"substance": "substance_use_disorder"' in relative
    classes = {rule["when"]["medication_class"] for rule in RULES if rule["kind"] == "interaction"}
    assert classes == {
        "benzodiazepine",
        "lamotrigine",
        "maoi",
        "psychostimulant",
        "opioid",
        "sedative_hypnotic",
    }
    missing = " ".join(whens("missing"))
    for needle in ('"medical_history"', '"medications"', '"measurements"', "missing_conditions"):
        assert needle in missing
    assert "missing_weight" in missing and "missing_pregnancy" in missing


def test_shipped_rules_have_unique_kebab_codes_and_cited_reasons():
    assert len(RULES_BY_CODE) == len(RULES)
    for rule in RULES:
        assert rule["code"] == rule["code"].lower() and "_" not in rule["code"]
        if rule["kind"] != "missing":
            assert (
                "prescribing information" in rule["reason"] or "clinic clinical reference" in rule["reason"]
            )


def test_duplicate_codes_rejected():
    with pytest.raises(ValueError, match="used twice"):
        screen(clean_facts(), [RULES_BY_CODE["aneurysm"], RULES_BY_CODE["aneurysm"]])


# --- ordering, summaries ----------------------------------------------------------------------


def test_findings_come_in_kind_order_then_rule_order():
    facts = clean_facts()
    facts["measurements"]["weight_kg"] = None
    _medication("Lorazepam", "benzodiazepine")(facts)
    facts["conditions"]["raised_iop"] = "yes"
    facts["conditions"]["cardiovascular_disease"] = "yes"
    facts["conditions"]["psychosis"] = "yes"
    facts["conditions"]["aneurysm"] = "yes"
    rules = [RULES_BY_CODE[c] for c in ("weight-missing", "benzodiazepine", "raised-intraocular-pressure")]
    rules += [RULES_BY_CODE[c] for c in ("cardiovascular-disease", "psychosis", "aneurysm")]
    findings = screen(facts, rules)
    assert codes(findings) == [
        "psychosis",
        "aneurysm",
        "raised-intraocular-pressure",
        "cardiovascular-disease",
        "benzodiazepine",
        "weight-missing",
    ]
    assert summarize(findings) == {"absolute": 2, "relative": 2, "interaction": 1, "missing": 1}
    assert has_absolute(findings)
    assert not has_absolute(findings[2:])


def test_inactive_rule_is_skipped():
    facts = clean_facts()
    facts["conditions"]["aneurysm"] = "yes"
    assert codes(screen(facts, [one_rule("aneurysm")])) == ["aneurysm"]
    assert screen(facts, [one_rule("aneurysm", active=False)]) == []
    assert codes(screen(facts, [one_rule("aneurysm", active=True)])) == ["aneurysm"]


# --- evidence text ----------------------------------------------------------------------------


def test_condition_evidence_names_item_answer_and_source():
    facts = clean_facts()
    facts["conditions"]["aneurysm"] = "yes"
    [finding] = screen(facts, [RULES_BY_CODE["aneurysm"]])
    assert finding == Finding(
        code="aneurysm",
        label="Aneurysmal vascular disease",
        kind="absolute",
        reason=RULES_BY_CODE["aneurysm"]["reason"],
        evidence="Medical history: “Aneurysm of the aorta, brain or other arteries” answered yes "
        "(medical history, entered by the patient on Mar 2)",
    )


def test_condition_answers_can_be_widened_to_unsure():
    facts = clean_facts()
    facts["conditions"]["psychosis"] = "unsure"
    assert screen(facts, [RULES_BY_CODE["psychosis"]]) == []
    widened = copy.deepcopy(RULES_BY_CODE["psychosis"])
    widened["when"]["answers"] = ["yes", "unsure"]
    [finding] = screen(facts, [widened])
    assert "answered unsure" in finding.evidence


def test_bipolar_needs_both_conditions():
    rule = RULES_BY_CODE["bipolar-current-mania"]
    facts = clean_facts()
    facts["conditions"]["bipolar"] = "yes"
    assert screen(facts, [rule]) == []
    facts["conditions"]["current_mania"] = "unsure"
    assert screen(facts, [rule]) == []
    facts["conditions"]["current_mania"] = "yes"
    [finding] = screen(facts, [rule])
    assert "“Bipolar disorder” answered yes" in finding.evidence
    assert "“Currently in a manic or hypomanic episode” answered yes" in finding.evidence


def test_medication_class_evidence_lists_every_matching_drug():
    facts = clean_facts()
    facts["medications"] = [
        {"name": "Lorazepam", "dose": "1 mg", "frequency": "at night", "drug_class": "benzodiazepine"},
        {"name": "Sertraline", "dose": "100 mg", "frequency": "daily", "drug_class": "none"},
        {"name": "Clonazepam", "dose": "0.5 mg", "frequency": "twice daily", "drug_class": "benzodiazepine"},
    ]
    findings = screen(facts, RULES)
    assert codes(findings) == ["benzodiazepine"]
    assert findings[0].evidence == (
        "Current medications: Lorazepam 1 mg at night (benzodiazepine); Clonazepam 0.5 mg twice daily (benzodiazepine)"
    )
    facts["medications"] = facts["medications"][:1]
    [single] = screen(facts, [RULES_BY_CODE["benzodiazepine"]])
    assert single.evidence == "Current medication: Lorazepam 1 mg at night (benzodiazepine)"


def test_medication_source_is_named_when_given():
    facts = clean_facts()
    facts["sources"]["medications"] = "medication list, reviewed by Dr Lee on Mar 3"
    _medication("Zolpidem", "sedative_hypnotic")(facts)
    [finding] = screen(facts, [RULES_BY_CODE["sedative-hypnotic"]])
    assert finding.evidence == (
        "Current medication (medication list, reviewed by Dr Lee on Mar 3): "
        "Zolpidem 1 mg daily (non-benzodiazepine sedative hypnotic)"
    )


def test_allergy_evidence_includes_details():
    facts = clean_facts()
    facts["allergies"] = {"ketamine_hypersensitivity": "yes", "details": "rash after ketamine in 2019"}
    findings = screen(facts, RULES)
    assert codes(findings) == ["ketamine-hypersensitivity"]
    assert "answered yes" in findings[0].evidence
    assert "rash after ketamine in 2019" in findings[0].evidence


def test_past_nonmedical_ketamine_use_fires_never_does_not():
    rule = RULES_BY_CODE["nonmedical-ketamine-use"]
    facts = clean_facts()
    facts["substance_use"]["ketamine_nonmedical"] = "past"
    [finding] = screen(facts, [rule])
    assert finding.evidence == "Substance use: non-medical ketamine use — past"
    facts["substance_use"]["ketamine_nonmedical"] = "never"
    assert screen(facts, [rule]) == []


# --- thresholds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "fires"),
    [(159, 99, False), (160, 99, True), (159, 100, True), (172, 96, True), (128, 82, False)],
)
def test_uncontrolled_hypertension_threshold(systolic, diastolic, fires):
    facts = clean_facts()
    facts["measurements"].update(bp_systolic=systolic, bp_diastolic=diastolic)
    findings = screen(facts, RULES)
    assert ("uncontrolled-hypertension" in codes(findings)) is fires
    assert has_absolute(findings) is fires


def test_bp_evidence_shows_reading_and_threshold_in_force():
    facts = clean_facts()
    facts["measurements"].update(bp_systolic=172, bp_diastolic=96)
    [finding] = screen(facts, [RULES_BY_CODE["uncontrolled-hypertension"]])
    assert finding.evidence == "Blood pressure 172/96 mmHg ≥ 160/100"


def test_tuned_bp_threshold_changes_the_outcome():
    facts = clean_facts()
    facts["measurements"].update(bp_systolic=152, bp_diastolic=90)
    assert screen(facts, RULES) == []
    tuned = copy.deepcopy(RULES_BY_CODE["uncontrolled-hypertension"])
    tuned["when"]["bp_at_least"] = {"systolic": 150, "diastolic": 95}
    [finding] = screen(facts, [tuned])
    assert finding.evidence == "Blood pressure 152/90 mmHg ≥ 150/95"
    facts["measurements"].update(bp_systolic=149, bp_diastolic=95)
    assert codes(screen(facts, [tuned])) == ["uncontrolled-hypertension"]
    facts["measurements"].update(bp_systolic=149, bp_diastolic=94)
    assert screen(facts, [tuned]) == []


def test_no_measurements_means_no_bp_finding_but_missing_findings():
    facts = clean_facts()
    facts["measurements"] = None
    facts["sections"]["measurements"] = False
    assert codes(screen(facts, RULES)) == ["measurements-not-entered", "weight-missing"]


@pytest.mark.parametrize(("age", "fires"), [(17, True), (18, False), (16, True), (None, False)])
def test_age_below_18(age, fires):
    facts = clean_facts()
    facts["age"] = age
    findings = screen(facts, [RULES_BY_CODE["age-under-18"]])
    assert bool(findings) is fires
    if fires:
        assert findings[0].evidence == f"Age {age} (below 18)"


def test_tuned_age_limit():
    facts = clean_facts()
    facts["age"] = 20
    tuned = copy.deepcopy(RULES_BY_CODE["age-under-18"])
    tuned["when"]["age_below"] = 21
    assert codes(screen(facts, [tuned])) == ["age-under-18"]
    assert screen(facts, [RULES_BY_CODE["age-under-18"]]) == []


# --- missing information ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "age", "fires"),
    [
        ("female", 30, True),
        ("intersex", 30, True),
        ("male", 30, False),
        ("unknown", 30, False),
        ("female", 11, False),
        ("female", 12, True),
        ("female", 55, True),
        ("female", 56, False),
        ("female", None, True),
        ("intersex", 60, False),
    ],
)
def test_pregnancy_status_needed_only_for_female_or_intersex_12_to_55(sex, age, fires):
    facts = clean_facts()
    facts.update(sex_at_birth=sex, age=age, pregnancy=None)
    findings = screen(facts, [RULES_BY_CODE["pregnancy-status-needed"]])
    assert bool(findings) is fires
    if fires:
        assert findings[0].evidence.startswith("Pregnancy status not recorded")
        assert sex in findings[0].evidence


def test_pregnancy_status_unsure_or_answered():
    rule = RULES_BY_CODE["pregnancy-status-needed"]
    facts = clean_facts()
    facts["pregnancy"]["status"] = "unsure"
    [finding] = screen(facts, [rule])
    assert "answered unsure" in finding.evidence and "age 34" in finding.evidence
    for status in ("not_pregnant", "not_applicable"):
        facts["pregnancy"]["status"] = status
        assert screen(facts, [rule]) == []
    facts["pregnancy"]["status"] = "pregnant"
    assert screen(facts, [rule]) == []
    assert codes(screen(facts, RULES)) == ["pregnancy"]


def test_tuned_pregnancy_ages():
    facts = clean_facts()
    facts.update(age=58, pregnancy={})
    assert screen(facts, [RULES_BY_CODE["pregnancy-status-needed"]]) == []
    tuned = copy.deepcopy(RULES_BY_CODE["pregnancy-status-needed"])
    tuned["when"]["missing_pregnancy"] = {"min_age": 10, "max_age": 60}
    [finding] = screen(facts, [tuned])
    assert "asked at ages 10–60" in finding.evidence


def test_unsure_and_unanswered_items_are_listed():
    facts = clean_facts()
    facts["conditions"]["psychosis"] = "unsure"
    facts["conditions"]["raised_iop"] = "unsure"
    del facts["conditions"]["sleep_apnea"]
    findings = screen(facts, RULES)
    assert codes(findings) == ["medical-history-incomplete"]
    evidence = findings[0].evidence
    assert evidence == (
        "Medical history checklist not answered: “Sleep apnea”; answered unsure: "
        "“Psychosis, schizophrenia or another psychotic disorder”, “Glaucoma or raised eye pressure” "
        "(medical history, entered by the patient on Mar 2)"
    )
    assert "Seizures" not in evidence


def test_medical_history_not_entered():
    facts = clean_facts()
    facts["conditions"] = {}
    facts["sections"]["medical_history"] = False
    findings = screen(facts, RULES)
    assert codes(findings) == ["medical-history-not-entered", "medical-history-incomplete"]
    assert findings[0].evidence == "Medical history section not entered"
    assert findings[1].evidence == "Medical history checklist: none of the 17 items answered"


def test_empty_intake_reports_what_is_missing_and_nothing_else():
    findings = screen({"sex_at_birth": "female", "age": None}, RULES)
    assert summarize(findings) == {"absolute": 0, "relative": 0, "interaction": 0, "missing": 7}
    assert codes(findings) == [
        "medical-history-not-entered",
        "medical-history-incomplete",
        "medications-not-entered",
        "allergies-not-entered",
        "measurements-not-entered",
        "weight-missing",
        "pregnancy-status-needed",
    ]
    assert (
        findings[-1].evidence
        == "Pregnancy status not recorded (sex at birth female, age unknown; asked at ages 12–55)"
    )


# --- validation -------------------------------------------------------------------------------


def _rule(**changes):
    rule = {
        "code": "x-rule",
        "label": "X",
        "kind": "relative",
        "when": {"condition": "aneurysm"},
        "reason": "Why.",
    }
    rule.update(changes)
    return rule


def test_valid_rule_passes():
    assert validate_rule(_rule()) is None
    assert (
        validate_rule(_rule(when={"condition": "psychosis", "answers": ["yes", "unsure"]}, active=False))
        is None
    )
    assert validate_rule(_rule(when={"bp_at_least": {"systolic": 150}})) is None
    assert validate_rule(_rule(when={"pregnancy_status": ["pregnant", "unsure"]})) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "fatal"}, "unknown kind 'fatal'"),
        ({"code": "Bad_Code"}, "kebab-case"),
        ({"label": ""}, "label must be a non-empty string"),
        ({"reason": None}, "reason must be a non-empty string"),
        ({"active": "no"}, "active must be true or false"),
        ({"colour": "red"}, "unknown field"),
        ({"when": {"sky_colour": "blue"}}, "unknown form"),
        ({"when": {}}, "exactly one form"),
        ({"when": {"condition": "aneurysm", "age_below": 18}}, "exactly one form"),
        ({"when": {"condition": "gout"}}, "unknown condition key 'gout'"),
        ({"when": {"all_conditions": ["bipolar", "mania"]}}, "unknown condition key 'mania'"),
        ({"when": {"all_conditions": []}}, "non-empty list"),
        ({"when": {"condition": "aneurysm", "answers": ["maybe"]}}, "unknown answer"),
        ({"when": {"condition": "aneurysm", "in": ["yes"]}}, "does not take"),
        ({"when": {"medication_class": "antibiotic"}}, "unknown drug class 'antibiotic'"),
        ({"when": {"medication_class": "none"}}, "unknown drug class 'none'"),
        ({"when": {"allergy": "peanut"}}, "unknown allergy"),
        ({"when": {"substance": "heroin", "in": ["current"]}}, "unknown substance 'heroin'"),
        ({"when": {"substance": "cannabis", "in": ["weekly"]}}, "unknown answer"),
        ({"when": {"substance": "cannabis"}}, "needs 'in'"),
        ({"when": {"pregnancy_status": "expecting"}}, "unknown answer"),
        ({"when": {"breastfeeding": "sometimes"}}, "must be one of"),
        (
            {"when": {"bp_at_least": {"systolic": 1600, "diastolic": 100}}},
            "systolic threshold must be a number",
        ),
        (
            {"when": {"bp_at_least": {"systolic": "160", "diastolic": 100}}},
            "systolic threshold must be a number",
        ),
        (
            {"when": {"bp_at_least": {"systolic": 160, "diastolic": 5}}},
            "diastolic threshold must be a number",
        ),
        ({"when": {"bp_at_least": {"systolic": 100, "diastolic": 160}}}, "below the systolic"),
        ({"when": {"bp_at_least": {}}}, "systolic and/or diastolic"),
        ({"when": {"bp_at_least": {"mean": 120}}}, "unknown threshold"),
        ({"when": {"age_below": -1}}, "whole number of years"),
        ({"when": {"age_below": 17.5}}, "whole number of years"),
        ({"when": {"age_below": True}}, "whole number of years"),
        ({"when": {"missing_section": "hobbies"}}, "unknown section 'hobbies'"),
        ({"when": {"missing_conditions": False}}, "must be true"),
        ({"when": {"missing_weight": "yes"}}, "must be true"),
        ({"when": {"missing_pregnancy": {"min_age": 55, "max_age": 12}}}, "min_age <= max_age"),
        ({"when": {"missing_pregnancy": {"min_age": 12}}}, "must be true or"),
    ],
)
def test_validate_rule_errors(changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_rule(_rule(**changes))


def test_validate_rule_rejects_non_dicts():
    with pytest.raises(ValueError, match="must be a dict"):
        validate_rule(["aneurysm"])
    with pytest.raises(ValueError, match="when must be a dict"):
        validate_rule(_rule(when="aneurysm"))


def test_screen_refuses_a_bad_rule_instead_of_skipping_it():
    with pytest.raises(ValueError, match="unknown condition key"):
        screen(clean_facts(), [*RULES, _rule(when={"condition": "gout"})])


def test_load_default_rules_validates_the_file(tmp_path, monkeypatch):
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps([_rule(kind="fatal")]), encoding="utf-8")
    monkeypatch.setattr(screening, "RULES_FILE", bad)
    with pytest.raises(ValueError, match="unknown kind"):
        load_default_rules()


# --- prior treatments -------------------------------------------------------------------------


def trial(kind="antidepressant", weeks=8, outcome="none", adequate=None, name="Sertraline"):
    return {
        "kind": kind,
        "name": name,
        "dose": "",
        "duration_weeks": weeks,
        "outcome": outcome,
        "adequate": adequate,
    }


def test_adequate_trials_six_week_rule_and_explicit_marks():
    trials = [
        trial(weeks=6),  # unmarked, 6 weeks: adequate
        trial(weeks=5),  # unmarked, 5 weeks: not adequate
        trial(weeks=None),  # unmarked, unknown duration: not adequate
        trial(weeks=3, adequate=True),  # clinician marked adequate
        trial(weeks=12, adequate=False),  # clinician marked inadequate
        trial(kind="augmentation", weeks=8, name="Aripiprazole"),
        trial(kind="ect", weeks=8, name="ECT"),
        trial(kind="psychotherapy", weeks=20, name="CBT"),
        trial(kind="esketamine", weeks=8, adequate=True, name="Spravato"),
    ]
    assert adequate_trials(trials) == 3
    assert adequate_trials(trials, min_weeks=4) == 4
    assert adequate_trials([]) == 0


def test_adequate_trials_count_any_outcome_failures_only_none_or_partial():
    trials = [
        trial(outcome="none"),
        trial(outcome="partial"),
        trial(outcome="response"),
        trial(outcome="not_tolerated"),
        trial(outcome="unknown"),
    ]
    assert adequate_trials(trials) == 5
    assert failed_adequate_trials(trials) == 2


@pytest.mark.parametrize(
    ("trials", "resistant"),
    [
        ([trial(outcome="none"), trial(kind="augmentation", outcome="partial")], True),
        ([trial(outcome="none"), trial(outcome="response")], False),
        ([trial(outcome="none"), trial(outcome="none", weeks=4)], False),
        ([trial(outcome="none"), trial(outcome="none", weeks=4, adequate=True)], True),
        ([trial(outcome="none"), trial(kind="tms", outcome="none")], False),
        ([trial(outcome="none")], False),
        ([], False),
    ],
)
def test_treatment_resistance_needs_two_failed_adequate_trials(trials, resistant):
    assert is_treatment_resistant(trials) is resistant
    assert (failed_adequate_trials(trials) >= 2) is resistant
