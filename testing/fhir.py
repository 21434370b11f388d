"""What the FHIR tests share: the references a resource (or any JSON) holds."""


def references(value, found=None):
    """Every ``reference`` string anywhere in a JSON value, in document order."""
    found = [] if found is None else found
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.append(value["reference"])
        for item in value.values():
            references(item, found)
    elif isinstance(value, list):
        for item in value:
            references(item, found)
    return found
