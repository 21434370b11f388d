"""Answer patterns for generated questionnaire responses, scored by the real engine.

A bulk insert cannot call ``assessments.scoring`` row by row, so each instrument gets a pool of answer
sets for every possible total, scored here once by ``scoring.clean_answers`` and ``scoring.score``; the
SQL then picks a pattern by (instrument, total, variant). Every stored total, band, subscale, domain
and alert is therefore exactly what submitting those answers in the portal would have stored.
"""

import json
import random

from assessments import scoring

#: Answer sets per (instrument, total). Enough that a patient's course does not repeat one pattern.
VARIANTS = 6


def _values(definition, item):
    options = item["options"]
    if isinstance(options, str):
        options = definition["option_sets"][options]
    return sorted(option["value"] for option in options)


def _spread(rng, maxima, total):
    """Per-item values within each item's maximum that add up to ``total``, spread at random."""
    values = [0] * len(maxima)
    left = total
    order = list(range(len(maxima)))
    while left:
        rng.shuffle(order)
        for index in order:
            if left and values[index] < maxima[index]:
                values[index] += 1
                left -= 1
    return values


def patterns_for(definition, rng, *, risk_item=None):
    """Rows (total, variant, answers, subscales, domains, band, alerts) for an "items" instrument whose
    total is the sum of its scored items (PHQ-9, GAD-7, PCL-5). ``risk_item`` (PHQ-9 item 9) is kept at 0
    except in the last variant of totals of 10 and above, so risk alerts stay the exception."""
    scored = [item for item in definition["items"] if item.get("scored", True) is not False]
    unscored = [item for item in definition["items"] if item.get("scored", True) is False]
    low, high = definition["scoring"]["min"], definition["scoring"]["max"]
    rows = []
    for total in range(low, high + 1):
        for variant in range(VARIANTS):
            with_risk = risk_item is not None and variant == VARIANTS - 1 and total >= 10
            maxima = [
                0 if item["id"] == risk_item and not with_risk else max(_values(definition, item))
                for item in scored
            ]
            if sum(maxima) < total:
                maxima = [max(_values(definition, item)) for item in scored]
            values = _spread(rng, maxima, total)
            if with_risk:
                position = next(i for i, item in enumerate(scored) if item["id"] == risk_item)
                if values[position] == 0:
                    donor = max(range(len(values)), key=lambda i: values[i])
                    values[donor] -= 1
                    values[position] = 1
            raw = {item["id"]: value for item, value in zip(scored, values, strict=True)}
            for item in unscored:
                raw[item["id"]] = rng.choice(_values(definition, item)[:3])
            answers = scoring.clean_answers(definition, raw)
            result = scoring.score(definition, answers)
            rows.append(
                (
                    result.total,
                    variant,
                    json.dumps(answers),
                    json.dumps(result.subscales),
                    json.dumps(result.domains),
                    result.band or "",
                    json.dumps(list(result.alerts)),
                )
            )
    return rows


def pattern_rows(versions, seed):
    """(version_id, total, variant, answers, subscales, domains, band, alerts) for each version given as
    {code: InstrumentVersion} (PHQ-9, GAD-7, PCL-5)."""
    rng = random.Random(seed)
    rows = []
    for code, version in sorted(versions.items()):
        risk_item = "9" if code == "PHQ-9" else None
        for row in patterns_for(version.definition, rng, risk_item=risk_item):
            rows.append((version.pk, *row))
    return rows
