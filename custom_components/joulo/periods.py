"""When a month or a year starts: local midnight of its first day, in a given time zone, pure.

The "this month" and "this year" figures start again at these moments, in Home Assistant's time
zone. A start is computed from the calendar date in that zone, never by adding a length of time, so
it falls on local midnight whatever daylight saving time did in between. Where a zone skips midnight
(clocks go forward at 00:00) the period starts at the first moment of its first day, and reads as the
time the clocks showed then (01:00); where midnight comes twice (clocks go back at 01:00), at the first
of the two.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from enum import StrEnum

DECEMBER = 12


class Period(StrEnum):
    """A period whose figures start again from nothing."""

    MONTH = "month"
    YEAR = "year"


def period_start(moment: datetime, period: Period, zone: tzinfo) -> datetime:
    """The start of the `period` that the aware `moment` lies in, in `zone`."""
    local = moment.astimezone(zone)
    return month_start(local.year, 1 if period is Period.YEAR else local.month, zone)


def next_month_start(moment: datetime, zone: tzinfo) -> datetime:
    """The start of the month after the one the aware `moment` lies in, in `zone`.

    Every period starts with a month: a year with January.
    """
    local = moment.astimezone(zone)
    if local.month == DECEMBER:
        return month_start(local.year + 1, 1, zone)
    return month_start(local.year, local.month + 1, zone)


def month_start(year: int, month: int, zone: tzinfo) -> datetime:
    """The first moment of a month's first day in `zone`, as the clocks there showed it.

    A midnight the clocks skipped counts with the offset before the jump (Python's `fold=0`), which
    is the moment they jumped; the way back through UTC turns it into the time they jumped to.
    """
    return datetime(year, month, 1, tzinfo=zone).astimezone(UTC).astimezone(zone)
