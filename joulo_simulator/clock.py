"""Clocks for the simulator: plain callables that return an aware UTC datetime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import time

type Clock = Callable[[], datetime]
"""Anything that returns the current time as an aware datetime."""


def as_utc(when: datetime) -> datetime:
    """Return ``when`` in UTC; a naive datetime is taken to be UTC already."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


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


class ScaledClock:
    """Real time scaled by ``speed``: ``speed`` simulated seconds pass per real second."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        """Run from ``start`` (default: now) at ``speed`` times real time."""
        if speed <= 0:
            msg = "speed must be positive"
            raise ValueError(msg)
        self.speed = speed
        self._start = as_utc(start) if start is not None else datetime.now(UTC)
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        """Return the simulated current time."""
        elapsed = time.monotonic() - self._origin
        return self._start + timedelta(seconds=elapsed * self.speed)
