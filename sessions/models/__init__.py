from sessions.models.appointments import (
    WEEKDAYS,
    Appointment,
    AppointmentType,
    ClinicHours,
    Closure,
    Reminder,
    Room,
    TreatmentPlan,
    WorkingHours,
)
from sessions.models.charting import (
    AdverseEvent,
    CadssItem,
    LockedRecord,
    SedationObservation,
    SessionAddendum,
    SessionAlert,
    TreatmentSession,
    VitalSignReading,
)
from sessions.models.ledger import LedgerEntry, Vial

__all__ = [
    "WEEKDAYS",
    "AdverseEvent",
    "Appointment",
    "AppointmentType",
    "CadssItem",
    "ClinicHours",
    "Closure",
    "LedgerEntry",
    "LockedRecord",
    "Reminder",
    "Room",
    "SedationObservation",
    "SessionAddendum",
    "SessionAlert",
    "TreatmentPlan",
    "TreatmentSession",
    "Vial",
    "VitalSignReading",
    "WorkingHours",
]
