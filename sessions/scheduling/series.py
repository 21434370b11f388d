"""Proposing the slots of a treatment series (an induction of six infusions, say).

Pure Python: no models, no database. Callers load opening hours, closures and existing bookings,
pass them in, and save what comes back.

Time rules, all deliberate:

* Every datetime is timezone-aware; a naive one is refused with ValueError.
* Intervals are half-open ``[start, end)``: a booking ending at 10:00 does not clash with one
  starting at 10:00.
* Clinic hours and preferred times are local wall-clock times in the clinic's zone, so a 09:00
  session stays at 09:00 local across a daylight-saving change.
* Durations and ``min_hours_between`` are elapsed time (a 48 h gap is 48 real hours, even across
  a change of clock).
* ``max_per_week`` counts session starts in any rolling 7-day window measured on the local
  calendar, so a weekly 09:00 rhythm is not broken by the hour lost in spring.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

__all__ = [
    "Interval",
    "NoSlotsError",
    "Slot",
    "SpacingRule",
    "conflicts",
    "day_windows",
    "is_free",
    "propose_series",
]

Hours = Mapping[int, tuple[time, time] | None]

WEEK = timedelta(days=7)


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {value!r}")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Interval:
    """A half-open span of time ``[start, end)`` between two aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if _utc(self.end) <= _utc(self.start):
            raise ValueError(f"Interval must end after it starts: {self.start} – {self.end}")

    def overlaps(self, other: Interval) -> bool:
        """True when the two spans share any instant; touching edges do not overlap."""
        # Compared in UTC: Python compares datetimes sharing one tzinfo by wall clock, which is
        # wrong for the repeated hour when clocks go back.
        return _utc(self.start) < _utc(other.end) and _utc(other.start) < _utc(self.end)

    def contains(self, other: Interval) -> bool:
        """True when ``other`` lies entirely inside this span."""
        return _utc(self.start) <= _utc(other.start) and _utc(other.end) <= _utc(self.end)

    @property
    def duration(self) -> timedelta:
        return _utc(self.end) - _utc(self.start)


@dataclass(frozen=True)
class SpacingRule:
    """How close together the sessions of one series may be."""

    min_hours_between: int = 48  # start-to-start gap between consecutive sessions
    max_per_week: int = 2  # at most this many session starts in any rolling 7-day window

    def __post_init__(self) -> None:
        if self.min_hours_between < 0:
            raise ValueError("min_hours_between cannot be negative")
        if self.max_per_week < 1:
            raise ValueError("max_per_week must be at least 1")

    def describe(self) -> str:
        return f"at least {self.min_hours_between} h apart, at most {self.max_per_week} in any 7 days"


@dataclass(frozen=True)
class Slot:
    """One proposed session: when, in which room, with which clinician (opaque ids)."""

    start: datetime
    end: datetime
    room: str
    clinician: str

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


class NoSlotsError(Exception):
    """A session of the series could not be placed; the message says which one and why."""

    def __init__(self, message: str, *, session: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.session = session


def _local(day: date, at: time, tz: tzinfo) -> datetime:
    """Local wall-clock ``day at``, normalised through UTC (a time skipped in spring moves on)."""
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz).astimezone(UTC).astimezone(tz)


def _hours_window(day: date, hours: Hours | None, tz: tzinfo) -> Interval | None:
    if not hours:
        return None
    span = hours.get(day.weekday())
    if span is None:
        return None
    opens, closes = span
    if closes <= opens:
        raise ValueError(
            f"Closing time {closes} must be after opening time {opens} (weekday {day.weekday()})"
        )
    return Interval(_local(day, opens, tz), _local(day, closes, tz))


def day_windows(day: date, clinic_hours: Hours, closures: set[date], tz: tzinfo) -> list[Interval]:
    """The clinic's open interval(s) on ``day``: empty when it is a closure or a closed weekday.

    ``clinic_hours`` maps weekday (0 = Monday) to ``(open, close)`` or None; a weekday missing
    from the mapping is closed.
    """
    if day in closures:
        return []
    window = _hours_window(day, clinic_hours, tz)
    return [window] if window else []


def is_free(interval: Interval, busy: Iterable[Interval]) -> bool:
    """True when ``interval`` overlaps none of ``busy``."""
    return not any(interval.overlaps(other) for other in busy)


def _fmt_span(busy: Interval, reference: datetime) -> str:
    tz = reference.tzinfo
    start, end = busy.start.astimezone(tz), busy.end.astimezone(tz)
    ref_day = reference.date()
    if start.date() == ref_day and end.date() == ref_day:
        return f"{start:%H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}"


def conflicts(
    interval: Interval,
    *,
    room_busy: Iterable[Interval] = (),
    clinician_busy: Iterable[Interval] = (),
    patient_busy: Iterable[Interval] = (),
) -> list[str]:
    """Human reasons why ``interval`` cannot be booked, one per clashing booking.

    The busy lists are those of the one room, the one clinician and the patient being booked.
    Times are shown in the zone of ``interval.start``; the date is added when a clash is not
    wholly on the same local day. An empty list means no conflict.
    """
    reasons: list[str] = []
    for label, busy in (
        ("Room is booked", room_busy),
        ("Clinician is booked", clinician_busy),
        ("Patient already has an appointment", patient_busy),
    ):
        clashes = sorted(
            {b for b in busy if interval.overlaps(b)}, key=lambda b: (_utc(b.start), _utc(b.end))
        )
        reasons.extend(f"{label} {_fmt_span(b, interval.start)}" for b in clashes)
    return reasons


def _candidate_starts(
    window: Interval, duration: timedelta, step: timedelta, preferred: datetime | None
) -> Iterator[datetime]:
    """Start times inside ``window``: the preferred one first, then every ``step`` from opening."""
    tz = window.start.tzinfo
    last_start = _utc(window.end) - duration
    if preferred is not None and _utc(window.start) <= _utc(preferred) <= last_start:
        yield preferred
    current = _utc(window.start)
    while current <= last_start:
        local = current.astimezone(tz)
        if preferred is None or _utc(preferred) != current:
            yield local
        current += step


def _first_free(interval: Interval, names: list[str], busy: Mapping[str, list[Interval]]) -> str | None:
    for name in names:
        if is_free(interval, busy.get(name, ())):
            return name
    return None


def propose_series(
    *,
    count: int,
    first_day: date,
    duration: timedelta,
    spacing: SpacingRule,
    clinic_hours: Hours,
    closures: set[date],
    tz: tzinfo,
    rooms: list[str],
    clinicians: list[str],
    room_busy: Mapping[str, list[Interval]],
    clinician_busy: Mapping[str, list[Interval]],
    clinician_hours: Mapping[str, Hours] | None = None,
    patient_busy: Iterable[Interval] = (),
    preferred_time: time | None = None,
    step: timedelta = timedelta(minutes=30),
    horizon_days: int = 120,
    now: datetime | None = None,
) -> list[Slot]:
    """Propose ``count`` slots for a series, earliest first, or raise NoSlotsError.

    Greedy and deterministic: each session takes the earliest acceptable start on or after
    ``first_day`` (trying ``preferred_time`` first on each day, then every ``step`` from opening),
    with the first room and the first clinician in the given order that are free. A slot must lie
    inside the clinic's hours and, when ``clinician_hours`` has an entry for the clinician, inside
    that clinician's hours (a weekday missing from or None in that entry = not working). Slots
    start strictly after ``now`` when it is given, and on a day before
    ``first_day + horizon_days``. Only the proposed slots count towards the spacing rule.
    """
    if count < 0:
        raise ValueError("count cannot be negative")
    if duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    if horizon_days < 1:
        raise ValueError("horizon_days must be at least 1")
    if now is not None:
        _require_aware(now, "now")
    patient_busy = list(patient_busy)
    last_day = first_day + timedelta(days=horizon_days - 1)
    min_gap = timedelta(hours=spacing.min_hours_between)

    def fail(session: int, why: str) -> NoSlotsError:
        return NoSlotsError(
            f"{why} for session {session} of {count} within {horizon_days} days of {first_day.isoformat()}",
            session=session,
        )

    if count and not rooms:
        raise fail(1, "No rooms to book")
    if count and not clinicians:
        raise fail(1, "No clinicians to book")

    def clinician_window(name: str, day: date, clinic_window: Interval) -> Interval | None:
        if clinician_hours is None or name not in clinician_hours:
            return clinic_window
        own = _hours_window(day, clinician_hours[name], tz)
        if own is None:
            return None
        start = max(_utc(own.start), _utc(clinic_window.start))
        end = min(_utc(own.end), _utc(clinic_window.end))
        return Interval(start.astimezone(tz), end.astimezone(tz)) if end > start else None

    def spacing_ok(start: datetime, placed: list[Slot]) -> bool:
        if placed and _utc(start) - _utc(placed[-1].start) < min_gap:
            return False
        # Rolling week on the local calendar: wall-clock difference, so DST does not shift it.
        wall = start.astimezone(tz).replace(tzinfo=None)
        in_week = sum(1 for s in placed if wall - s.start.astimezone(tz).replace(tzinfo=None) < WEEK)
        return in_week + 1 <= spacing.max_per_week

    slots: list[Slot] = []
    for session in range(1, count + 1):
        day = first_day
        if now is not None and now.astimezone(tz).date() > last_day:
            raise fail(session, f"The search window has passed (now is {now.astimezone(tz):%Y-%m-%d %H:%M})")
        if now is not None:
            day = max(day, now.astimezone(tz).date())
        if slots:
            day = max(day, (_utc(slots[-1].start) + min_gap).astimezone(tz).date())
            if day > last_day:
                raise fail(session, f"No opening that keeps the spacing rule ({spacing.describe()})")
        blocked: set[str] = set()
        any_open = any_timely = False
        found: Slot | None = None
        while found is None and day <= last_day:
            for window in day_windows(day, clinic_hours, closures, tz):
                any_open = True
                preferred = _local(day, preferred_time, tz) if preferred_time is not None else None
                working = {c: clinician_window(c, day, window) for c in clinicians}
                for start in _candidate_starts(window, duration, step, preferred):
                    if now is not None and _utc(start) <= _utc(now):
                        continue
                    if not spacing_ok(start, slots):
                        continue
                    any_timely = True
                    candidate = Interval(start, (_utc(start) + duration).astimezone(tz))
                    patient_free = is_free(candidate, patient_busy) and is_free(
                        candidate, (s.interval for s in slots)
                    )
                    room = _first_free(candidate, rooms, room_busy)
                    on_duty = [c for c in clinicians if working[c] and working[c].contains(candidate)]
                    clinician = _first_free(candidate, on_duty, clinician_busy)
                    if patient_free and room is not None and clinician is not None:
                        found = Slot(candidate.start, candidate.end, room, clinician)
                        break
                    if room is None:
                        blocked.add("room")
                    if clinician is None:
                        blocked.add("clinician")
                    if not patient_free:
                        blocked.add("patient time")
                if found:
                    break
            day += timedelta(days=1)
        if found is None:
            if not any_open:
                raise fail(session, "Clinic closed (closures and closed weekdays)")
            if not any_timely:
                raise fail(session, f"No opening that keeps the spacing rule ({spacing.describe()})")
            order = ["room", "clinician", "patient time"]
            raise fail(session, "No free " + " and ".join(r for r in order if r in blocked))
        slots.append(found)
    return slots
