"""A validated fhir.resources model as the JSON text its ``model_dump_json()`` gives, several times faster.

The library serialises in Python, element by element, asking pydantic for every field's metadata
each time (what type it is, its alias, whether it is primitive): in a bulk export that was half the
time, more than validation. The element order, the names, the values and the rules (``resourceType``
first, empty lists and None left out, a primitive's ``_element`` extension after it, a Decimal as an
int when it is whole) do not change from one instance to the next, so they are worked out once per
model class here and each instance is only walked. What the walk meets and does not know (a value of a
type the export never makes) makes ``dump`` fall back to the library's own serialiser for that
resource, so the result is always the library's. interop/tests/test_bulk_json.py holds the two to the
same bytes on every resource of a record.
"""

import datetime
import decimal
import uuid
from functools import cache

from fhir_core.fhirabstractmodel import FHIR_COMMENTS_FIELD_NAME, FHIRAbstractModel
from fhir_core.utils import get_base64_encoder, is_primitive_type
from pydantic_core import to_json

#: Written by pydantic's JSON encoder itself, in the library's serialiser as here.
_AS_THEY_ARE = (str, bool, int, float, datetime.datetime, datetime.date, datetime.time)


class _Unknown(Exception):
    """A value the walk does not know how to write as the library would."""


def dump(resource):
    """``resource.model_dump_json()`` as bytes."""
    try:
        return to_json(_plain(resource))
    except _Unknown:
        return resource.model_dump_json().encode()


@cache
def _elements(model_class):
    """(JSON name, attribute, primitive?, base64 encoder, extension attribute, its JSON name) for each
    element of ``model_class`` in the specification's order, as the library's serialiser reads them."""
    aliases = model_class.get_alias_mapping()
    fields = model_class.model_fields
    elements = []
    for element in model_class.elements_sequence():
        name = aliases[element]
        info = fields[name]
        primitive = is_primitive_type(info)
        extension = f"{name}__ext" if primitive and f"{name}__ext" in fields else None
        elements.append(
            (
                info.alias or name,
                name,
                primitive,
                get_base64_encoder(info) if primitive else None,
                extension,
                extension and (fields[extension].alias or extension),
            )
        )
    return model_class.__resource_type__ if model_class.has_resource_base() else None, tuple(elements)


def _plain(model):
    resource_type, elements = _elements(type(model))
    values = model.__dict__
    out = {"resourceType": resource_type} if resource_type else {}
    for key, name, primitive, encoder, extension, extension_key in elements:
        value = values.get(name)
        if value is not None:
            value = _primitive(value, encoder) if primitive else _complex(value)
            if value != []:
                out[key] = value
        if extension:
            extra = values.get(extension)
            if extra:
                out[extension_key] = _complex(extra)
    comments = values.get(FHIR_COMMENTS_FIELD_NAME)
    if comments is not None:
        out[FHIR_COMMENTS_FIELD_NAME] = comments
    return out


def _complex(value):
    if isinstance(value, FHIRAbstractModel):
        return _plain(value)
    if isinstance(value, list):
        return [None if item is None else _complex(item) for item in value]
    raise _Unknown(type(value))


def _primitive(value, encoder):
    if isinstance(value, _AS_THEY_ARE):
        return value
    if isinstance(value, list):
        return [None if item is None else _primitive(item, encoder) for item in value]
    if isinstance(value, (bytes, bytearray)) and encoder:
        return encoder.encode(value)
    if isinstance(value, uuid.UUID):
        return f"urn:uuid:{value}"
    if isinstance(value, decimal.Decimal):
        whole = value.is_finite() and value == value.to_integral_value() and value.as_tuple().exponent >= 0
        return int(value) if whole else float(value)
    raise _Unknown(type(value))
