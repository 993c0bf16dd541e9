"""How a car draws its session's energy: at its charger's power until full, or from a schedule.

A session is open from plug-in to unplug. The car draws its charger's power until it has the
session's energy (it is full), then sits in the open session drawing nothing until it is unplugged.
A charger with a schedule holds a car plugged in during the evening until the schedule's start
(a local time of the night) and only then lets it draw, when its energy still fits before unplug.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

TIME_ZONE = ZoneInfo("Europe/Amsterdam")
"""The simulator's time zone: the one a charger's schedule is set in."""
_NOON = time(12)
_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Draw:
    """When a car starts drawing and at what power it draws until full."""

    starts_at: datetime
    power_kw: float


def night_schedule_start(plugged_in: datetime, schedule_start: time) -> datetime:
    """Return the start of a schedule (a local time before noon) in the night of a plug-in.

    A night runs from noon to noon: a car plugged in at 18:00 belongs to the night whose 01:00 comes
    next, one plugged in at 03:00 to the night whose 01:00 has passed.
    """
    local = plugged_in.astimezone(TIME_ZONE)
    day = local.date() + timedelta(days=1 if local.time() >= _NOON else 0)
    return datetime.combine(day, schedule_start, tzinfo=TIME_ZONE).astimezone(UTC)


def plan_draw(
    plugged_in: datetime,
    *,
    power_kw: float,
    kwh: float | None = None,
    unplugged: datetime | None = None,
    schedule_start: time | None = None,
) -> Draw:
    """Return when a car plugged in at ``plugged_in`` starts drawing, and at what power.

    The car draws ``power_kw`` from plug-in, except that:

    - a session whose ``kwh`` cannot be drawn at ``power_kw`` before ``unplugged`` draws evenly
      from plug-in at the power that fits, so that it has exactly ``kwh`` at unplug;
    - on a charger with a ``schedule_start``, a car plugged in before the schedule's start in its
      night (:func:`night_schedule_start`) whose ``kwh`` fits at ``power_kw`` between that start and
      ``unplugged`` draws from the schedule's start. A car that plugs in later, or whose energy
      would not fit after the start, draws from plug-in.

    Without ``kwh`` or ``unplugged`` the car draws from plug-in: the charger cannot tell whether
    waiting would leave it short.
    """
    if kwh is None or unplugged is None:
        return Draw(plugged_in, power_kw)
    plugged_hours = (unplugged - plugged_in).total_seconds() / _SECONDS_PER_HOUR
    if kwh > power_kw * plugged_hours:
        return Draw(plugged_in, kwh / plugged_hours)
    if schedule_start is not None:
        scheduled = night_schedule_start(plugged_in, schedule_start)
        scheduled_hours = (unplugged - scheduled).total_seconds() / _SECONDS_PER_HOUR
        if plugged_in < scheduled and kwh <= power_kw * scheduled_hours:
            return Draw(scheduled, power_kw)
    return Draw(plugged_in, power_kw)
