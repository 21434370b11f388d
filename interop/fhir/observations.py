"""Observations: vital signs (LOINC, UCUM), the scores charted in a session (MOAA/S, CADSS, modified
Aldrete, pre-dose mood: local codes) and every questionnaire total (LOINC where it has one)."""

from datetime import datetime, time

from django.utils import timezone

from interop.fhir import codes
from interop.fhir.context import instant, part_id, ref
from interop.fhir.encounters import session_encounter_id
from interop.fhir.registry import builds, make

VITAL_SIGNS = codes.concept(codes.coding(codes.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs"))
SURVEY = codes.concept(codes.coding(codes.OBSERVATION_CATEGORY, "survey", "Survey"))
EXAM = codes.concept(codes.coding(codes.OBSERVATION_CATEGORY, "exam", "Exam"))


def _observation(ctx, resource_id, category, code, effective, *, encounter=None, performer=None, **value):
    data = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [category],
        "code": code,
        "subject": ctx.subject,
        **({"encounter": ref(encounter)} if encounter else {}),
        "effectiveDateTime": effective,
        **({"performer": [performer]} if performer else {}),
        **value,
    }
    return make(data)


def _vital_code(key):
    code, _unit = codes.VITALS[key]
    if key == "spo2":
        return codes.concept(code, codes.SPO2_PROFILE_CODE, text=code["display"])
    return codes.concept(code, text=code["display"])


def _vital_quantity(key, value):
    _code, (unit, ucum) = codes.VITALS[key]
    return codes.quantity(value, unit, ucum)


def _vitals(ctx, owner_uuid, prefix, values, effective, *, encounter=None, performer=None, note=None):
    """One Observation per vital in ``values`` ({"sbp": 124, "hr": 70, …}); systolic and diastolic
    together as the 85354-9 blood pressure panel."""
    extra = {"note": [{"text": note}]} if note else {}
    resources = []
    if values.get("sbp") is not None or values.get("dbp") is not None:
        components = [
            {"code": _vital_code(key), "valueQuantity": _vital_quantity(key, values[key])}
            for key in ("sbp", "dbp")
            if values.get(key) is not None
        ]
        resources.append(
            _observation(
                ctx,
                part_id(owner_uuid, prefix, "bp"),
                VITAL_SIGNS,
                _vital_code("bp"),
                effective,
                encounter=encounter,
                performer=performer,
                component=components,
                **extra,
            )
        )
    for key in ("hr", "spo2", "rr", "temp_c", "weight", "height"):
        if values.get(key) is None:
            continue
        resources.append(
            _observation(
                ctx,
                part_id(owner_uuid, prefix, key),
                VITAL_SIGNS,
                _vital_code(key),
                effective,
                encounter=encounter,
                performer=performer,
                valueQuantity=_vital_quantity(key, values[key]),
                **extra,
            )
        )
    return resources


def _local(name, code_and_display):
    code, display = code_and_display
    return codes.concept(codes.coding(codes.local_system(name), code, display), text=display)


def _day(value):
    """A date as an aware datetime at noon, for observations recorded by day."""
    return instant(timezone.make_aware(datetime.combine(value, time(12))))


@builds("Observation")
def intake_measurements(ctx, intake, sections):
    """Height, weight and baseline vitals from the intake ("measurements" section), dated the day measured."""
    section = sections.get("measurements")
    if intake is None or section is None or not section.data.get("measured_on"):
        return []
    data = section.data
    values = {
        "sbp": data.get("bp_systolic"),
        "dbp": data.get("bp_diastolic"),
        "hr": data.get("heart_rate"),
        "spo2": data.get("spo2"),
        "rr": data.get("resp_rate"),
        "weight": data.get("weight_kg"),
        "height": data.get("height_cm"),
    }
    return _vitals(
        ctx,
        intake.external_id,
        "measurements",
        values,
        data["measured_on"],
        performer=ctx.signer(section.entered_by),
        note="Baseline, recorded on the intake",
    )


def vital_id(session, reading_pk, field):
    """The id of the Observation of one vital of a session's reading (systolic and diastolic: the BP)."""
    return part_id(session.external_id, f"vitals/{reading_pk}", "bp" if field in ("sbp", "dbp") else field)


def reading_ids(session, reading):
    """The ids of every Observation ``session_vitals`` makes of ``reading``."""
    fields = [
        key for key in ("sbp", "dbp", "hr", "spo2", "rr", "temp_c") if getattr(reading, key) is not None
    ]
    return list(dict.fromkeys(vital_id(session, reading.pk, field) for field in fields))


def moaas_id(session, observation_pk):
    return part_id(session.external_id, f"observation/{observation_pk}", "moaas")


@builds("Observation")
def session_vitals(ctx, session, reading):
    values = {key: getattr(reading, key) for key in ("sbp", "dbp", "hr", "spo2", "rr", "temp_c")}
    return _vitals(
        ctx,
        session.external_id,
        f"vitals/{reading.pk}",
        values,
        instant(reading.taken_at),
        encounter=session_encounter_id(session),
        performer=ctx.practitioner(reading.recorded_by),
        note="Before the dose" if reading.pre_dose else None,
    )


@builds("Observation")
def session_weight_and_mood(ctx, session):
    encounter = session_encounter_id(session)
    resources = []
    when = session.checklist_at or session.started_at
    if session.weight_kg is not None:
        effective = _day(session.weight_measured_on) if session.weight_measured_on else instant(when)
        resources += _vitals(
            ctx,
            session.external_id,
            "pre-session",
            {"weight": session.weight_kg},
            effective,
            encounter=encounter,
            performer=ctx.practitioner(session.checklist_by),
        )
    if session.mood_pre is not None:
        resources.append(
            _observation(
                ctx,
                part_id(session.external_id, "pre-session", "mood"),
                SURVEY,
                _local(codes.SCORES, codes.MOOD_PRE),
                instant(when),
                encounter=encounter,
                performer=ctx.practitioner(session.checklist_by),
                valueInteger=session.mood_pre,
            )
        )
    return resources


@builds("Observation")
def sedation_and_dissociation(ctx, session, observation):
    """MOAA/S (0-5) and the CADSS total with its depersonalization, derealization and amnesia subscales
    as components: each a local code (LOINC has none)."""
    encounter = session_encounter_id(session)
    performer = ctx.practitioner(observation.recorded_by)
    effective = instant(observation.taken_at)
    resources = []
    note = {"note": [{"text": observation.note}]} if observation.note else {}
    if observation.moaas is not None:
        resources.append(
            _observation(
                ctx,
                moaas_id(session, observation.pk),
                EXAM,
                _local(codes.SCORES, codes.MOAAS),
                effective,
                encounter=encounter,
                performer=performer,
                valueInteger=observation.moaas,
                **note,
            )
        )
    if observation.cadss_total is not None:
        components = [
            {"code": _local(codes.SCORES, code), "valueInteger": getattr(observation, f"cadss_{name}")}
            for name, code in codes.CADSS_SUBSCALES.items()
            if getattr(observation, f"cadss_{name}") is not None
        ]
        resources.append(
            _observation(
                ctx,
                part_id(session.external_id, f"observation/{observation.pk}", "cadss"),
                SURVEY,
                _local(codes.SCORES, codes.CADSS_TOTAL),
                effective,
                encounter=encounter,
                performer=performer,
                valueInteger=observation.cadss_total,
                **({"component": components} if components else {}),
            )
        )
    return resources


def aldrete_id(session):
    return part_id(session.external_id, "discharge", "aldrete")


@builds("Observation")
def aldrete(ctx, session):
    """The modified Aldrete score at discharge: the total, each criterion (0-2) a component."""
    if not session.aldrete or session.discharged_at is None:
        return []
    parts = {key: value for key, value in session.aldrete.items() if key in codes.ALDRETE_PARTS}
    components = [
        {
            "code": _local(codes.SCORES, (f"aldrete-{key}", codes.ALDRETE_PARTS[key])),
            "valueInteger": value,
        }
        for key, value in parts.items()
    ]
    return [
        _observation(
            ctx,
            aldrete_id(session),
            EXAM,
            _local(codes.SCORES, codes.ALDRETE_TOTAL),
            instant(session.discharged_at),
            encounter=session_encounter_id(session),
            performer=ctx.practitioner(session.discharged_by),
            valueInteger=sum(parts.values()),
            component=components,
        )
    ]


def total_code(version):
    """The code of an instrument's total: the definition's LOINC, else ours (codes.TOTAL_LOINC), else
    a local code named after the instrument."""
    instrument = version.instrument
    loinc = version.definition.get("loinc")
    if loinc:
        return codes.concept(codes.coding(codes.LOINC, loinc), text=f"{instrument.code} total score")
    if instrument.code in codes.TOTAL_LOINC:
        code, display = codes.TOTAL_LOINC[instrument.code]
        return codes.concept(codes.coding(codes.LOINC, code, display), text=f"{instrument.code} total score")
    return _local(codes.SCORES, (f"{slug(instrument.code)}-total", f"{instrument.code} total score"))


def slug(code):
    return "".join(c if c.isalnum() else "-" for c in code.lower()).strip("-")


@builds("Observation")
def questionnaire_score(ctx, response, response_id):
    """A questionnaire's total, derived from its QuestionnaireResponse; subscales and domains (PCL-5
    clusters, QIDS-SR16 domains, CADSS subscales) as local-code components; the band as interpretation."""
    version = response.version
    labels = {
        group["id"]: group.get("label", group["id"])
        for key in ("subscales", "domains")
        for group in version.definition.get("scoring", {}).get(key, [])
    }
    instrument = slug(version.instrument.code)
    components = [
        {
            "code": _local(
                codes.SCORES,
                (f"{instrument}-{slug(key)}", f"{version.instrument.code} {labels.get(key, key)}"),
            ),
            "valueInteger": value,
        }
        for group in (response.subscales or {}, response.domains or {})
        for key, value in group.items()
        if isinstance(value, int)
    ]
    data = {
        "valueInteger": response.total,
        "derivedFrom": [ref(response_id)],
    }
    if response.band:
        data["interpretation"] = [{"text": response.band}]
    if components:
        data["component"] = components
    return [
        _observation(
            ctx,
            part_id(response.external_id, "total"),
            SURVEY,
            total_code(version),
            instant(response.completed_at),
            performer=ctx.signer(response.entered_by) if response.mode == "clinic" else ctx.subject,
            **data,
        )
    ]
