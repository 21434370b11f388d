"""Ids and references of one export.

Every resource id is a UUID, and every Bundle entry's fullUrl is ``urn:uuid:<id>``, so references
resolve inside the Bundle and the same record exports with the same ids every time. A resource made
from an object with an external_id (Patient, Appointment, TreatmentSession, AssessmentResponse, …)
carries that external_id; one made from a part of an object (a blood pressure of a reading, the
Encounter of a session) gets a name-based UUID (uuid5) under its owner's external_id; clinic-wide
objects (instrument versions, staff) get uuid5 names under the clinic's SITE_URL. An import could match
resources to rows by these ids.
"""

import uuid

from django.conf import settings


def part_id(owner_uuid, *parts):
    return str(uuid.uuid5(owner_uuid, "/".join(str(p) for p in parts)))


def clinic_id(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join([settings.SITE_URL, *map(str, parts)])))


def ref(resource_id, display=None):
    value = {"reference": f"urn:uuid:{resource_id}"}
    if display:
        value["display"] = display
    return value


def instant(value):
    """A datetime as FHIR wants it: aware, ISO 8601, seconds precision."""
    return value.replace(microsecond=0).isoformat()


class Context:
    """What the builders share: the patient's id, the staff referred to (so that each appears once as a
    Practitioner), and the ids of the patient's alerts by the treatment gate's key (so that an override
    can point at the alerts it lifted)."""

    def __init__(self, patient):
        self.patient = patient
        self.patient_id = str(patient.external_id)
        self.practitioners = {}
        self.alert_ids = {}

    @property
    def subject(self):
        return ref(self.patient_id, self.patient.full_name)

    def practitioner(self, user):
        """A reference to ``user`` as a Practitioner of the bundle (None for no one)."""
        if user is None:
            return None
        resource_id = clinic_id("practitioner", user.pk)
        self.practitioners[resource_id] = user
        return ref(resource_id, _display(user))

    def signer(self, user):
        """The patient when ``user`` is their own portal login, otherwise a Practitioner."""
        if user is not None and user.pk == self.patient.user_id:
            return self.subject
        return self.practitioner(user)


def _display(user):
    name = user.get_full_name() or user.email
    return f"{name}, {user.credential}" if user.credential else name


def identifier(kind, value):
    return {"system": f"{settings.SITE_URL}/fhir/sid/{kind}", "value": str(value)}
