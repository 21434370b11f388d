"""Rating-scale definitions (JSON data in assessments/instruments) and the engine that scores them.

Plain functions over dicts: no models, no Django. A definition describes the items, how answers
become a total (sums, highest-of domains, subscales), the severity bands, alerts and what counts
as response or remission. Two entry modes:

- "items": every asked item is answered; answers are {item id: option value}.
- "totals": the item wording is licensed and not shipped (CADSS), so staff enter the total
  (answers["total"]) and optionally each subscale (answers["subscale:<id>"]).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"

TOTAL_KEY = "total"
SUBSCALE_PREFIX = "subscale:"

MISSING = "Answer this question."
NOT_LISTED = "Choose one of the listed answers."

_TOP_LEVEL_REQUIRED = (
    "code",
    "version",
    "name",
    "instructions",
    "licence",
    "loinc",
    "reference",
    "option_sets",
    "items",
    "scoring",
    "entry",
    "bands",
    "alerts",
    "outcomes",
)
_TOP_LEVEL_OPTIONAL = ("cutoff",)
_ITEM_KEYS = {"id", "text", "options", "scored", "ask_if", "subscale"}
_SCORING_KEYS = {"min", "max", "total", "domains", "subscales"}
_GROUP_KEYS = {"id", "label", "method", "items", "min", "max"}
_BAND_KEYS = {"min", "max", "label"}
_ALERT_KEYS = {"id", "item", "at_least", "total_at_least", "risk", "message"}
_OUTCOME_KEYS = {"lower_is_better", "response_fall", "remission_below", "remission_at_most"}
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


class AnswerError(ValueError):
    """Answers that cannot be scored. `errors` maps each answer key to a message for the person."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        detail = "; ".join(f"{key}: {message}" for key, message in self.errors.items())
        super().__init__(f"{len(self.errors)} answer(s) need attention: {detail}")


@dataclass(frozen=True)
class Score:
    total: int
    subscales: dict[str, int]
    domains: dict[str, int]
    band: str | None
    alerts: tuple[dict, ...]
    cutoff_met: bool | None


def subscale_key(subscale_id: str) -> str:
    """The answers key for an entered subscale score in "totals" entry mode."""
    return f"{SUBSCALE_PREFIX}{subscale_id}"


# Loading and validation ---------------------------------------------------------------------------


def load_definition(path) -> dict:
    with open(path, encoding="utf-8") as handle:
        definition = json.load(handle)
    try:
        validate_definition(definition)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    return definition


def shipped_definitions() -> list[dict]:
    definitions = [load_definition(path) for path in sorted(INSTRUMENTS_DIR.glob("*.json"))]
    codes = [definition["code"] for definition in definitions]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"More than one shipped definition has the code {', '.join(duplicates)}.")
    return sorted(definitions, key=lambda definition: definition["code"])


def validate_definition(definition) -> None:
    """Raise ValueError naming the first problem found in a definition."""
    if not isinstance(definition, dict):
        raise ValueError("A definition must be a JSON object.")
    missing = [key for key in _TOP_LEVEL_REQUIRED if key not in definition]
    if missing:
        raise ValueError(f"Definition is missing {', '.join(missing)}.")
    _no_unknown_keys(definition, set(_TOP_LEVEL_REQUIRED) | set(_TOP_LEVEL_OPTIONAL), "definition")
    code = definition["code"]
    if not isinstance(code, str) or not code.strip():
        raise ValueError("code must be a non-empty string.")
    where = f"{code}:"
    for key in ("version", "name", "instructions", "licence", "reference"):
        if not isinstance(definition[key], str) or not definition[key].strip():
            raise ValueError(f"{where} {key} must be a non-empty string.")
    if definition["loinc"] is not None and not isinstance(definition["loinc"], str):
        raise ValueError(f"{where} loinc must be a string or null.")
    entry = definition["entry"]
    if entry not in ("items", "totals"):
        raise ValueError(f"{where} entry must be 'items' or 'totals', not {entry!r}.")

    _validate_option_sets(definition, where)
    _validate_items(definition, where)
    _validate_scoring(definition, where)
    _validate_bands(definition, where)
    _validate_alerts(definition, where)
    _validate_cutoff(definition, where)
    _validate_outcomes(definition, where)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _no_unknown_keys(mapping, allowed, what):
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ValueError(f"{what} has unknown key(s) {', '.join(unknown)}.")


def _validate_option_sets(definition, where):
    option_sets = definition["option_sets"]
    if not isinstance(option_sets, dict):
        raise ValueError(f"{where} option_sets must be an object.")
    for name, options in option_sets.items():
        if not isinstance(options, list) or not options:
            raise ValueError(f"{where} option set {name!r} must be a non-empty list.")
        values = []
        for option in options:
            if (
                not isinstance(option, dict)
                or set(option) != {"value", "label"}
                or not _is_int(option["value"])
                or not isinstance(option["label"], str)
            ):
                raise ValueError(
                    f"{where} option set {name!r} has an option that is not {{value: integer, label: text}}."
                )
            values.append(option["value"])
        if len(set(values)) != len(values):
            raise ValueError(f"{where} option set {name!r} lists a value more than once.")


def _validate_items(definition, where):
    items = definition["items"]
    if not isinstance(items, list):
        raise ValueError(f"{where} items must be a list.")
    if definition["entry"] == "totals" and items:
        raise ValueError(f"{where} a definition with totals entry has no items (items must be []).")
    scoring = definition["scoring"] if isinstance(definition["scoring"], dict) else {}
    subscales = scoring.get("subscales") if isinstance(scoring.get("subscales"), list) else []
    subscales = {
        group["id"]: group
        for group in subscales
        if isinstance(group, dict) and isinstance(group.get("id"), str)
    }
    seen = set()
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"{where} every item must be an object.")
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id:
            raise ValueError(f"{where} every item needs a string id.")
        _no_unknown_keys(item, _ITEM_KEYS, f"{where} item {item_id}")
        if item_id in seen:
            raise ValueError(f"{where} duplicate item id {item_id!r}.")
        seen.add(item_id)
        if not isinstance(item.get("text"), str) or not item["text"].strip():
            raise ValueError(f"{where} item {item_id} needs text.")
        if not isinstance(item.get("options"), str) or item["options"] not in definition["option_sets"]:
            raise ValueError(f"{where} item {item_id} uses unknown option set {item.get('options')!r}.")
        if not isinstance(item.get("scored", True), bool):
            raise ValueError(f"{where} item {item_id}: scored must be true or false.")
        if "ask_if" in item:
            ask_if = item["ask_if"]
            if (
                not isinstance(ask_if, dict)
                or set(ask_if) != {"total_above"}
                or not _is_int(ask_if["total_above"])
            ):
                raise ValueError(f'{where} item {item_id}: ask_if must be {{"total_above": integer}}.')
            # The condition is on the total of the scored items, so a scored item cannot depend on it.
            if item.get("scored", True):
                raise ValueError(f"{where} item {item_id}: only unscored items can have ask_if.")
        if "subscale" in item:
            if not isinstance(item["subscale"], str) or item["subscale"] not in subscales:
                raise ValueError(f"{where} item {item_id} belongs to unknown subscale {item['subscale']!r}.")
            if "items" in subscales[item["subscale"]]:
                raise ValueError(
                    f"{where} item {item_id} names subscale {item['subscale']!r}, which lists its own items; "
                    "use one or the other."
                )
            if not item.get("scored", True):
                raise ValueError(f"{where} item {item_id} is unscored and cannot belong to a subscale.")
    if definition["entry"] == "items" and not any(item.get("scored", True) for item in items):
        raise ValueError(f"{where} a definition with items entry needs at least one scored item.")


def _validate_scoring(definition, where):
    scoring = definition["scoring"]
    if not isinstance(scoring, dict):
        raise ValueError(f"{where} scoring must be an object.")
    _no_unknown_keys(scoring, _SCORING_KEYS, f"{where} scoring")
    if not _is_int(scoring.get("min")) or not _is_int(scoring.get("max")) or scoring["min"] > scoring["max"]:
        raise ValueError(f"{where} scoring needs whole-number min and max with min <= max.")
    totals_entry = definition["entry"] == "totals"
    group_methods = ("entered",) if totals_entry else ("sum", "max")
    scored_ids = {item["id"] for item in definition["items"] if item.get("scored", True)}
    all_ids = {item["id"] for item in definition["items"]}

    if totals_entry and scoring.get("domains"):
        raise ValueError(f"{where} domains need items; a totals-entry definition cannot have them.")
    for kind in ("domains", "subscales"):
        groups = scoring.get(kind, [])
        if not isinstance(groups, list):
            raise ValueError(f"{where} scoring.{kind} must be a list.")
        ids = set()
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("id"), str) or not group["id"]:
                raise ValueError(f"{where} every entry in scoring.{kind} needs a string id.")
            label = f"{where} {kind[:-1]} {group['id']!r}"
            _no_unknown_keys(group, _GROUP_KEYS, label)
            if group["id"] in ids:
                raise ValueError(f"{label} is listed twice.")
            ids.add(group["id"])
            if not isinstance(group.get("label"), str) or not group["label"].strip():
                raise ValueError(f"{label} needs a label.")
            if group.get("method") not in group_methods:
                raise ValueError(f"{label}: method must be one of {', '.join(group_methods)}.")
            if totals_entry:
                if "items" in group:
                    raise ValueError(f"{label}: an entered subscale has no items.")
                if (
                    not _is_int(group.get("min"))
                    or not _is_int(group.get("max"))
                    or group["min"] > group["max"]
                ):
                    raise ValueError(f"{label} needs whole-number min and max with min <= max.")
                continue
            members = _group_item_ids(definition, kind, group)
            if not members:
                raise ValueError(f"{label} has no items.")
            for item_id in members:
                if not isinstance(item_id, str) or item_id not in all_ids:
                    raise ValueError(f"{label} refers to unknown item {item_id!r}.")
                if item_id not in scored_ids:
                    raise ValueError(f"{label} refers to unscored item {item_id!r}.")

    total = scoring.get("total")
    if not isinstance(total, dict):
        raise ValueError(f"{where} scoring.total must be an object.")
    if totals_entry:
        if total != {"method": "entered"}:
            raise ValueError(
                f'{where} a totals-entry definition needs scoring.total {{"method": "entered"}}.'
            )
        return
    if (
        total.get("method") != "sum"
        or total.get("of") not in ("items", "domains", "subscales")
        or len(total) != 2
    ):
        raise ValueError(
            f'{where} scoring.total must be {{"method": "sum", "of": "items" | "domains" | "subscales"}}.'
        )
    if total["of"] != "items" and not scoring.get(total["of"]):
        raise ValueError(f"{where} scoring.total sums {total['of']} but none are defined.")

    # The declared ranges must be the ones the options actually allow: this catches a wrong max
    # (e.g. QIDS summed over 16 items gives 48, not 27) and a mistyped option value.
    item_ranges = _scored_item_ranges(definition)
    group_ranges = {}
    for kind in ("domains", "subscales"):
        for group in scoring.get(kind, []):
            low, high = _group_range(definition, kind, group, item_ranges)
            group_ranges.setdefault(kind, []).append((low, high))
            for bound, value in (("min", low), ("max", high)):
                if bound in group and group[bound] != value:
                    raise ValueError(
                        f"{where} {kind[:-1]} {group['id']!r} declares {bound} {group[bound]}, "
                        f"but its items give {value}."
                    )
    parts = list(item_ranges.values()) if total["of"] == "items" else group_ranges[total["of"]]
    low, high = sum(part[0] for part in parts), sum(part[1] for part in parts)
    if (scoring["min"], scoring["max"]) != (low, high):
        raise ValueError(
            f"{where} scoring declares a total range of {scoring['min']}-{scoring['max']}, "
            f"but the items give {low}-{high}."
        )


def _validate_bands(definition, where):
    bands = definition["bands"]
    if not isinstance(bands, list):
        raise ValueError(f"{where} bands must be a list.")
    if not bands:
        return
    for band in bands:
        if (
            not isinstance(band, dict)
            or set(band) != _BAND_KEYS
            or not _is_int(band["min"])
            or not _is_int(band["max"])
            or band["min"] > band["max"]
            or not isinstance(band["label"], str)
        ):
            raise ValueError(f"{where} every band needs whole-number min <= max and a label.")
    # Bands must cover the whole score range once: every possible total gets exactly one label.
    scoring = definition["scoring"]
    expected = scoring["min"]
    for band in sorted(bands, key=lambda band: band["min"]):
        if band["min"] > expected:
            raise ValueError(f"{where} bands leave a gap: no band covers {expected}-{band['min'] - 1}.")
        if band["min"] < expected:
            raise ValueError(f"{where} bands overlap at {band['min']} ({band['label']!r}).")
        expected = band["max"] + 1
    if expected - 1 != scoring["max"]:
        raise ValueError(f"{where} bands must end at the maximum score {scoring['max']}, not {expected - 1}.")


def _validate_alerts(definition, where):
    alerts = definition["alerts"]
    if not isinstance(alerts, list):
        raise ValueError(f"{where} alerts must be a list.")
    items = {item["id"]: item for item in definition["items"]}
    ids = set()
    for alert in alerts:
        if not isinstance(alert, dict) or not isinstance(alert.get("id"), str) or not alert["id"]:
            raise ValueError(f"{where} every alert needs a string id.")
        label = f"{where} alert {alert['id']!r}"
        _no_unknown_keys(alert, _ALERT_KEYS, label)
        if alert["id"] in ids:
            raise ValueError(f"{label} is listed twice.")
        ids.add(alert["id"])
        if not isinstance(alert.get("message"), str) or not alert["message"].strip():
            raise ValueError(f"{label} needs a message.")
        if not isinstance(alert.get("risk"), bool):
            raise ValueError(f"{label}: risk must be true or false.")
        if ("item" in alert) == ("total_at_least" in alert):
            raise ValueError(f"{label} needs either item with at_least, or total_at_least.")
        if "item" in alert:
            if not isinstance(alert["item"], str) or alert["item"] not in items:
                raise ValueError(f"{label} refers to unknown item {alert['item']!r}.")
            if not _is_int(alert.get("at_least")):
                raise ValueError(f"{label} needs a whole-number at_least.")
            values = _option_values(definition, items[alert["item"]])
            if alert["at_least"] > max(values):
                raise ValueError(f"{label} can never fire: item {alert['item']} goes up to {max(values)}.")
        else:
            if "at_least" in alert or not _is_int(alert["total_at_least"]):
                raise ValueError(f"{label} needs a whole-number total_at_least (and no at_least).")


def _validate_cutoff(definition, where):
    if "cutoff" not in definition:
        return
    cutoff = definition["cutoff"]
    scoring = definition["scoring"]
    if (
        not isinstance(cutoff, dict)
        or set(cutoff) != {"at_least", "label"}
        or not _is_int(cutoff["at_least"])
        or not isinstance(cutoff["label"], str)
    ):
        raise ValueError(f'{where} cutoff must be {{"at_least": integer, "label": text}}.')
    if not scoring["min"] <= cutoff["at_least"] <= scoring["max"]:
        raise ValueError(f"{where} cutoff {cutoff['at_least']} is outside the score range.")


def _validate_outcomes(definition, where):
    outcomes = definition["outcomes"]
    if outcomes is None:
        return
    if not isinstance(outcomes, dict):
        raise ValueError(f"{where} outcomes must be an object or null.")
    _no_unknown_keys(outcomes, _OUTCOME_KEYS, f"{where} outcomes")
    if not isinstance(outcomes.get("lower_is_better"), bool):
        raise ValueError(f"{where} outcomes.lower_is_better must be true or false.")
    fall = outcomes.get("response_fall")
    if isinstance(fall, bool) or not isinstance(fall, int | float) or not 0 < fall <= 1:
        raise ValueError(f"{where} outcomes.response_fall must be a fraction above 0 and at most 1.")
    if "remission_below" in outcomes and "remission_at_most" in outcomes:
        raise ValueError(f"{where} outcomes has both remission_below and remission_at_most; keep one.")
    for key in ("remission_below", "remission_at_most"):
        if key in outcomes and not _is_int(outcomes[key]):
            raise ValueError(f"{where} outcomes.{key} must be a whole number.")


# Structure helpers --------------------------------------------------------------------------------


def _items_by_id(definition) -> dict[str, dict]:
    return {item["id"]: item for item in definition["items"]}


def _option_values(definition, item) -> list[int]:
    return [option["value"] for option in definition["option_sets"][item["options"]]]


def _scored_items(definition) -> list[dict]:
    return [item for item in definition["items"] if item.get("scored", True)]


def _group_item_ids(definition, kind, group) -> list[str]:
    """A group's items: its own "items" list, or (subscales only) the items naming it as "subscale"."""
    if "items" in group:
        return list(group["items"]) if isinstance(group["items"], list) else []
    if kind == "subscales":
        return [item["id"] for item in definition["items"] if item.get("subscale") == group["id"]]
    return []


def _scored_item_ranges(definition) -> dict[str, tuple[int, int]]:
    ranges = {}
    for item in _scored_items(definition):
        values = _option_values(definition, item)
        ranges[item["id"]] = (min(values), max(values))
    return ranges


def _group_range(definition, kind, group, item_ranges):
    parts = [item_ranges[item_id] for item_id in _group_item_ids(definition, kind, group)]
    if group["method"] == "max":
        return max(part[0] for part in parts), max(part[1] for part in parts)
    return sum(part[0] for part in parts), sum(part[1] for part in parts)


def _apply(method, values):
    if not values:
        return 0
    return max(values) if method == "max" else sum(values)


def _groups(definition, kind, values) -> dict[str, int]:
    """Score each domain or subscale over the item values present (missing ones are left out)."""
    return {
        group["id"]: _apply(
            group["method"],
            [values[item_id] for item_id in _group_item_ids(definition, kind, group) if item_id in values],
        )
        for group in definition["scoring"].get(kind, [])
    }


def _items_total(definition, values) -> tuple[int, dict[str, int], dict[str, int]]:
    """Total, subscales and domains from item values; unscored items never count."""
    scored = {item["id"] for item in _scored_items(definition)}
    values = {key: value for key, value in values.items() if key in scored}
    domains = _groups(definition, "domains", values)
    subscales = _groups(definition, "subscales", values)
    of = definition["scoring"]["total"]["of"]
    if of == "domains":
        total = sum(domains.values())
    elif of == "subscales":
        total = sum(subscales.values())
    else:
        total = sum(values.values())
    return total, subscales, domains


def _is_asked(item, provisional_total) -> bool:
    ask_if = item.get("ask_if")
    return ask_if is None or provisional_total > ask_if["total_above"]


def _parse_whole_number(raw):
    """An int from a form string or a JSON number; None when blank; ValueError when not whole."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        if _WHOLE_NUMBER.fullmatch(text):
            return int(text)
    raise ValueError(raw)


def _parse_choice(definition, item, raw):
    """(value, error) for one item answer; both None when the item was left blank."""
    try:
        value = _parse_whole_number(raw)
    except ValueError:
        return None, NOT_LISTED
    if value is None:
        return None, None
    if value not in _option_values(definition, item):
        return None, NOT_LISTED
    return value, None


def _valid_scored_values(definition, answers) -> dict[str, int]:
    values = {}
    for item in _scored_items(definition):
        value, _error = _parse_choice(definition, item, answers.get(item["id"]))
        if value is not None:
            values[item["id"]] = value
    return values


# Public API ---------------------------------------------------------------------------------------


def asked_items(definition, answers) -> list[dict]:
    """The items to show, given the answers so far (raw or cleaned). Totals entry has no items."""
    if definition["entry"] == "totals":
        return []
    provisional_total, _subscales, _domains = _items_total(
        definition, _valid_scored_values(definition, answers or {})
    )
    return [item for item in definition["items"] if _is_asked(item, provisional_total)]


def unreadable_answers(definition, raw: dict) -> dict:
    """{key: message} for each answer given that can never be right, whatever else is answered: not
    one of its item's choices, or (totals entry) not a whole number in range. Blanks are not answers."""
    if definition["entry"] == "totals":
        scoring = definition["scoring"]
        bounds = {TOTAL_KEY: (scoring["min"], scoring["max"])} | {
            subscale_key(group["id"]): (group["min"], group["max"]) for group in scoring.get("subscales", [])
        }
        errors = {}
        for key, (low, high) in bounds.items():
            try:
                value = _parse_whole_number(raw.get(key))
            except ValueError:
                value = low - 1
            if value is not None and not low <= value <= high:
                errors[key] = f"Enter a whole number from {low} to {high}."
        return errors
    errors = {}
    for item in definition["items"]:
        _value, error = _parse_choice(definition, item, raw.get(item["id"]))
        if error:
            errors[item["id"]] = error
    return errors


def clean_answers(definition, raw: dict) -> dict:
    """Check and convert raw answers (form strings or ints) to {key: int}.

    Raises AnswerError listing every problem. Answers to items that are not asked, and keys the
    definition does not know, are dropped.
    """
    if definition["entry"] == "totals":
        return _clean_totals(definition, raw)

    cleaned, errors = {}, {}
    for item in definition["items"]:
        if "ask_if" in item:
            continue
        value, error = _parse_choice(definition, item, raw.get(item["id"]))
        if error:
            errors[item["id"]] = error
        elif value is None:
            errors[item["id"]] = MISSING
        else:
            cleaned[item["id"]] = value

    # Conditional items depend on the total of the scored items. When some scored answers are
    # missing or invalid the total is not known yet: the item is then only checked if answered.
    provisional_total, _subscales, _domains = _items_total(definition, cleaned)
    all_scored_known = not any(item["id"] in errors for item in _scored_items(definition))
    for item in definition["items"]:
        if "ask_if" not in item:
            continue
        asked = _is_asked(item, provisional_total)
        value, error = _parse_choice(definition, item, raw.get(item["id"]))
        if not asked and all_scored_known and not error:
            continue
        if error:
            errors[item["id"]] = error
        elif value is None:
            if asked:
                errors[item["id"]] = MISSING
        elif asked:
            cleaned[item["id"]] = value

    if errors:
        order = [item["id"] for item in definition["items"]]
        raise AnswerError({key: errors[key] for key in order if key in errors})
    return cleaned


def _clean_totals(definition, raw):
    scoring = definition["scoring"]
    cleaned, errors = {}, {}
    fields = [(TOTAL_KEY, scoring["min"], scoring["max"], True)]
    fields += [
        (subscale_key(group["id"]), group["min"], group["max"], False)
        for group in scoring.get("subscales", [])
    ]
    for key, low, high, required in fields:
        message = f"Enter a whole number from {low} to {high}."
        try:
            value = _parse_whole_number(raw.get(key))
        except ValueError:
            errors[key] = message
            continue
        if value is None:
            if required:
                errors[key] = "Enter the total score."
        elif not low <= value <= high:
            errors[key] = message
        else:
            cleaned[key] = value

    subscales = scoring.get("subscales", [])
    subscale_values = [cleaned.get(subscale_key(group["id"])) for group in subscales]
    # The subscales of the 23-item CADSS partition its items, so when every subscale is entered
    # they must add up to the total.
    if not errors and subscales and all(value is not None for value in subscale_values):
        added = sum(subscale_values)
        if added != cleaned[TOTAL_KEY]:
            count = _NUMBER_WORDS.get(len(subscales), str(len(subscales)))
            errors[TOTAL_KEY] = (
                f"The {count} subscale scores add up to {added}, not the total of {cleaned[TOTAL_KEY]}."
            )
    if errors:
        raise AnswerError(errors)
    return cleaned


def score(definition, answers) -> Score:
    """Score answers that clean_answers has already checked."""
    if definition["entry"] == "totals":
        if TOTAL_KEY not in answers:
            raise ValueError("score() needs cleaned answers with a total; call clean_answers first.")
        total = answers[TOTAL_KEY]
        subscales = {
            group["id"]: answers[subscale_key(group["id"])]
            for group in definition["scoring"].get("subscales", [])
            if subscale_key(group["id"]) in answers
        }
        domains = {}
    else:
        for item in _scored_items(definition):
            if item["id"] not in answers:
                raise ValueError(
                    f"score() needs cleaned answers: item {item['id']} is missing; call clean_answers first."
                )
        total, subscales, domains = _items_total(definition, answers)

    fired = []
    for alert in definition["alerts"]:
        if "item" in alert:
            value = answers.get(alert["item"])
            if value is not None and value >= alert["at_least"]:
                fired.append(alert)
        elif total >= alert["total_at_least"]:
            fired.append(alert)

    cutoff = definition.get("cutoff")
    return Score(
        total=total,
        subscales=subscales,
        domains=domains,
        band=band_for(definition, total),
        alerts=tuple(fired),
        cutoff_met=None if cutoff is None else total >= cutoff["at_least"],
    )


def band_for(definition, total) -> str | None:
    for band in definition["bands"]:
        if band["min"] <= total <= band["max"]:
            return band["label"]
    return None


def answer_label(definition, item_id, value) -> str:
    """The wording of the chosen option, for showing an answer. Entered totals show as numbers."""
    if definition["entry"] == "totals" and (item_id == TOTAL_KEY or item_id.startswith(SUBSCALE_PREFIX)):
        return str(_parse_whole_number(value))
    items = _items_by_id(definition)
    if item_id not in items:
        raise KeyError(f"{definition['code']} has no item {item_id!r}.")
    number = _parse_whole_number(value)
    for option in definition["option_sets"][items[item_id]["options"]]:
        if option["value"] == number:
            return option["label"]
    raise ValueError(f"{value!r} is not a listed answer to {definition['code']} item {item_id}.")


def change_from_baseline(baseline: int, latest: int) -> dict:
    points = latest - baseline
    percent = None if baseline == 0 else round(points / baseline * 100, 1)
    return {"points": points, "percent": percent}


def is_response(definition, baseline, latest) -> bool | None:
    """Response = the score improved by at least response_fall of the baseline
    (docs/clinical-reference.md: >= 50 %)."""
    outcomes = definition["outcomes"]
    if outcomes is None or baseline == 0:
        return None
    improvement = baseline - latest if outcomes["lower_is_better"] else latest - baseline
    # Fractions keep "exactly 50 %" exact: 20 -> 10 is a response, 20 -> 11 is not.
    return Fraction(improvement, baseline) >= Fraction(str(outcomes["response_fall"]))


def is_remission(definition, latest) -> bool | None:
    """Remission: PHQ-9 and GAD-7 below 5, QIDS-SR16 at most 5 (docs/clinical-reference.md); None when
    undefined."""
    outcomes = definition["outcomes"]
    if outcomes is None:
        return None
    if "remission_below" in outcomes:
        return latest < outcomes["remission_below"]
    if "remission_at_most" in outcomes:
        return latest <= outcomes["remission_at_most"]
    return None
