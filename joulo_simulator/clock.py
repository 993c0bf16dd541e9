"""Clocks for the simulator: plain callables that return an aware UTC datetime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

type Clock = Callable[[], datetime]
"""Anything that returns the current time as an aware datetime."""


def as_utc(when: datetime) -> datetime:
    """Return ``when`` in UTC; a naive datetime is taken to be UTC already."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def system_clock() -> datetime:
    """Return the real current time in UTC: the clock of the demo and of the command."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        """Start the clock at ``start``."""
        self._now = as_utc(start)

    def __call__(self) -> datetime:
        """Return the clock's current time."""
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by ``delta`` (a timedelta or seconds) and return the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            msg = "a clock cannot go backwards"
            raise ValueError(msg)
        self._now += step
        return self._now

    def set(self, when: datetime) -> None:
        """Set the clock to ``when``."""
        self._now = as_utc(when)
