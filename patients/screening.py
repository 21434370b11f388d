"""Suitability screening: turn an intake into findings, driven by rules that are data.

Pure Python, no Django. The shipped defaults live in ``screening_rules.json`` next to this module;
an administrator can later tune copies of them in the database. Every rule is a dict::

    {"code": "aneurysm", "label": "Aneurysmal vascular disease", "kind": "absolute",
     "when": {"condition": "aneurysm"}, "reason": "...", "active": true}

``kind`` is one of KINDS. ``active`` is optional (default true; false skips the rule). ``when`` holds
exactly one of these forms (plus the modifier named beside it, where allowed):

- ``{"condition": KEY}``: checklist item answered "yes"; ``"answers": ["yes", "unsure"]`` widens it.
- ``{"all_conditions": [K1, K2]}``: every item answered "yes" (``"answers"`` widens, as above).
- ``{"medication_class": CLASS}``: any current medication of that class (one finding listing them all).
- ``{"allergy": "ketamine_hypersensitivity"}``: answered "yes" (``"answers"`` widens or changes it).
- ``{"pregnancy_status": "pregnant"}`` (a status or a list of statuses), ``{"breastfeeding": "yes"}``.
- ``{"bp_at_least": {"systolic": 160, "diastolic": 100}}``: measured systolic >= OR diastolic >=
  (either key may be left out).
- ``{"age_below": 18}``: known age in whole years below the limit.
- ``{"substance": KEY, "in": [VALUES]}``: substance-use answer among the values.
- ``{"missing_section": SECTION}``: that intake section has not been entered.
- ``{"missing_conditions": true}``: any checklist item unanswered or answered "unsure".
- ``{"missing_pregnancy": true}``: sex at birth female or intersex, age 12–55 inclusive (or unknown),
  and pregnancy status missing or "unsure". ``{"missing_pregnancy": {"min_age": 12, "max_age": 55}}``
  tunes the ages.
- ``{"missing_weight": true}``: no weight recorded.

Rules that read data fire on the data whatever the section flags say; the ``missing_*`` rules are
how an absent section is reported.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

KINDS = ("absolute", "relative", "interaction", "missing")

CONDITIONS = [
    ("aneurysm", "Aneurysm of the aorta, brain or other arteries"),
    ("avm", "Arteriovenous malformation (AVM)"),
    ("intracerebral_hemorrhage", "Bleeding in the brain (intracerebral hemorrhage), ever"),
    ("psychosis", "Psychosis, schizophrenia or another psychotic disorder"),
    ("hypertension", "High blood pressure"),
    ("cardiovascular_disease", "Heart disease (e.g. heart failure, angina, arrhythmia)"),
    ("recent_mi_stroke", "Heart attack or stroke in the last 6 months"),
    ("bipolar", "Bipolar disorder"),
    ("current_mania", "Currently in a manic or hypomanic episode"),
    ("raised_icp", "Raised pressure in the brain (intracranial pressure)"),
    ("raised_iop", "Glaucoma or raised eye pressure"),
    ("liver_disease", "Severe liver disease (e.g. cirrhosis)"),
    ("hyperthyroidism", "Overactive thyroid (hyperthyroidism), not controlled"),
    ("personality_disorder", "Severe personality disorder"),
    ("seizures", "Seizures or epilepsy"),
    ("sleep_apnea", "Sleep apnea"),
    ("bladder_problems", "Bladder or urinary problems"),
]
ANSWERS = ("yes", "no", "unsure")
DRUG_CLASSES = [
    ("none", "None of these"),
    ("benzodiazepine", "Benzodiazepine"),
    ("lamotrigine", "Lamotrigine"),
    ("maoi", "MAO inhibitor (MAOI)"),
    ("psychostimulant", "Psychostimulant"),
    ("opioid", "Opioid"),
    ("sedative_hypnotic", "Non-benzodiazepine sedative hypnotic (e.g. zolpidem)"),
    ("other", "Other"),
]
# Intake sections a {"missing_section": ...} rule may name: (key, label).
SECTIONS = [
    ("medical_history", "Medical history"),
    ("psychiatric_history", "Past treatments"),
    ("medications", "Medications"),
    ("allergies", "Allergies"),
    ("substance_use", "Substance use"),
    ("pregnancy", "Pregnancy"),
    ("goals", "Goals"),
    ("referral", "Referral"),
    ("diagnoses", "Diagnoses"),
    ("measurements", "Measurements"),
]
ALLERGIES = {"ketamine_hypersensitivity": "ketamine/esketamine hypersensitivity"}
# Substance-use questions: key -> (words used in evidence, allowed answers).
SUBSTANCES = {
    "ketamine_nonmedical": ("non-medical ketamine use", ("never", "past", "current")),
    "substance_use_disorder": ("history of substance use disorder", ("yes", "no", "unsure")),
    "cannabis": ("cannabis use", ("none", "occasional", "daily")),
}
PREGNANCY_STATUSES = ("not_applicable", "not_pregnant", "pregnant", "unsure")
BREASTFEEDING_ANSWERS = ("yes", "no")
# Physiological plausibility (clinical reference): a threshold outside these is a typo.
SYSTOLIC_RANGE = (50, 300)
DIASTOLIC_RANGE = (20, 200)
MISSING_PREGNANCY_AGES = (12, 55)

# A trial counts as adequate when marked so, or (unmarked) when it lasted at least this many weeks:
# the usual 6-week adequacy rule for an antidepressant at a therapeutic dose.
ADEQUATE_TRIAL_WEEKS = 6
TRIAL_KINDS = ("antidepressant", "augmentation")
FAILED_OUTCOMES = ("none", "partial")
# Treatment-resistant depression: failure of at least this many adequate trials.
TRD_MIN_FAILED_TRIALS = 2

RULES_FILE = Path(__file__).with_name("screening_rules.json")

_CONDITION_LABELS = dict(CONDITIONS)
_DRUG_CLASS_KEYS = {key for key, _label in DRUG_CLASSES}
_SECTION_LABELS = dict(SECTIONS)
# Short class names for evidence text (the form labels carry their own parentheses).
_CLASS_WORDS = {
    "none": "none of the listed classes",
    "benzodiazepine": "benzodiazepine",
    "lamotrigine": "lamotrigine",
    "maoi": "MAOI",
    "psychostimulant": "psychostimulant",
    "opioid": "opioid",
    "sedative_hypnotic": "non-benzodiazepine sedative hypnotic",
    "other": "other",
}
_CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RULE_KEYS = {"code", "label", "kind", "when", "reason", "active"}
# when-form -> modifiers it may carry.
_FORMS = {
    "condition": {"answers"},
    "all_conditions": {"answers"},
    "medication_class": set(),
    "allergy": {"answers"},
    "pregnancy_status": set(),
    "breastfeeding": set(),
    "bp_at_least": set(),
    "age_below": set(),
    "substance": {"in"},
    "missing_section": set(),
    "missing_conditions": set(),
    "missing_pregnancy": set(),
    "missing_weight": set(),
}


@dataclass(frozen=True)
class Finding:
    code: str
    label: str
    kind: str
    reason: str
    evidence: str  # the data the finding came from, in words


# --- validation -------------------------------------------------------------------------------


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_answers(where, answers, allowed):
    if not isinstance(answers, list) or not answers or not all(isinstance(a, str) for a in answers):
        raise ValueError(f"{where}: answers must be a non-empty list of strings from {list(allowed)}")
    unknown = [a for a in answers if a not in allowed]
    if unknown:
        raise ValueError(f"{where}: unknown answer(s) {unknown}; allowed: {list(allowed)}")


def _check_condition_key(where, key):
    if key not in _CONDITION_LABELS:
        raise ValueError(f"{where}: unknown condition key {key!r}; known: {list(_CONDITION_LABELS)}")


def validate_rule(rule: dict) -> None:
    """Raise ValueError, naming the rule and the problem, unless `rule` is a well-formed rule."""
    if not isinstance(rule, dict):
        raise ValueError(f"A rule must be a dict, not {type(rule).__name__}")
    code = rule.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise ValueError(f"Rule code {code!r} must be a kebab-case string such as 'raised-eye-pressure'")
    where = f"Rule {code!r}"
    extra = sorted(set(rule) - _RULE_KEYS)
    if extra:
        raise ValueError(f"{where}: unknown field(s) {extra}; allowed: {sorted(_RULE_KEYS)}")
    for field in ("label", "reason"):
        if not isinstance(rule.get(field), str) or not rule[field].strip():
            raise ValueError(f"{where}: {field} must be a non-empty string")
    if rule.get("kind") not in KINDS:
        raise ValueError(f"{where}: unknown kind {rule.get('kind')!r}; allowed: {list(KINDS)}")
    if "active" in rule and not isinstance(rule["active"], bool):
        raise ValueError(f"{where}: active must be true or false")
    when = rule.get("when")
    if not isinstance(when, dict):
        raise ValueError(f"{where}: when must be a dict holding exactly one condition form")
    forms = [key for key in when if key in _FORMS]
    if len(forms) != 1:
        unknown = sorted(set(when) - set(_FORMS) - {"answers", "in"})
        detail = f"unknown form(s) {unknown}" if unknown else f"found {forms or 'none'}"
        raise ValueError(f"{where}: when needs exactly one form of {sorted(_FORMS)}; {detail}")
    form = forms[0]
    extra = sorted(set(when) - {form} - _FORMS[form])
    if extra:
        raise ValueError(f"{where}: when-form {form!r} does not take {extra}")
    value = when[form]
    where = f"{where} ({form})"

    if form == "condition":
        _check_condition_key(where, value)
    elif form == "all_conditions":
        if not isinstance(value, list) or not value:
            raise ValueError(f"{where}: needs a non-empty list of condition keys")
        for key in value:
            _check_condition_key(where, key)
    elif form == "medication_class":
        if value not in _DRUG_CLASS_KEYS or value == "none":
            known = sorted(_DRUG_CLASS_KEYS - {"none"})
            raise ValueError(f"{where}: unknown drug class {value!r}; known: {known}")
    elif form == "allergy":
        if value not in ALLERGIES:
            raise ValueError(f"{where}: unknown allergy {value!r}; known: {list(ALLERGIES)}")
    elif form == "pregnancy_status":
        statuses = value if isinstance(value, list) else [value]
        _check_answers(where, statuses, PREGNANCY_STATUSES)
    elif form == "breastfeeding":
        if value not in BREASTFEEDING_ANSWERS:
            raise ValueError(f"{where}: must be one of {list(BREASTFEEDING_ANSWERS)}, not {value!r}")
    elif form == "bp_at_least":
        _validate_bp(where, value)
    elif form == "age_below":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 130:
            raise ValueError(f"{where}: must be a whole number of years from 1 to 130, not {value!r}")
    elif form == "substance":
        if value not in SUBSTANCES:
            raise ValueError(f"{where}: unknown substance {value!r}; known: {list(SUBSTANCES)}")
        if "in" not in when:
            raise ValueError(f"{where}: needs 'in': a list of answers that make the rule fire")
        _check_answers(where, when["in"], SUBSTANCES[value][1])
    elif form == "missing_section":
        if value not in _SECTION_LABELS:
            raise ValueError(f"{where}: unknown section {value!r}; known: {list(_SECTION_LABELS)}")
    elif form in ("missing_conditions", "missing_weight"):
        if value is not True:
            raise ValueError(f"{where}: must be true")
    elif form == "missing_pregnancy":
        _validate_pregnancy_ages(where, value)

    if "answers" in when:
        allowed = ANSWERS if form != "allergy" else ("yes", "unsure")
        _check_answers(where, when["answers"], allowed)


def _validate_bp(where, value):
    if not isinstance(value, dict) or not value:
        raise ValueError(f"{where}: needs a dict with systolic and/or diastolic thresholds")
    extra = sorted(set(value) - {"systolic", "diastolic"})
    if extra:
        raise ValueError(f"{where}: unknown threshold(s) {extra}; use systolic and diastolic")
    for name, (low, high) in (("systolic", SYSTOLIC_RANGE), ("diastolic", DIASTOLIC_RANGE)):
        if name in value and (not _is_number(value[name]) or not low <= value[name] <= high):
            raise ValueError(
                f"{where}: {name} threshold must be a number from {low} to {high}, not {value[name]!r}"
            )
    if "systolic" in value and "diastolic" in value and value["diastolic"] >= value["systolic"]:
        raise ValueError(f"{where}: diastolic threshold must be below the systolic threshold")


def _validate_pregnancy_ages(where, value):
    if value is True:
        return
    if not isinstance(value, dict) or set(value) != {"min_age", "max_age"}:
        raise ValueError(f"{where}: must be true or {{'min_age': 12, 'max_age': 55}}")
    low, high = value["min_age"], value["max_age"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not 0 <= low <= high:
        raise ValueError(f"{where}: min_age and max_age must be whole numbers with min_age <= max_age")


def validate_rules(rules: list[dict]) -> None:
    """Validate every rule and that codes are unique."""
    if not isinstance(rules, list):
        raise ValueError("Rules must be a list")
    seen = set()
    for rule in rules:
        validate_rule(rule)
        if rule["code"] in seen:
            raise ValueError(f"Rule code {rule['code']!r} is used twice")
        seen.add(rule["code"])


def load_default_rules() -> list[dict]:
    """The shipped default rules (screening_rules.json), validated."""
    rules = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    validate_rules(rules)
    return rules


# --- evaluation -------------------------------------------------------------------------------


def _source(facts, *keys):
    sources = facts.get("sources") or {}
    for key in keys:
        if sources.get(key):
            return sources[key]
    return ""


def _with_source(text, source):
    return f"{text} ({source})" if source else text


def _conditions_source(facts):
    return _source(facts, "conditions", "medical_history")


def _num(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe_medication(med):
    words = " ".join(str(med.get(k) or "").strip() for k in ("name", "dose", "frequency"))
    words = " ".join(words.split()) or "Unnamed medication"
    drug_class = med.get("drug_class")
    return f"{words} ({_CLASS_WORDS.get(drug_class, drug_class)})" if drug_class else words


def _eval_condition(facts, when, keys):
    answers = when.get("answers", ["yes"])
    given = facts.get("conditions") or {}
    if not all(given.get(key) in answers for key in keys):
        return None
    parts = ", ".join(f"“{_CONDITION_LABELS[key]}” answered {given[key]}" for key in keys)
    return _with_source(f"Medical history: {parts}", _conditions_source(facts))


def _eval_medication_class(facts, drug_class):
    meds = [m for m in facts.get("medications") or [] if m.get("drug_class") == drug_class]
    if not meds:
        return None
    noun = "Current medication" if len(meds) == 1 else "Current medications"
    source = _source(facts, "medications")
    head = f"{noun} ({source})" if source else noun
    return f"{head}: " + "; ".join(_describe_medication(m) for m in meds)


def _eval_allergy(facts, when, key):
    allergies = facts.get("allergies") or {}
    answer = allergies.get(key)
    if answer not in when.get("answers", ["yes"]):
        return None
    text = f"Allergies: {ALLERGIES[key]} answered {answer}"
    details = str(allergies.get("details") or "").strip()
    if details:
        text += f"; details: “{details}”"
    return _with_source(text, _source(facts, "allergies"))


def _eval_bp(facts, limits):
    m = facts.get("measurements") or {}
    sbp, dbp = m.get("bp_systolic"), m.get("bp_diastolic")
    high_s = "systolic" in limits and sbp is not None and sbp >= limits["systolic"]
    high_d = "diastolic" in limits and dbp is not None and dbp >= limits["diastolic"]
    if not (high_s or high_d):
        return None
    reading = f"{_num(sbp) if sbp is not None else '?'}/{_num(dbp) if dbp is not None else '?'} mmHg"
    if "systolic" in limits and "diastolic" in limits:
        limit = f"≥ {_num(limits['systolic'])}/{_num(limits['diastolic'])}"
    elif "systolic" in limits:
        limit = f"(systolic ≥ {_num(limits['systolic'])})"
    else:
        limit = f"(diastolic ≥ {_num(limits['diastolic'])})"
    return _with_source(f"Blood pressure {reading} {limit}", _source(facts, "measurements"))


def _eval_missing_conditions(facts):
    given = facts.get("conditions") or {}
    unanswered = [label for key, label in CONDITIONS if given.get(key) not in ANSWERS]
    unsure = [label for key, label in CONDITIONS if given.get(key) == "unsure"]
    if not unanswered and not unsure:
        return None
    if len(unanswered) == len(CONDITIONS):
        return f"Medical history checklist: none of the {len(CONDITIONS)} items answered"
    parts = []
    if unanswered:
        parts.append("not answered: " + ", ".join(f"“{x}”" for x in unanswered))
    if unsure:
        parts.append("answered unsure: " + ", ".join(f"“{x}”" for x in unsure))
    return _with_source("Medical history checklist " + "; ".join(parts), _conditions_source(facts))


def _eval_missing_pregnancy(facts, value):
    low, high = (value["min_age"], value["max_age"]) if isinstance(value, dict) else MISSING_PREGNANCY_AGES
    sex, age = facts.get("sex_at_birth"), facts.get("age")
    if sex not in ("female", "intersex") or (age is not None and not low <= age <= high):
        return None
    status = (facts.get("pregnancy") or {}).get("status")
    if status in PREGNANCY_STATUSES and status != "unsure":
        return None
    state = "answered unsure" if status == "unsure" else "not recorded"
    who = f"sex at birth {sex}, " + (f"age {age}" if age is not None else "age unknown")
    return f"Pregnancy status {state} ({who}; asked at ages {low}–{high})"


def _evaluate(rule, facts):
    """Evidence text when the rule fires, else None."""
    when = rule["when"]
    form = next(key for key in when if key in _FORMS)
    value = when[form]
    if form == "condition":
        return _eval_condition(facts, when, [value])
    if form == "all_conditions":
        return _eval_condition(facts, when, value)
    if form == "medication_class":
        return _eval_medication_class(facts, value)
    if form == "allergy":
        return _eval_allergy(facts, when, value)
    if form == "pregnancy_status":
        status = (facts.get("pregnancy") or {}).get("status")
        statuses = value if isinstance(value, list) else [value]
        if status in statuses:
            return _with_source(f"Pregnancy status: {status.replace('_', ' ')}", _source(facts, "pregnancy"))
        return None
    if form == "breastfeeding":
        answer = (facts.get("pregnancy") or {}).get("breastfeeding")
        return (
            _with_source(f"Breastfeeding: {answer}", _source(facts, "pregnancy")) if answer == value else None
        )
    if form == "bp_at_least":
        return _eval_bp(facts, value)
    if form == "age_below":
        age = facts.get("age")
        return f"Age {age} (below {value})" if age is not None and age < value else None
    if form == "substance":
        answer = (facts.get("substance_use") or {}).get(value)
        if answer in when["in"]:
            return _with_source(
                f"Substance use: {SUBSTANCES[value][0]} — {answer}", _source(facts, "substance_use")
            )
        return None
    if form == "missing_section":
        entered = (facts.get("sections") or {}).get(value)
        return None if entered else f"{_SECTION_LABELS[value]} section not entered"
    if form == "missing_conditions":
        return _eval_missing_conditions(facts)
    if form == "missing_pregnancy":
        return _eval_missing_pregnancy(facts, value)
    if form == "missing_weight":
        weight = (facts.get("measurements") or {}).get("weight_kg")
        return "No weight recorded" if not _is_number(weight) or weight <= 0 else None
    raise AssertionError(form)  # pragma: no cover - validate_rule rejects unknown forms


def screen(facts: dict, rules: list[dict]) -> list[Finding]:
    """One Finding per active rule that fires: in KINDS order, then in rule order.

    Every rule is validated first (ValueError on a bad rule) so a mistyped rule can never be
    silently skipped.
    """
    validate_rules(rules)
    findings = []
    for rule in rules:
        if not rule.get("active", True):
            continue
        evidence = _evaluate(rule, facts)
        if evidence is not None:
            findings.append(Finding(rule["code"], rule["label"], rule["kind"], rule["reason"], evidence))
    return sorted(findings, key=lambda f: KINDS.index(f.kind))  # sorted() is stable: rule order kept


def has_absolute(findings) -> bool:
    return any(f.kind == "absolute" for f in findings)


def summarize(findings) -> dict[str, int]:
    """Counts per kind, every kind present (0 when none)."""
    counts = dict.fromkeys(KINDS, 0)
    for f in findings:
        counts[f.kind] += 1
    return counts


# --- prior treatments -------------------------------------------------------------------------


def _is_adequate(trial, min_weeks):
    if trial.get("kind") not in TRIAL_KINDS:
        return False
    adequate = trial.get("adequate")
    if adequate is None:
        weeks = trial.get("duration_weeks")
        return _is_number(weeks) and weeks >= min_weeks
    return adequate is True


def adequate_trials(prior_treatments: list[dict], min_weeks: int = ADEQUATE_TRIAL_WEEKS) -> int:
    """Adequate antidepressant/augmentation trials, whatever their outcome.

    A trial is adequate when the clinician marked it adequate; when not marked (adequate None), the
    usual 6-week rule applies: it counts if it lasted at least `min_weeks` weeks. A trial marked
    adequate=False never counts. ECT, TMS, psychotherapy, (es)ketamine and other treatments are
    not counted.
    """
    return sum(1 for t in prior_treatments or [] if _is_adequate(t, min_weeks))


def failed_adequate_trials(prior_treatments: list[dict], min_weeks: int = ADEQUATE_TRIAL_WEEKS) -> int:
    """Adequate antidepressant/augmentation trials whose outcome was no or partial response.

    'response' is not a failure; 'not_tolerated' and 'unknown' are not counted as failures either.
    """
    return sum(
        1
        for t in prior_treatments or []
        if _is_adequate(t, min_weeks) and t.get("outcome") in FAILED_OUTCOMES
    )


def is_treatment_resistant(prior_treatments: list[dict], min_weeks: int = ADEQUATE_TRIAL_WEEKS) -> bool:
    """Treatment-resistant depression: failure (none/partial) of at least 2 adequate trials."""
    return failed_adequate_trials(prior_treatments, min_weeks) >= TRD_MIN_FAILED_TRIALS
