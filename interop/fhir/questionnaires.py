"""A Questionnaire for each instrument version the patient answered, and a QuestionnaireResponse for
each response. Instruments whose item wording is licensed (CADSS) ship their structure only: their
Questionnaire asks for the total and subscales, as the clinic enters them."""

from django.conf import settings

from assessments.scoring import SUBSCALE_PREFIX, TOTAL_KEY
from interop.fhir import codes
from interop.fhir.context import clinic_id, instant
from interop.fhir.observations import slug
from interop.fhir.registry import builds, make


def questionnaire_id(version):
    return clinic_id("questionnaire", version.instrument.code, version.version)


def questionnaire_url(version):
    return f"{settings.SITE_URL}/fhir/Questionnaire/{slug(version.instrument.code)}"


def _answer_system(version):
    return codes.local_system(f"answers-{slug(version.instrument.code)}")


def _options(definition, item):
    return definition.get("option_sets", {}).get(item.get("options"), [])


def _entered_items(definition):
    """(linkId, text) of what is entered for an instrument in "totals" entry mode."""
    rows = [(TOTAL_KEY, "Total score")]
    for group in definition.get("scoring", {}).get("subscales", []):
        rows.append((f"{SUBSCALE_PREFIX}{group['id']}", f"{group.get('label', group['id'])} subscale score"))
    return rows


@builds("Questionnaire")
def questionnaire(ctx, version):
    definition = version.definition
    system = _answer_system(version)
    if definition.get("entry") == "totals":
        items = [
            {"linkId": link, "text": text, "type": "integer"} for link, text in _entered_items(definition)
        ]
    else:
        items = []
        for item in definition.get("items", []):
            options = _options(definition, item)
            entry = {"linkId": str(item["id"]), "text": item.get("text") or f"Item {item['id']}"}
            if options:
                entry["type"] = "choice"
                entry["answerOption"] = [
                    {"valueCoding": codes.coding(system, str(option["value"]), option.get("label"))}
                    for option in options
                ]
            else:
                entry["type"] = "integer"
            items.append(entry)
    data = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(version),
        "url": questionnaire_url(version),
        "version": version.version,
        "name": slug(version.instrument.code).replace("-", "_").upper(),
        "title": definition.get("name") or version.instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }
    if version.created_at:
        data["date"] = instant(version.created_at)
    if definition.get("instructions"):
        data["description"] = definition["instructions"]
    if definition.get("licence"):
        data["copyright"] = definition["licence"]
    return [make(data)]


@builds("QuestionnaireResponse")
def questionnaire_response(ctx, response):
    version = response.version
    definition = version.definition
    system = _answer_system(version)
    texts = dict(_entered_items(definition)) if definition.get("entry") == "totals" else {}
    labels = {}
    for item in definition.get("items", []):
        texts[str(item["id"])] = item.get("text") or f"Item {item['id']}"
        labels[str(item["id"])] = {str(o["value"]): o.get("label") for o in _options(definition, item)}
    items = []
    for link, value in (response.answers or {}).items():
        if value is None:
            continue
        if link in labels and str(value) in labels[link]:
            answer = {"valueCoding": codes.coding(system, str(value), labels[link][str(value)])}
        elif isinstance(value, int):
            answer = {"valueInteger": value}
        else:
            answer = {"valueString": str(value)}
        entry = {"linkId": str(link), "answer": [answer]}
        if texts.get(str(link)):
            entry["text"] = texts[str(link)]
        items.append(entry)
    author = ctx.subject if response.mode == "portal" else ctx.signer(response.entered_by)
    data = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.external_id),
        "questionnaire": f"{questionnaire_url(version)}|{version.version}",
        "status": "completed",
        "subject": ctx.subject,
        "authored": instant(response.completed_at),
        "author": author,
        "source": ctx.subject if response.mode == "portal" else author,
        "item": items,
    }
    return [make(data)]
