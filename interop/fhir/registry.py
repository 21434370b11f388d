"""Which function builds which FHIR resource type.

Each mapping module registers one small function per resource type with ``@builds("Observation")``;
the function takes model objects (and the export's ``Context``) and returns validated
fhir.resources models. The registry is what an import would hang on later: a ``reads("Observation")``
beside each builder that turns a resource back into model values, matched on the resources' ids (the
objects' external_id UUIDs, see interop.fhir.context). Import is not built.
"""

from fhir.resources.R4B import get_fhir_model_class

#: resource type -> the functions that build it, in registration order.
BUILDERS = {}


def builds(resource_type):
    def register(function):
        BUILDERS.setdefault(resource_type, []).append(function)
        function.resource_type = resource_type
        return function

    return register


def make(data):
    """Validate ``data`` (a resource as a dict, FHIR names) as the fhir.resources model of its type.

    Construction checks structure, cardinality, required elements and primitive formats; it raises
    pydantic's ValidationError on a mistake. (Value-set bindings such as Observation.status are not
    checked by the library.)"""
    return get_fhir_model_class(data["resourceType"]).model_validate(data)
