from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.outbox import backoff
from sessions.scheduling.reminder_times import apply_quiet_hours, reminder_due_times

NY = ZoneInfo("America/New_York")
START = datetime(2025, 6, 20, 15, 0, tzinfo=UTC)


# --- reminder_due_times -------------------------------------------------------------------------


def test_booked_well_ahead_gets_both_reminders_largest_first():
    created = START - timedelta(days=10)
    assert reminder_due_times(START, [24, 72], created_at=created) == [
        (72, START - timedelta(hours=72)),
        (24, START - timedelta(hours=24)),
    ]


def test_duplicate_offsets_count_once():
    created = START - timedelta(days=10)
    assert reminder_due_times(START, [24, 72, 24, 72], created_at=created) == [
        (72, START - timedelta(hours=72)),
        (24, START - timedelta(hours=24)),
    ]


def test_booked_50_hours_ahead_drops_72_keeps_24():
    created = START - timedelta(hours=50)
    assert reminder_due_times(START, [72, 24], created_at=created) == [(24, START - timedelta(hours=24))]


def test_booked_10_hours_ahead_gets_24_hour_reminder_now():
    created = START - timedelta(hours=10)
    assert reminder_due_times(START, [72, 24], created_at=created) == [(24, created)]


def test_only_the_smallest_past_offset_is_kept():
    # 30 h ahead: 72 and 48 are past; 24 is still ahead and on time, so nothing is due "now".
    created = START - timedelta(hours=30)
    assert reminder_due_times(START, [72, 48, 24], created_at=created) == [(24, START - timedelta(hours=24))]


def test_due_exactly_at_booking_is_kept_on_time():
    created = START - timedelta(hours=72)
    assert reminder_due_times(START, [72, 24], created_at=created) == [
        (72, created),
        (24, START - timedelta(hours=24)),
    ]


@pytest.mark.parametrize("hours_after_start", [0, 1, 48])
def test_appointment_not_in_future_gets_no_reminders(hours_after_start):
    created = START + timedelta(hours=hours_after_start)
    assert reminder_due_times(START, [72, 24], created_at=created) == []


def test_no_offsets_no_reminders():
    assert reminder_due_times(START, [], created_at=START - timedelta(days=5)) == []


def test_negative_offset_rejected():
    with pytest.raises(ValueError, match="negative"):
        reminder_due_times(START, [24, -1], created_at=START - timedelta(days=5))


# --- apply_quiet_hours --------------------------------------------------------------------------

NIGHT = {"quiet_start": time(21, 0), "quiet_end": time(8, 0), "tz": NY}


def ny(*args):
    return datetime(*args, tzinfo=NY)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (ny(2025, 6, 10, 22, 30), ny(2025, 6, 11, 8, 0)),  # evening: next morning
        (ny(2025, 6, 10, 21, 0), ny(2025, 6, 11, 8, 0)),  # start of window is quiet
        (ny(2025, 6, 10, 23, 59), ny(2025, 6, 11, 8, 0)),
        (ny(2025, 6, 10, 0, 0), ny(2025, 6, 10, 8, 0)),  # after midnight: same morning
        (ny(2025, 6, 10, 7, 59), ny(2025, 6, 10, 8, 0)),
        (ny(2025, 6, 10, 8, 0), ny(2025, 6, 10, 8, 0)),  # end of window is not quiet
        (ny(2025, 6, 10, 20, 59), ny(2025, 6, 10, 20, 59)),
        (ny(2025, 6, 10, 12, 0), ny(2025, 6, 10, 12, 0)),
    ],
)
def test_quiet_hours_spanning_midnight(due, expected):
    result = apply_quiet_hours(due, **NIGHT)
    assert result == expected
    assert result.tzinfo is not None


def test_quiet_hours_read_in_local_time_for_utc_input():
    # 02:30 UTC on 11 June is 22:30 EDT on 10 June: quiet in New York, though mid-morning nowhere near.
    due = datetime(2025, 6, 11, 2, 30, tzinfo=UTC)
    result = apply_quiet_hours(due, **NIGHT)
    assert result == ny(2025, 6, 11, 8, 0)
    assert result == datetime(2025, 6, 11, 12, 0, tzinfo=UTC)
    assert result.tzinfo is UTC  # keeps the caller's time zone
    # 15:00 UTC is 11:00 EDT: outside the window, returned as given.
    assert apply_quiet_hours(datetime(2025, 6, 11, 15, 0, tzinfo=UTC), **NIGHT) == datetime(
        2025, 6, 11, 15, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (ny(2025, 6, 10, 13, 0), ny(2025, 6, 10, 14, 0)),
        (ny(2025, 6, 10, 13, 45), ny(2025, 6, 10, 14, 0)),  # moves to the end, same day
        (ny(2025, 6, 10, 14, 0), ny(2025, 6, 10, 14, 0)),
        (ny(2025, 6, 10, 12, 59), ny(2025, 6, 10, 12, 59)),
        (ny(2025, 6, 10, 23, 0), ny(2025, 6, 10, 23, 0)),  # never the next day
    ],
)
def test_same_day_quiet_window(due, expected):
    assert apply_quiet_hours(due, quiet_start=time(13, 0), quiet_end=time(14, 0), tz=NY) == expected


def test_empty_window_means_no_quiet_hours():
    due = ny(2025, 6, 10, 3, 0)
    assert apply_quiet_hours(due, quiet_start=time(8, 0), quiet_end=time(8, 0), tz=NY) == due


def test_fall_back_night_lands_on_local_eight_not_elapsed_hours():
    # Clocks go back 02:00 EDT -> 01:00 EST on 3 Nov 2024. 22:30 EDT to 08:00 EST is 10.5 hours, not 9.5.
    due = ny(2024, 11, 2, 22, 30)
    result = apply_quiet_hours(due, **NIGHT)
    assert result == datetime(2024, 11, 3, 13, 0, tzinfo=UTC)  # 08:00 EST (UTC-5)
    # Elapsed time must be taken in UTC: datetimes sharing a tzinfo subtract as wall-clock times.
    assert result.astimezone(UTC) - due.astimezone(UTC) == timedelta(hours=10, minutes=30)
    local = result.astimezone(NY)
    assert (local.hour, local.minute, local.utcoffset()) == (8, 0, timedelta(hours=-5))


def test_fall_back_repeated_hour_is_quiet():
    # 06:30 UTC on 3 Nov 2024 is the second 01:30 of the night (EST).
    due = datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
    assert apply_quiet_hours(due, **NIGHT) == datetime(2024, 11, 3, 13, 0, tzinfo=UTC)


def test_spring_forward_night_lands_on_local_eight():
    # Clocks go forward 02:00 EST -> 03:00 EDT on 9 Mar 2025: 22:30 EST to 08:00 EDT is 8.5 hours.
    due = ny(2025, 3, 8, 22, 30)
    result = apply_quiet_hours(due, **NIGHT)
    assert result == datetime(2025, 3, 9, 12, 0, tzinfo=UTC)  # 08:00 EDT (UTC-4)
    assert result.astimezone(UTC) - due.astimezone(UTC) == timedelta(hours=8, minutes=30)


def test_quiet_end_inside_spring_forward_gap_moves_just_past_it():
    # 02:30 does not exist on 9 Mar 2025 in New York; read with the EST offset it is 03:30 EDT.
    due = ny(2025, 3, 9, 1, 15)
    result = apply_quiet_hours(due, quiet_start=time(1, 0), quiet_end=time(2, 30), tz=NY)
    assert result == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)
    assert result.astimezone(NY).time() == time(3, 30)


def test_naive_due_time_is_read_as_local():
    result = apply_quiet_hours(datetime(2025, 6, 10, 22, 30), **NIGHT)
    assert result == ny(2025, 6, 11, 8, 0)
    assert result.utcoffset() == timedelta(hours=-4)


# --- backoff ------------------------------------------------------------------------------------


def test_backoff_doubles_from_base():
    assert [backoff(n).total_seconds() for n in range(1, 7)] == [60, 120, 240, 480, 960, 1920]


def test_backoff_capped():
    assert backoff(7) == timedelta(hours=1)  # 3840 s capped to 3600
    assert backoff(50) == timedelta(hours=1)
    assert backoff(10**9) == timedelta(hours=1)  # no giant integer


def test_backoff_custom_base_and_cap():
    assert [backoff(n, base_seconds=10, cap_seconds=100).total_seconds() for n in range(1, 6)] == [
        10,
        20,
        40,
        80,
        100,
    ]


@pytest.mark.parametrize("attempts", [0, -1])
def test_backoff_needs_at_least_one_attempt(attempts):
    with pytest.raises(ValueError, match="at least 1"):
        backoff(attempts)
