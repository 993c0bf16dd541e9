"""A session's hourly kWh from the readings taken while it ran, on its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import itertools
import math
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.joulo.curve import (
    READING_SPACING,
    Basis,
    Reading,
    curve_basis,
    hourly_kwh,
    with_reading,
)

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
EVENING = datetime(2026, 4, 8, 18, 30, tzinfo=UTC)
MORNING = datetime(2026, 4, 9, 6, 45, tzinfo=UTC)
"""A car plugged in from 18:30 to 06:45: twelve and a quarter hours, thirteen clock hours."""
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

type Hours = list[tuple[datetime, float]]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of April 2026, in UTC."""
    return datetime(2026, 4, day, hour, minute, tzinfo=UTC)


def kwh_of(hours: Hours) -> list[float]:
    """The kWh of each hour, in order."""
    return [kwh for _, kwh in hours]


def total(hours: Hours) -> float:
    """The kWh of all hours, to the Wh."""
    return round(sum(kwh_of(hours)), 3)


def minute_readings(
    start: datetime, end: datetime, kwh_at: Callable[[int], float]
) -> list[Reading]:
    """A reading every minute after `start` and before `end`: `kwh_at` the minutes since `start`."""
    minutes = int((end - start) / MINUTE)
    return [Reading(start + n * MINUTE, kwh_at(n)) for n in range(1, minutes)]


# Without readings: spread evenly over the session's duration.


def test_without_readings_the_kwh_are_spread_by_time() -> None:
    """Each hour gets the kWh in proportion to the time the session ran in it."""
    assert hourly_kwh(at(8, 18, 30), at(8, 20, 30), 10.0, ()) == [
        (at(8, 18), 2.5),
        (at(8, 19), 5.0),
        (at(8, 20), 2.5),
    ]


def test_without_readings_the_rounding_is_carried_to_the_next_hour() -> None:
    """A third of a Wh is never lost: the hours add up to the session's kWh."""
    hours = hourly_kwh(at(8, 18), at(8, 21), 1.0, ())
    assert kwh_of(hours) == [0.333, 0.334, 0.333]
    assert total(hours) == 1.0


@pytest.mark.parametrize(
    ("started_at", "ended_at", "kwh"),
    [
        (EVENING, MORNING, 42.37),
        (at(9, 7, 12), at(9, 7, 58), 3.1),
        (at(9, 23, 59), at(10, 0, 1), 0.02),
        (at(9, 10), at(9, 13), 27.84),
        (at(9, 10, 17), at(9, 10, 17), 5.5),
        (at(9, 10), at(9, 11), 0.0),
    ],
)
def test_without_readings_the_hours_add_up_to_the_kwh_and_are_spread(
    started_at: datetime, ended_at: datetime, kwh: float
) -> None:
    """A session never seen running keeps its kWh, spread over its duration."""
    hours = hourly_kwh(started_at, ended_at, kwh, ())
    assert total(hours) == kwh
    assert curve_basis(started_at, ended_at, ()) is Basis.SPREAD


def test_a_session_with_no_kwh_has_no_hours() -> None:
    """A session without energy has nothing to put in the statistics."""
    assert hourly_kwh(EVENING, MORNING, 0.0, ()) == []


# With readings: each stretch spread over its own time.


def test_a_session_within_one_hour_puts_everything_in_that_hour() -> None:
    """Readings inside one clock hour leave one row with the final kWh."""
    readings = [Reading(at(9, 18, 10), 1.0), Reading(at(9, 18, 30), 3.0)]

    assert hourly_kwh(at(9, 18, 5), at(9, 18, 50), 4.0, readings) == [(at(9, 18), 4.0)]
    assert curve_basis(at(9, 18, 5), at(9, 18, 50), readings) is Basis.OBSERVED


def test_a_car_full_at_half_past_ten_charged_nothing_after() -> None:
    """Plugged in 18:30 to 06:45, full at 22:30: only the four hours of charging get kWh."""
    full = 42.37
    readings = minute_readings(EVENING, MORNING, lambda n: round(full * min(n, 240) / 240, 3))

    hours = hourly_kwh(EVENING, MORNING, full, readings)

    assert [hour for hour, _ in hours] == [EVENING.replace(minute=0) + n * HOUR for n in range(13)]
    assert kwh_of(hours)[:5] == pytest.approx(
        [full / 8, full / 4, full / 4, full / 4, full / 8], abs=0.001
    )
    assert kwh_of(hours)[5:] == [0.0] * 8
    assert total(hours) == full
    spread = hourly_kwh(EVENING, MORNING, full, ())
    assert dict(spread)[at(9, 3)] == pytest.approx(full / 12.25, abs=0.001)
    assert dict(hours)[at(9, 3)] == 0.0


def test_a_car_waiting_for_a_scheduled_hour_charged_nothing_before() -> None:
    """Readings of 0 kWh count: a charger that starts at 01:00 charged nothing in the evening."""
    readings = minute_readings(EVENING, MORNING, lambda n: min(max(n - 390, 0), 180) / 6)

    hours = hourly_kwh(EVENING, MORNING, 30.0, readings)

    assert kwh_of(hours) == [0.0] * 7 + [10.0, 10.0, 10.0] + [0.0] * 3
    assert curve_basis(EVENING, MORNING, readings) is Basis.OBSERVED


def test_a_final_kwh_above_the_last_reading_goes_into_the_last_stretch() -> None:
    """5 kWh by 19:00, 10 kWh at the end at 21:00: the other 5 kWh over the last two hours."""
    readings = [Reading(at(9, 19), 5.0)]

    assert kwh_of(hourly_kwh(at(9, 18), at(9, 21), 10.0, readings)) == [5.0, 2.5, 2.5]


def test_a_final_kwh_below_the_last_reading_scales_the_readings_down() -> None:
    """Readings of 6 and 12 kWh, a final 9 kWh: each stretch keeps its share, the last gets 0."""
    readings = [Reading(at(9, 19), 6.0), Reading(at(9, 20), 12.0)]

    assert kwh_of(hourly_kwh(at(9, 18), at(9, 21), 9.0, readings)) == [4.5, 4.5, 0.0]


def test_a_session_across_midnight_keeps_each_hour_on_its_own_day() -> None:
    """Charged from 23:30 to midnight, plugged in until 01:30 the next day."""
    readings = [Reading(at(9, 23, 45), 1.0), Reading(at(10, 0), 2.0), Reading(at(10, 1), 2.0)]

    assert hourly_kwh(at(9, 23, 30), at(10, 1, 30), 2.0, readings) == [
        (at(9, 23), 2.0),
        (at(10, 0), 0.0),
        (at(10, 1), 0.0),
    ]


@pytest.mark.parametrize(
    ("started_at", "ended_at"),
    [
        # Summer time starts: 02:00 is 03:00; 23:30 to 04:30 on the clock is four hours.
        (
            datetime(2026, 3, 28, 23, 30, tzinfo=AMSTERDAM),
            datetime(2026, 3, 29, 4, 30, tzinfo=AMSTERDAM),
        ),
        # Summer time ends: 03:00 is 02:00 again; 00:30 to 03:30 on the clock is four hours.
        (
            datetime(2026, 10, 25, 0, 30, tzinfo=AMSTERDAM),
            datetime(2026, 10, 25, 3, 30, tzinfo=AMSTERDAM),
        ),
    ],
)
def test_a_change_of_summer_time_neither_adds_nor_loses_an_hour(
    started_at: datetime, ended_at: datetime
) -> None:
    """Four hours of session are five UTC clock hours, given in local time or not."""
    assert ended_at.astimezone(UTC) - started_at.astimezone(UTC) == 4 * HOUR
    readings = [Reading((started_at.astimezone(UTC) + 2 * HOUR).astimezone(AMSTERDAM), 8.0)]

    hours = hourly_kwh(started_at, ended_at, 12.0, readings)

    first = started_at.astimezone(UTC).replace(minute=0)
    assert [hour for hour, _ in hours] == [first + n * HOUR for n in range(5)]
    assert all(hour.tzinfo is UTC for hour, _ in hours)
    assert kwh_of(hours) == [2.0, 4.0, 3.0, 2.0, 1.0]


# Readings that do not count.


def test_readings_in_any_order_give_the_same_hours() -> None:
    """Readings are taken in time order, whatever order they come in."""
    readings = [Reading(at(9, 20), 9.0), Reading(at(9, 19), 3.0), Reading(at(9, 19, 30), 6.0)]

    assert hourly_kwh(at(9, 18), at(9, 21), 9.0, readings) == hourly_kwh(
        at(9, 18), at(9, 21), 9.0, sorted(readings, key=lambda reading: reading.at)
    )


NOT_IN_THE_SESSION = {
    "before": Reading(at(9, 17), 2.0),
    "at start": Reading(at(9, 18), 2.0),
    "at end": Reading(at(9, 21), 2.0),
    "after": Reading(at(9, 22), 20.0),
    "negative": Reading(at(9, 20), -1.0),
    "nan": Reading(at(9, 19, 30), float("nan")),
    "infinite": Reading(at(9, 19, 30), float("inf")),
}
"""Readings that never count, for a session from 18:00 to 21:00 (April 9th)."""
GOING_BACKWARDS = {
    "lower later": Reading(at(9, 20), 1.0),
    "lower at the same moment": Reading(at(9, 19), 3.0),
}
"""Readings that do not count after 4 kWh at 19:00."""


@pytest.mark.parametrize(
    "ignored",
    [*NOT_IN_THE_SESSION.values(), *GOING_BACKWARDS.values()],
    ids=[*NOT_IN_THE_SESSION, *GOING_BACKWARDS],
)
def test_a_reading_outside_the_session_or_going_backwards_is_ignored(ignored: Reading) -> None:
    """The curve is as if the reading was never taken."""
    readings = [Reading(at(9, 19), 4.0), Reading(at(9, 20, 30), 8.0)]
    expected = hourly_kwh(at(9, 18), at(9, 21), 9.0, readings)

    assert hourly_kwh(at(9, 18), at(9, 21), 9.0, [*readings, ignored]) == expected


def test_a_session_without_a_reading_inside_it_is_spread() -> None:
    """Readings that never count leave the even spread, and say so."""
    ignored = list(NOT_IN_THE_SESSION.values())

    assert hourly_kwh(at(9, 18), at(9, 21), 9.0, ignored) == hourly_kwh(
        at(9, 18), at(9, 21), 9.0, ()
    )
    assert curve_basis(at(9, 18), at(9, 21), ignored) is Basis.SPREAD


def test_of_two_readings_at_one_moment_the_higher_counts() -> None:
    """Two readings at the same moment leave the higher one in the curve."""
    both = [Reading(at(9, 19), 6.0), Reading(at(9, 19), 4.0)]

    assert hourly_kwh(at(9, 18), at(9, 20), 8.0, both) == hourly_kwh(
        at(9, 18), at(9, 20), 8.0, both[:1]
    )


# Sessions without duration or energy.


@pytest.mark.parametrize("ended_at", [at(9, 10, 17), at(9, 9)], ids=["same moment", "before"])
def test_a_session_without_duration_puts_everything_in_its_start_hour(ended_at: datetime) -> None:
    """An end at or before the start leaves one row, the start hour's; no reading can count."""
    readings = [Reading(at(9, 10, 17), 2.0)]

    assert hourly_kwh(at(9, 10, 17), ended_at, 5.5, readings) == [(at(9, 10), 5.5)]
    assert curve_basis(at(9, 10, 17), ended_at, readings) is Basis.SPREAD


@pytest.mark.parametrize("kwh", [0.0, -1.0, float("nan"), float("inf")])
def test_a_session_without_energy_has_no_hours(kwh: float) -> None:
    """No (sensible) energy, no rows, whatever the readings."""
    assert hourly_kwh(at(9, 18), at(9, 21), kwh, [Reading(at(9, 19), 4.0)]) == []


# Whatever the readings.


@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, AMSTERDAM]),
    ),
    duration=st.timedeltas(min_value=-HOUR, max_value=timedelta(days=3)),
    final_kwh=st.floats(min_value=0, max_value=200),
    readings=st.lists(
        st.tuples(
            st.timedeltas(min_value=-HOUR, max_value=timedelta(days=3, hours=1)),
            st.floats(min_value=-10, max_value=300) | st.sampled_from([math.nan, math.inf]),
        ),
        max_size=30,
    ),
)
def test_the_hours_are_whole_utc_hours_of_the_session_that_add_up(
    start: datetime,
    duration: timedelta,
    final_kwh: float,
    readings: list[tuple[timedelta, float]],
) -> None:
    """Any readings: whole UTC hours inside the session, none negative, the total to the Wh."""
    end = start + duration
    hours = hourly_kwh(start, end, final_kwh, [Reading(start + t, kwh) for t, kwh in readings])

    if final_kwh == 0:
        assert hours == []
        return
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    assert [hour for hour, _ in hours] == [first + n * HOUR for n in range(len(hours))]
    assert all(hour.tzinfo is UTC for hour, _ in hours)
    if end.astimezone(UTC) > start.astimezone(UTC):
        assert hours[-1][0] < end.astimezone(UTC) <= hours[-1][0] + HOUR
    else:
        assert len(hours) == 1
    assert all(kwh >= 0 and round(kwh, 3) == kwh for kwh in kwh_of(hours))
    assert total(hours) == round(final_kwh, 3)


def _kept(readings: list[Reading]) -> tuple[Reading, ...]:
    kept: tuple[Reading, ...] = ()
    for reading in readings:
        kept = with_reading(kept, reading)
    return kept


def test_readings_a_minute_apart_are_kept_about_every_five_minutes() -> None:
    """A reading a minute for an hour keeps one per five minutes, and always the newest."""
    start = at(9, 18)
    kept = _kept([Reading(start + n * MINUTE, n * 0.18) for n in range(1, 61)])
    assert kept[0] == Reading(start + MINUTE, 0.18)
    assert kept[-1] == Reading(start + 60 * MINUTE, 60 * 0.18)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(kept)]
    assert all(gap >= READING_SPACING for gap in gaps[:-1])
    assert len(kept) == 13


def test_a_pause_is_kept_as_its_first_and_last_reading() -> None:
    """A car that stops drawing keeps two readings of its pause, however long."""
    start = at(9, 18)
    drawing = [Reading(start + n * 10 * MINUTE, n * 1.8) for n in range(1, 4)]
    paused = [Reading(start + n * 10 * MINUTE, 5.4) for n in range(4, 40)]
    kept = _kept([*drawing, *paused, Reading(start + 400 * MINUTE, 7.2)])
    assert kept == (
        *drawing,
        Reading(start + 390 * MINUTE, 5.4),
        Reading(start + 400 * MINUTE, 7.2),
    )


def test_a_reading_not_after_the_newest_adds_nothing() -> None:
    """A reading that comes late, or twice for one moment, changes nothing."""
    kept = _kept([Reading(at(9, 19), 2.0), Reading(at(9, 20), 3.0)])
    assert with_reading(kept, Reading(at(9, 20), 4.0)) == kept
    assert with_reading(kept, Reading(at(9, 18), 1.0)) == kept


def test_thinned_readings_give_the_hours_of_every_reading_to_the_wh() -> None:
    """Thinning moves no hour's kWh by more than a few minutes' worth."""
    start = at(9, 18, 30)
    power = [11.0 if n < 240 else 0.0 for n in range(720)]  # full after four hours
    every = list(itertools.accumulate(power[:-1], lambda kwh, kw: kwh + kw / 60, initial=0.0))
    readings = [Reading(start + n * MINUTE, kwh) for n, kwh in enumerate(every) if n]
    final = every[-1]
    full = hourly_kwh(start, start + 720 * MINUTE, final, readings)
    thinned = hourly_kwh(start, start + 720 * MINUTE, final, _kept(readings))
    assert [hour for hour, _ in thinned] == [hour for hour, _ in full]
    for (_, kwh), (_, expected) in zip(thinned, full, strict=True):
        assert kwh == pytest.approx(expected, abs=0.2)  # at most a minute of 11 kW either way
    assert sum(kwh for _, kwh in thinned[5:]) == 0
