"""When appointment reminders fall due: pure date arithmetic, no Django.

- ``reminder_due_times`` turns an appointment start and the clinic's offsets (hours before, e.g. 72 and 24)
  into due times, given when the appointment was booked.
- ``apply_quiet_hours`` moves a due time out of the clinic's quiet hours (no SMS at night), in the
  clinic's local time zone and across daylight-saving changes.

All datetimes passed in are expected to be timezone-aware.
"""

from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["apply_quiet_hours", "reminder_due_times"]

_UTC = ZoneInfo("UTC")


def reminder_due_times(
    start: datetime, offsets_hours: list[int], *, created_at: datetime
) -> list[tuple[int, datetime]]:
    """Return ``(offset, due_at)`` pairs, largest offset (earliest reminder) first.

    ``due_at`` is ``start - offset`` hours. An offset whose due time has already passed at ``created_at``
    is dropped, except the smallest offset while the appointment is still ahead: that one is due at
    ``created_at`` (a patient booked 10 hours ahead still gets the 24-hour reminder, straight away).
    An appointment that is not in the future at ``created_at`` gets no reminders. Duplicate offsets
    count once.
    """
    offsets = sorted(set(offsets_hours), reverse=True)
    if any(offset < 0 for offset in offsets):
        raise ValueError(f"reminder offsets must not be negative: {offsets_hours!r}")
    if not offsets or start <= created_at:
        return []
    smallest = offsets[-1]
    due: list[tuple[int, datetime]] = []
    for offset in offsets:
        due_at = start - timedelta(hours=offset)
        if due_at >= created_at:
            due.append((offset, due_at))
        elif offset == smallest:
            due.append((offset, created_at))
    return due


def _in_window(t: time, quiet_start: time, quiet_end: time) -> bool:
    if quiet_start == quiet_end:  # an empty window: no quiet hours
        return False
    if quiet_start < quiet_end:  # same-day window, e.g. 13:00–14:00
        return quiet_start <= t < quiet_end
    return t >= quiet_start or t < quiet_end  # spans midnight, e.g. 21:00–08:00


def apply_quiet_hours(due_at: datetime, *, quiet_start: time, quiet_end: time, tz: tzinfo) -> datetime:
    """Move ``due_at`` out of the quiet window ``[quiet_start, quiet_end)`` (wall-clock time in ``tz``).

    A due time inside the window moves to ``quiet_end`` local time: the same day, or the next day when
    the window spans midnight and the due time is on the evening side. Outside the window (``quiet_end``
    itself included) it is returned unchanged; ``quiet_start == quiet_end`` means no quiet hours.

    The move is done on the local calendar, so the result is the right wall-clock time on a night the
    clocks change. If ``quiet_end`` does not exist that day (it falls in a spring-forward gap), the result
    is the same wall-clock time read with the pre-change offset, i.e. just after the gap.
    The result is aware and keeps ``due_at``'s time zone; a naive ``due_at`` is read as local time in ``tz``.
    """
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        due_at = due_at.replace(tzinfo=tz)
    local = due_at.astimezone(tz)
    t = local.time()
    if not _in_window(t, quiet_start, quiet_end):
        return due_at
    day = local.date()
    if quiet_start > quiet_end and t >= quiet_start:
        day += timedelta(days=1)
    moved = datetime.combine(day, quiet_end, tzinfo=tz)
    # Round-trip through UTC so a wall time in a DST gap becomes a real instant.
    return moved.astimezone(_UTC).astimezone(due_at.tzinfo)
