"""Where a session's kWh fell: its hourly kWh, from the readings taken while it ran, pure.

A session is open from plug-in to unplug, and a car draws power only part of that time (it is full,
or it waits for a scheduled hour). The readings of its kWh so far, taken while it ran, say when: the
curve goes from (start, 0 kWh) through each reading to (end, the final kWh), and the energy of each
stretch between two points is spread evenly over that stretch. A session never seen running has no
readings, and is spread evenly over its whole duration.

Which readings count (the others are ignored, and the curve is as if they were never taken):
- only those strictly between the start and the end: the curve is pinned at both ends;
- in time order, whatever the order they come in; of two at the same moment, the higher;
- only those at or above every earlier one (and finite): kWh so far never go down, so a lower reading
  is a stale or reset value.

A final kWh below the last reading (Joulo corrected the session) scales every reading down by the
same factor, so that the last one equals the final kWh: the hours keep their share of the energy, the
total is the final kWh, and no hour goes negative. A final kWh above the last reading puts the rest
in the last stretch, from the last reading to the end.

The hours are whole UTC hours (as long-term statistics rows are), every hour the session ran, 0 where
nothing was drawn; each is rounded to the Wh, the rounding carried from hour to hour, so that they add
up to the final kWh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import math

ENERGY_DECIMALS = 3
"""kWh are kept to the Wh."""
HOUR = timedelta(hours=1)
READING_SPACING = timedelta(minutes=5)
"""Readings closer together than this are thinned (see `with_reading`): an hour's share needs no more."""

type Point = tuple[datetime, float]
"""A moment of the curve and the kWh charged by then."""


class Basis(StrEnum):
    """How a session's hours were found."""

    OBSERVED = "observed"
    """From readings taken while it ran."""
    SPREAD = "spread"
    """Evenly over its duration: it was never seen running."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A session's kWh so far (`kwh`) at a moment (`at`, aware)."""

    at: datetime
    kwh: float


def with_reading(readings: Sequence[Reading], reading: Reading) -> tuple[Reading, ...]:
    """A running session's readings with one more taken, thinned so that few are kept.

    The curve only needs where it bends: the newest reading replaces the one before it when that one
    is less than `READING_SPACING` after the reading before it, or when all three are the same kWh (a
    pause, kept as its first and last reading). A reading at or before the newest one adds nothing.
    So a session keeps about one reading per five minutes while it draws power, and two per pause.
    """
    if readings and reading.at <= readings[-1].at:
        return tuple(readings)
    if len(readings) > 1:
        before, newest = readings[-2], readings[-1]
        if newest.at - before.at < READING_SPACING or before.kwh == newest.kwh == reading.kwh:
            return (*readings[:-1], reading)
    return (*readings, reading)


def usable_readings(
    started_at: datetime, ended_at: datetime, readings: Iterable[Reading]
) -> list[Point]:
    """The readings that draw the curve (see the module's docstring), in time order, in UTC."""
    start, end = started_at.astimezone(UTC), ended_at.astimezone(UTC)
    level = 0.0
    kept: dict[datetime, float] = {}
    # In UTC: datetimes of one time zone compare by the clock, which runs back once a year.
    for at, kwh in sorted((reading.at.astimezone(UTC), reading.kwh) for reading in readings):
        if start < at < end and level <= kwh < math.inf:
            kept[at] = level = kwh
    return list(kept.items())


def curve_basis(started_at: datetime, ended_at: datetime, readings: Iterable[Reading]) -> Basis:
    """`observed` when at least one reading draws the session's curve, else `spread`."""
    return Basis.OBSERVED if usable_readings(started_at, ended_at, readings) else Basis.SPREAD


def hourly_kwh(
    started_at: datetime, ended_at: datetime, final_kwh: float, readings: Iterable[Reading]
) -> list[tuple[datetime, float]]:
    """The kWh a session charged in each UTC hour it ran (see the module's docstring).

    A session without energy gives nothing; one without duration (an end at or before its start)
    puts everything in its start hour.
    """
    if not 0 < final_kwh < math.inf:
        return []
    start = started_at.astimezone(UTC)
    end = max(ended_at.astimezone(UTC), start)
    hour = start.replace(minute=0, second=0, microsecond=0)
    if end == start:
        return [(hour, round(final_kwh, ENERGY_DECIMALS))]
    points = [(start, 0.0), *_fitted(usable_readings(start, end, readings), final_kwh)]
    points.append((end, final_kwh))
    portions = []
    delivered = 0.0
    stretch = 0
    while hour < end:
        until = min(hour + HOUR, end)
        while points[stretch + 1][0] < until:
            stretch += 1
        charged = _charged_at(points[stretch], points[stretch + 1], until)
        # Never above the final kWh nor below the hour before, whatever the floating point does
        # near a stretch's end: the hours add up to the final kWh and none is negative.
        cumulative = max(round(min(charged, final_kwh), ENERGY_DECIMALS), delivered)
        portions.append((hour, round(cumulative - delivered, ENERGY_DECIMALS)))
        delivered = cumulative
        hour += HOUR
    return portions


def _fitted(readings: list[Point], final_kwh: float) -> list[Point]:
    """The readings, scaled down to end at the final kWh when the last one is above it."""
    last = max((kwh for _, kwh in readings), default=0.0)
    if last <= final_kwh:
        return readings
    return [(at, kwh * final_kwh / last) for at, kwh in readings]


def _charged_at(before: Point, after: Point, moment: datetime) -> float:
    """The kWh charged by `moment`, between two points of the curve (`after` later than `before`)."""
    (since, charged), (until, total) = before, after
    if moment == until:
        return total
    return (
        charged
        + (total - charged) * (moment - since).total_seconds() / (until - since).total_seconds()
    )
