"""Tests of the simulator's clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import time

import pytest

from joulo_simulator import ManualClock, ScaledClock

from .common import START


def test_manual_clock_moves_only_when_told() -> None:
    """A manual clock advances by timedeltas or seconds and can be set."""
    clock = ManualClock(START)
    assert clock() == START
    assert clock.advance(timedelta(minutes=5)) == START + timedelta(minutes=5)
    clock.advance(30)
    clock.advance(0.5)
    assert clock() == START + timedelta(minutes=5, seconds=30.5)
    clock.set(START + timedelta(days=2))
    assert clock() == START + timedelta(days=2)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_manual_clock_is_utc() -> None:
    """Times in another zone are converted to UTC; naive ones are taken as UTC."""
    clock = ManualClock(datetime(2026, 4, 9, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    assert clock() == START
    assert clock().tzinfo is UTC
    clock.set(datetime(2026, 4, 9, 12, 0))  # noqa: DTZ001
    assert clock() == START


def test_scaled_clock_runs_faster_than_real_time() -> None:
    """At speed 3600, a real millisecond is 3.6 simulated seconds."""
    clock = ScaledClock(3600, start=START)
    first = clock()
    time.sleep(0.01)
    assert clock() - first >= timedelta(seconds=36)
    assert START <= first < START + timedelta(minutes=10)
    assert abs(ScaledClock()() - datetime.now(UTC)) < timedelta(seconds=1)
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(0)
