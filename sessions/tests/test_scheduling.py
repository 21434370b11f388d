"""Series scheduling: pure functions, no database."""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions.scheduling.series import (
    Interval,
    NoSlotsError,
    Slot,
    SpacingRule,
    conflicts,
    day_windows,
    is_free,
    propose_series,
)

NY = ZoneInfo("America/New_York")
WEEKDAYS_8_TO_5 = {d: (time(8), time(17)) for d in range(5)} | {5: None, 6: None}
MON = date(2026, 4, 6)  # a Monday well away from any clock change


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def span(day, h1, h2, m1=0, m2=0):
    return Interval(at(day, h1, m1), at(day, h2, m2))


def plan(**overrides):
    """propose_series with a clinic open Mon–Fri 08:00–17:00, two rooms, two clinicians."""
    kwargs = {
        "count": 6,
        "first_day": MON,
        "duration": timedelta(hours=2),
        "spacing": SpacingRule(),
        "clinic_hours": WEEKDAYS_8_TO_5,
        "closures": set(),
        "tz": NY,
        "rooms": ["R1", "R2"],
        "clinicians": ["dr-a", "dr-b"],
        "room_busy": {},
        "clinician_busy": {},
        "preferred_time": time(9),
    }
    kwargs.update(overrides)
    return propose_series(**kwargs)


def local(slot):
    start = slot.start.astimezone(NY)
    return start.date(), start.time()


def assert_spacing(slots, rule):
    starts = [s.start.astimezone(UTC) for s in slots]
    assert starts == sorted(starts)
    for earlier, later in itertools.pairwise(starts):
        assert later - earlier >= timedelta(hours=rule.min_hours_between)
    # Any max_per_week + 1 consecutive starts must span at least 7 local days.
    n = rule.max_per_week
    walls = [s.start.astimezone(NY).replace(tzinfo=None) for s in slots]
    for i in range(len(walls) - n):
        assert walls[i + n] - walls[i] >= timedelta(days=7)


# --- the induction series ----------------------------------------------------------------------


def test_induction_of_six_keeps_48h_gaps_and_two_per_week():
    slots = plan()

    assert len(slots) == 6
    assert [local(s) for s in slots] == [
        (date(2026, 4, 6), time(9)),  # Mon
        (date(2026, 4, 8), time(9)),  # Wed: 48 h later
        (date(2026, 4, 13), time(9)),  # Mon: Thu/Fri would be a third in 7 days
        (date(2026, 4, 15), time(9)),
        (date(2026, 4, 20), time(9)),
        (date(2026, 4, 22), time(9)),
    ]
    assert_spacing(slots, SpacingRule())
    assert slots[-1].start - slots[0].start <= timedelta(days=21)  # "6 infusions over ~2–3 weeks"
    assert all(s.end - s.start == timedelta(hours=2) for s in slots)
    assert all(isinstance(s, Slot) and (s.room, s.clinician) == ("R1", "dr-a") for s in slots)


def test_denser_rule_is_respected():
    rule = SpacingRule(min_hours_between=24, max_per_week=3)
    slots = plan(count=6, spacing=rule)

    assert_spacing(slots, rule)
    assert [local(s)[0] for s in slots] == [
        date(2026, 4, 6),
        date(2026, 4, 7),
        date(2026, 4, 8),
        date(2026, 4, 13),
        date(2026, 4, 14),
        date(2026, 4, 15),
    ]


def test_result_is_deterministic():
    assert plan() == plan()


# --- clinic hours and closures -----------------------------------------------------------------


def test_closures_and_closed_weekdays_are_skipped():
    friday = date(2026, 4, 3)
    closures = {friday, date(2026, 4, 8)}  # Good Friday, and a Wednesday staff day

    slots = plan(count=3, first_day=friday, closures=closures)

    days = [local(s)[0] for s in slots]
    assert days == [date(2026, 4, 6), date(2026, 4, 9), date(2026, 4, 13)]  # Mon, Thu, Mon
    assert not set(days) & closures
    assert all(d.weekday() < 5 for d in days)


def test_day_windows():
    assert day_windows(MON, WEEKDAYS_8_TO_5, set(), NY) == [span(MON, 8, 17)]
    assert day_windows(MON, WEEKDAYS_8_TO_5, {MON}, NY) == []
    assert day_windows(date(2026, 4, 11), WEEKDAYS_8_TO_5, set(), NY) == []  # Saturday: None
    assert day_windows(MON, {1: (time(8), time(12))}, set(), NY) == []  # Monday missing: closed


def test_slots_lie_inside_clinic_hours():
    short_days = {d: (time(10), time(13)) for d in range(5)}
    slots = plan(count=4, clinic_hours=short_days, preferred_time=time(12))  # 12–14 would overrun

    for slot in slots:
        day = local(slot)[0]
        (window,) = day_windows(day, short_days, set(), NY)
        assert window.contains(slot.interval)
    assert local(slots[0]) == (MON, time(10))  # preferred does not fit: from opening


def test_invalid_hours_are_refused():
    with pytest.raises(ValueError, match="after opening"):
        day_windows(MON, {0: (time(17), time(8))}, set(), NY)


# --- rooms, clinicians, patient ----------------------------------------------------------------


def test_busy_room_falls_back_to_next_room():
    slots = plan(count=1, room_busy={"R1": [span(MON, 8, 12)]})

    assert local(slots[0]) == (MON, time(9))
    assert slots[0].room == "R2"


def test_all_rooms_busy_moves_the_time():
    room_busy = {"R1": [span(MON, 8, 12)], "R2": [span(MON, 9, 11)]}

    (slot,) = plan(count=1, room_busy=room_busy)

    assert local(slot) == (MON, time(11))  # R2 frees at 11:00, R1 not until 12:00
    assert slot.room == "R2"
    assert conflicts(slot.interval, room_busy=room_busy[slot.room]) == []


def test_busy_clinician_falls_back_to_next_clinician():
    (slot,) = plan(count=1, clinician_busy={"dr-a": [span(MON, 9, 10)]})

    assert local(slot) == (MON, time(9))
    assert (slot.room, slot.clinician) == ("R1", "dr-b")


def test_clinician_working_hours_are_respected():
    hours = {"dr-a": {1: (time(12), time(17)), 3: (time(12), time(16))}}  # Tue and Thu afternoons

    slots = plan(count=3, clinicians=["dr-a"], clinician_hours=hours)

    assert [local(s) for s in slots] == [
        (date(2026, 4, 7), time(12)),  # Tue: preferred 09:00 is before dr-a starts
        (date(2026, 4, 9), time(12)),  # Thu
        (date(2026, 4, 14), time(12)),  # Tue next week (max 2 a week)
    ]
    assert all(s.clinician == "dr-a" for s in slots)


def test_clinician_hours_end_bounds_the_last_start():
    hours = {"dr-a": {0: (time(8), time(16))}}
    busy = {"dr-a": [span(MON, 8, 14)]}

    (slot,) = plan(count=1, clinicians=["dr-a"], clinician_hours=hours, clinician_busy=busy)

    assert local(slot) == (MON, time(14))
    assert slot.end == at(MON, 16)


def test_clinician_without_hours_entry_works_clinic_hours():
    hours = {"dr-a": {0: None}}  # dr-a is off on Mondays; dr-b has no entry

    (slot,) = plan(count=1, clinician_hours=hours)

    assert local(slot) == (MON, time(9))
    assert slot.clinician == "dr-b"


def test_patient_busy_is_avoided():
    therapy = span(MON, 9, 10)

    slots = plan(count=2, patient_busy=[therapy])

    assert local(slots[0]) == (MON, time(10))  # 08:00–09:30 starts would overlap the 9–10 visit
    assert is_free(slots[0].interval, [therapy])
    assert local(slots[1]) == (date(2026, 4, 8), time(10))  # 48 h after 10:00, not 09:00


def test_zero_gap_series_never_double_books_the_patient():
    slots = plan(count=3, spacing=SpacingRule(min_hours_between=0, max_per_week=7))

    assert [local(s) for s in slots] == [(MON, time(9)), (MON, time(11)), (MON, time(13))]
    for a, b in itertools.pairwise(slots):
        assert not a.interval.overlaps(b.interval)


# --- preferred time ----------------------------------------------------------------------------


def test_preferred_time_is_honoured_each_day():
    slots = plan(count=4, preferred_time=time(13, 15))

    assert {local(s)[1] for s in slots} == {time(13, 15)}


def test_without_preferred_time_search_starts_at_opening():
    slots = plan(count=2, preferred_time=None)

    assert [local(s) for s in slots] == [(MON, time(8)), (date(2026, 4, 8), time(8))]


def test_preferred_time_blocked_takes_earliest_other_time_that_day():
    (slot,) = plan(
        count=1, preferred_time=time(14), clinician_busy={"dr-a": [span(MON, 8, 17)]}, clinicians=["dr-a"]
    )

    assert local(slot) == (date(2026, 4, 7), time(14))  # Monday impossible; Tuesday at 14:00

    (slot,) = plan(count=1, preferred_time=time(14), patient_busy=[span(MON, 13, 16)])
    assert local(slot) == (MON, time(8))  # same day beats preferred hour on a later day


# --- impossible plans ---------------------------------------------------------------------------


def test_no_slots_when_every_room_is_always_busy():
    forever = Interval(at(MON, 0), at(MON + timedelta(days=365), 0))

    with pytest.raises(NoSlotsError) as excinfo:
        plan(room_busy={"R1": [forever], "R2": [forever]})

    assert excinfo.value.session == 1
    assert str(excinfo.value) == "No free room for session 1 of 6 within 120 days of 2026-04-06"


def test_error_names_the_session_that_failed():
    later = Interval(at(date(2026, 4, 13), 0), at(date(2026, 12, 31), 0))
    busy = {"R1": [later], "R2": [later], "dr-a": [later], "dr-b": [later]}

    with pytest.raises(NoSlotsError, match=r"^No free room and clinician for session 3 of 6 within 120 days"):
        plan(room_busy=busy, clinician_busy=busy)


def test_short_horizon_fails_on_the_spacing_rule():
    with pytest.raises(
        NoSlotsError, match=r"keeps the spacing rule.*session 5 of 6 within 10 days"
    ) as excinfo:
        plan(horizon_days=10)

    assert excinfo.value.session == 5


def test_now_beyond_the_horizon():
    with pytest.raises(NoSlotsError, match="search window has passed"):
        plan(horizon_days=7, now=at(MON + timedelta(days=10), 9))


def test_clinic_always_closed():
    closures = {MON + timedelta(days=i) for i in range(30)}

    with pytest.raises(NoSlotsError, match=r"Clinic closed.*session 1 of 2 within 30 days"):
        plan(count=2, closures=closures, horizon_days=30)


def test_no_rooms_configured():
    with pytest.raises(NoSlotsError, match="No rooms"):
        plan(rooms=[])


def test_zero_sessions_and_bad_arguments():
    assert plan(count=0) == []
    with pytest.raises(ValueError):
        plan(count=-1)
    with pytest.raises(ValueError):
        plan(duration=timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(now=datetime(2026, 4, 6, 9))  # naive on purpose
    with pytest.raises(ValueError):
        SpacingRule(max_per_week=0)


# --- intervals ----------------------------------------------------------------------------------


def test_back_to_back_intervals_do_not_overlap():
    first, second = span(MON, 9, 10), span(MON, 10, 11)

    assert not first.overlaps(second)
    assert not second.overlaps(first)
    assert first.overlaps(span(MON, 9, 10, m1=59))
    assert span(MON, 8, 12).overlaps(second)  # containment overlaps
    assert is_free(second, [first, span(MON, 11, 12)])
    assert not is_free(second, [span(MON, 10, 11, m1=30)])


def test_booking_right_after_another_is_allowed():
    (slot,) = plan(count=1, room_busy={"R1": [span(MON, 7, 9)]}, clinician_busy={"dr-a": [span(MON, 8, 9)]})

    assert local(slot) == (MON, time(9))
    assert (slot.room, slot.clinician) == ("R1", "dr-a")


def test_overlap_is_by_instant_across_zones():
    utc_copy = Interval(at(MON, 9).astimezone(UTC), at(MON, 10).astimezone(UTC))

    assert utc_copy.overlaps(span(MON, 9, 10, m1=30))
    assert not utc_copy.overlaps(span(MON, 10, 11))


def test_intervals_must_be_aware_and_forward():
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(datetime(2026, 4, 6, 9), at(MON, 10))  # naive on purpose
    with pytest.raises(ValueError, match="end after"):
        span(MON, 10, 10)


# --- daylight saving ----------------------------------------------------------------------------


def test_spring_forward_keeps_local_times():
    hours = {d: (time(8), time(17)) for d in range(6)}  # Mon–Sat
    friday = date(2026, 3, 6)  # clocks go forward on Sunday 8 March 2026

    slots = plan(count=2, first_day=friday, clinic_hours=hours)

    assert [local(s) for s in slots] == [(friday, time(9)), (date(2026, 3, 9), time(9))]
    assert slots[0].start.utcoffset() == timedelta(hours=-5)
    assert slots[1].start.utcoffset() == timedelta(hours=-4)
    assert slots[1].start.astimezone(UTC).hour == 13
    assert all(s.end.astimezone(UTC) - s.start.astimezone(UTC) == timedelta(hours=2) for s in slots)


def test_spring_forward_gap_is_real_hours():
    hours = {d: (time(8), time(17)) for d in range(6)}

    slots = plan(count=2, first_day=date(2026, 3, 7), clinic_hours=hours)  # Saturday 09:00 EST

    # Monday 09:00 EDT would be only 47 real hours later.
    assert local(slots[1]) == (date(2026, 3, 9), time(10))
    assert slots[1].start.astimezone(UTC) - slots[0].start.astimezone(UTC) == timedelta(hours=48)


def test_weekly_rhythm_survives_both_clock_changes():
    weekly = SpacingRule(min_hours_between=48, max_per_week=1)

    spring = plan(count=2, first_day=date(2026, 3, 2), spacing=weekly)
    autumn = plan(count=2, first_day=date(2026, 10, 26), spacing=weekly)

    assert [local(s) for s in spring] == [(date(2026, 3, 2), time(9)), (date(2026, 3, 9), time(9))]
    assert [local(s) for s in autumn] == [(date(2026, 10, 26), time(9)), (date(2026, 11, 2), time(9))]
    assert autumn[1].start.utcoffset() == timedelta(hours=-5)


def test_day_window_on_the_clock_change_day():
    sunday = date(2026, 3, 8)

    (window,) = day_windows(sunday, {6: (time(0), time(6))}, set(), NY)

    assert window.duration == timedelta(hours=5)  # 02:00–03:00 does not exist that night
    assert window.end.utcoffset() == timedelta(hours=-4)


# --- now ----------------------------------------------------------------------------------------


def test_slots_start_after_now():
    slots = plan(count=2, now=at(MON, 10, 15))

    assert local(slots[0]) == (MON, time(10, 30))  # 09:00 has passed; next step after now
    assert slots[0].start > at(MON, 10, 15)
    assert local(slots[1]) == (date(2026, 4, 8), time(10, 30))  # 48 h on: preferred 09:00 is too soon


def test_now_after_first_day_moves_the_search_on():
    now = at(date(2026, 4, 8), 9)

    (slot,) = plan(count=1, now=now)

    assert slot.start > now  # a start exactly at now is already too late
    assert local(slot) == (date(2026, 4, 8), time(9, 30))


# --- explaining a refused booking ---------------------------------------------------------------


def test_conflicts_wording():
    wanted = span(MON, 9, 11)

    reasons = conflicts(
        wanted,
        room_busy=[span(MON, 10, 12), span(MON, 7, 9)],  # the second only touches
        clinician_busy=[span(MON, 8, 9, m2=30)],
        patient_busy=[span(MON, 10, 11, m1=30, m2=15)],
    )

    assert reasons == [
        "Room is booked 10:00–12:00",
        "Clinician is booked 08:00–09:30",
        "Patient already has an appointment 10:30–11:15",
    ]


def test_conflicts_shows_dates_for_bookings_spanning_days():
    overnight = Interval(at(MON - timedelta(days=1), 20), at(MON, 10))

    assert conflicts(span(MON, 9, 11), room_busy=[overnight]) == [
        "Room is booked 2026-04-05 20:00–2026-04-06 10:00"
    ]
    assert conflicts(span(MON, 9, 11), room_busy=[span(MON, 11, 12)], patient_busy=[]) == []
