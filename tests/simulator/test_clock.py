"""Tests of the simulator's clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from joulo_simulator import ManualClock, system_clock

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


def test_system_clock_is_real_utc_time() -> None:
    """The default clock is the real time, in UTC."""
    before = datetime.now(UTC)
    now = system_clock()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)
