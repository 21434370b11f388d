from sessions.models.appointments import (
    STALE_CLAIM,
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
from sessions.models.ledger import LedgerEntry, Vial

__all__ = [
    "STALE_CLAIM",
    "WEEKDAYS",
    "Appointment",
    "AppointmentType",
    "ClinicHours",
    "Closure",
    "LedgerEntry",
    "Reminder",
    "Room",
    "TreatmentPlan",
    "Vial",
    "WorkingHours",
]
