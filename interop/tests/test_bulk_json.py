"""interop.bulk_json writes a validated resource byte for byte as fhir.resources' ``model_dump_json()``:
on every resource of a charted record, on the shapes the record never holds (primitive extensions,
comments, decimals, base64, nulls in lists, contained resources), and by falling back to the library
for a value it does not know."""

from datetime import timedelta

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from interop.bulk_json import dump
from interop.fhir import patient_resources
from testing.charting import charted_session
from testing.factories import PatientFactory


def _library(resource):
    return resource.model_dump_json().encode()


def test_every_resource_of_a_charted_record_is_written_as_the_library_writes_it(nurse, prescriber):
    start = timezone.now() - timedelta(days=3)
    iv = PatientFactory()
    charted_session(iv, nurse, prescriber, start=start, adverse_event=True)
    esketamine = PatientFactory()
    charted_session(esketamine, nurse, prescriber, route="intranasal", start=start)
    resources = patient_resources(iv) + patient_resources(esketamine)
    assert len({resource.get_resource_type() for resource in resources}) > 5
    for resource in resources:
        assert dump(resource) == _library(resource), resource.get_resource_type()


def _make(data):
    return get_fhir_model_class(data["resourceType"]).model_validate(data)


@pytest.mark.parametrize(
    "data",
    [
        {
            "resourceType": "Patient",
            "id": "by-hand",
            "fhir_comments": ["made by hand"],
            "active": True,
            "name": [
                {
                    "family": "Doe",
                    "given": ["Ann", None],
                    "_given": [None, {"extension": [{"url": "http://example.org/e", "valueString": "v"}]}],
                }
            ],
            "birthDate": "1980-02-03",
            "_birthDate": {
                "extension": [{"url": "http://example.org/t", "valueDateTime": "1980-02-03T04:05:06+01:00"}]
            },
            "multipleBirthInteger": 2,
            "photo": [{"contentType": "image/png", "data": "aGVsbG8="}],
        },
        {
            "resourceType": "Observation",
            "contained": [{"resourceType": "Patient", "id": "inner"}],
            "status": "final",
            "code": {"text": "weight"},
            "effectiveInstant": "2020-01-01T00:00:00.123+00:00",
            "valueQuantity": {"value": 1.50, "unit": "kg"},
            "component": [
                {"code": {"text": "a"}, "valueQuantity": {"value": 70}},
                {"code": {"text": "b"}, "valueQuantity": {"value": "1e2"}},
            ],
        },
    ],
)
def test_shapes_the_record_never_holds_are_written_as_the_library_writes_them(data):
    resource = _make(data)
    assert dump(resource) == _library(resource)


def test_a_value_it_does_not_know_is_left_to_the_library():
    resource = _make({"resourceType": "Observation", "status": "final", "code": {"text": "x"}})
    resource.__dict__["status"] = timedelta(seconds=3)  # no validated model holds one
    assert dump(resource) == _library(resource)
    assert b'"status":"PT3S"' in dump(resource)
