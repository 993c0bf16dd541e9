"""When months and years start: local midnight of their first day, through DST and the year's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.joulo.periods import Period, next_month_start, period_start

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ASUNCION = ZoneInfo("America/Asuncion")
"""Clocks went from 00:00 to 01:00 on 1 October 2023: that day had no midnight."""
HAVANA = ZoneInfo("America/Havana")
"""Clocks went back from 01:00 to 00:00 on 1 November 2020: that day had midnight twice."""
SECOND = timedelta(seconds=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def in_utc(moment: datetime) -> datetime:
    """`moment` in UTC, to add elapsed time (a local time adds on the wall clock) and to compare.

    Python finds a local time that comes twice equal to no time in another zone.
    """
    return moment.astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "month", "year", "next_month"),
    [
        # Mid-April in Amsterdam (summer time, UTC+2): April began and May begins at 22:00 UTC, the
        # year began in winter time (UTC+1).
        (utc(2026, 4, 15, 12), utc(2026, 3, 31, 22), utc(2025, 12, 31, 23), utc(2026, 4, 30, 22)),
        # March began in winter time and April begins in summer time: at 22:00 UTC, not 23:00.
        (utc(2026, 3, 15, 12), utc(2026, 2, 28, 23), utc(2025, 12, 31, 23), utc(2026, 3, 31, 22)),
        # October the other way round: it began in summer time, November in winter time.
        (utc(2026, 10, 15, 12), utc(2026, 9, 30, 22), utc(2025, 12, 31, 23), utc(2026, 10, 31, 23)),
        # 31 December 23:30 in Amsterdam is still December and 2026; its midnight starts both anew.
        (
            utc(2026, 12, 31, 22, 30),
            utc(2026, 11, 30, 23),
            utc(2025, 12, 31, 23),
            utc(2026, 12, 31, 23),
        ),
        # 23:30 UTC on 31 December is already 1 January 00:30 in Amsterdam.
        (
            utc(2026, 12, 31, 23, 30),
            utc(2026, 12, 31, 23),
            utc(2026, 12, 31, 23),
            utc(2027, 1, 31, 23),
        ),
        # At the very moment a year starts, the month and the year are the new ones.
        (utc(2026, 12, 31, 23), utc(2026, 12, 31, 23), utc(2026, 12, 31, 23), utc(2027, 1, 31, 23)),
    ],
)
def test_periods_in_amsterdam(
    moment: datetime, month: datetime, year: datetime, next_month: datetime
) -> None:
    """The month and year a moment lies in, and the next month, start at local midnight."""
    starts = (
        period_start(moment, Period.MONTH, AMSTERDAM),
        period_start(moment, Period.YEAR, AMSTERDAM),
        next_month_start(moment, AMSTERDAM),
    )
    assert starts == (month, year, next_month)
    assert {start.time() for start in starts} == {datetime.min.time()}


def test_a_month_without_midnight() -> None:
    """Asunción's October 2023 began at 01:00 local (04:00 UTC), the first moment of its first day."""
    september = utc(2023, 9, 15, 12)
    start = next_month_start(september, ASUNCION)
    assert start == utc(2023, 10, 1, 4)
    assert start.isoformat() == "2023-10-01T01:00:00-03:00"
    # At that moment October is the month; a second before, September still was.
    assert period_start(start, Period.MONTH, ASUNCION) == start
    before = in_utc(start) - SECOND
    assert period_start(before, Period.MONTH, ASUNCION) == period_start(
        september, Period.MONTH, ASUNCION
    )
    assert next_month_start(start, ASUNCION) == utc(2023, 11, 1, 3)


def test_a_month_with_midnight_twice() -> None:
    """Havana's November 2020 began at its first midnight (04:00 UTC), and went on in the second."""
    start = next_month_start(utc(2020, 10, 15, 12), HAVANA)
    assert in_utc(start) == utc(2020, 11, 1, 4)
    assert start.isoformat() == "2020-11-01T00:00:00-04:00"
    second_midnight = utc(2020, 11, 1, 5, 30)
    assert second_midnight.astimezone(HAVANA).isoformat() == "2020-11-01T00:30:00-05:00"
    assert in_utc(period_start(second_midnight, Period.MONTH, HAVANA)) == utc(2020, 11, 1, 4)
    assert next_month_start(second_midnight, HAVANA) == utc(2020, 12, 1, 5)


@pytest.mark.parametrize("zone", [AMSTERDAM, ASUNCION, HAVANA, UTC], ids=str)
def test_each_start_follows_the_last(zone: ZoneInfo) -> None:
    """Every five hours over four years: a month starts where the one before ends, and lies ahead.

    A year starts with its January.
    """
    moment = utc(2020, 1, 1)
    while moment < utc(2024, 1, 1):
        month = period_start(moment, Period.MONTH, zone)
        following = next_month_start(moment, zone)
        assert month <= moment < following
        assert period_start(following, Period.MONTH, zone) == following
        assert next_month_start(in_utc(month) - SECOND, zone) == month
        year = period_start(moment, Period.YEAR, zone)
        assert year <= month
        assert period_start(year, Period.MONTH, zone) == year
        assert (year == month) is (moment.astimezone(zone).month == 1)
        moment += timedelta(hours=5)
