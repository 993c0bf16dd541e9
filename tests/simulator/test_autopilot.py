"""Tests of the autopilot (demo mode): sessions that start and end by themselves, lazily.

And the demo's promise: at any speed, nothing in any answer lies ahead of the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
import itertools
import json
import re
from typing import Any

import pytest

from joulo_simulator import JouloSimulator, ManualClock, SimSession
from joulo_simulator.account import (
    CAR_A_TAG,
    CAR_B_TAG,
    CARPORT_ID,
    DEMO_TOKEN,
    DRIVEWAY_ID,
    GARAGE_ID,
)
from joulo_simulator.api import handle_request

from .common import START

SPAN = timedelta(days=3)


def _run(step: timedelta, *, seed: int = 1) -> tuple[JouloSimulator, list[SimSession]]:
    """Run an autopilot simulator for :data:`SPAN`, looking at it every ``step``."""
    clock = ManualClock(START)
    sim = JouloSimulator(clock, seed=seed, autopilot=True)
    assert sim.active_sessions() == []
    while clock() < START + SPAN:
        clock.set(min(clock() + step, START + SPAN))
        sim.now()
    return sim, [s for s in sim.account().sessions if s.started_at >= START]


def _summary(sessions: list[SimSession]) -> list[tuple[object, ...]]:
    return [(s.id, s.charger_id, s.started_at, s.ended_at, s.kwh, s.id_tag) for s in sessions]


def test_autopilot_catches_up_lazily_and_deterministically() -> None:
    """Looking every few minutes or once after three days gives the very same sessions."""
    _, often = _run(timedelta(minutes=7))
    _, once = _run(SPAN)
    assert _summary(often) == _summary(once)
    assert len(often) >= 6
    _, other_seed = _run(SPAN, seed=2)
    assert _summary(other_seed) != _summary(once)


def test_autopilot_sessions_are_plausible() -> None:
    """Only online chargers charge, one session at a time, 1-6 h at 7-11 kW, cars that get full."""
    sim, sessions = _run(timedelta(hours=5))
    assert {s.charger_id for s in sessions} == {GARAGE_ID, DRIVEWAY_ID}
    for session in sessions:
        end = session.ended_at or session.ends_at
        assert end is not None
        hours = (end - session.started_at).total_seconds() / 3600
        assert 1 <= hours <= 6
        assert 7 <= session.power_kw <= 11
        assert session.wanted_kwh is not None
        assert 0.3 * session.power_kw * hours <= session.wanted_kwh <= session.power_kw * hours
        if session.ended_at is not None:
            assert session.kwh == round(session.wanted_kwh, 2)
    assert {s.id_tag for s in sessions if s.charger_id == DRIVEWAY_ID} == {CAR_A_TAG}
    assert {s.id_tag for s in sessions if s.charger_id == GARAGE_ID} <= {CAR_A_TAG, CAR_B_TAG}
    # Most cars are full a while before they are unplugged.
    full_early = [
        s
        for s in sessions
        if (s.full_at and s.ended_at and s.full_at < s.ended_at - timedelta(minutes=30))
    ]
    assert len(full_early) > len(sessions) / 2
    for charger_id in (GARAGE_ID, DRIVEWAY_ID):
        runs = [s for s in sessions if s.charger_id == charger_id]
        # A demo shows charging soon after it starts.
        assert runs[0].started_at <= START + timedelta(minutes=90)
        for earlier, later in itertools.pairwise(runs):
            assert earlier.ended_at is not None
            assert earlier.ended_at < later.started_at
    assert len(sim.active_sessions()) <= 2


def test_autopilot_follows_the_charger_status() -> None:
    """A charger that goes offline stops getting sessions; one that comes online starts."""
    clock = ManualClock(START)
    sim = JouloSimulator(clock, autopilot=True)
    assert sim.autopilot
    sim.set_charger_status(GARAGE_ID, "offline")
    sim.set_charger_status(CARPORT_ID, "online")
    added = sim.add_charger(nickname="Extra")
    clock.advance(SPAN)
    sim.now()
    started = {s.charger_id for s in sim.account().sessions if s.started_at >= START}
    assert started == {DRIVEWAY_ID, CARPORT_ID, added.id}
    sim.remove_charger(added.id)
    sim.now()


def test_manual_sessions_under_autopilot() -> None:
    """A manual session pauses the autopilot on that charger until it ends."""
    clock = ManualClock(START)
    sim = JouloSimulator(clock, autopilot=True)
    manual = sim.start_session(GARAGE_ID, power_kw=3.0)
    clock.advance(timedelta(days=1))
    sim.now()
    garage = [s for s in sim.account().sessions if s.charger_id == GARAGE_ID]
    assert [s for s in garage if s.started_at >= START] == [manual]
    sim.end_session(GARAGE_ID)
    assert manual.kwh == 72.0
    clock.advance(timedelta(days=1))
    sim.now()
    assert sim.account().sessions[-1] is not manual


def test_without_autopilot_nothing_happens_by_itself() -> None:
    """The default simulator only changes when told to."""
    clock = ManualClock(START)
    sim = JouloSimulator(clock)
    before = len(sim.account().sessions)
    clock.advance(timedelta(days=30))
    assert sim.active_sessions() == []
    assert len(sim.account().sessions) == before


def test_speed_makes_sessions_shorter_and_more_frequent() -> None:
    """At speed 60 sessions last 1-6 minutes, 2-10 minutes apart, at the same 7-11 kW."""
    clock = ManualClock(START)
    sim = JouloSimulator(clock, autopilot=True, speed=60)
    assert sim.speed == 60
    clock.advance(timedelta(hours=3))
    sim.now()
    history = [s for s in sim.account().sessions if s.started_at < START]
    assert history
    assert all(s.ended_at is not None and s.ended_at <= START for s in history)
    for charger_id in (GARAGE_ID, DRIVEWAY_ID):
        runs = [
            s
            for s in sim.account().sessions
            if s.started_at >= START and s.charger_id == charger_id
        ]
        assert len(runs) >= 15
        assert runs[0].started_at <= START + timedelta(seconds=90)
        for earlier, later in itertools.pairwise(runs):
            assert earlier.ended_at is not None
            assert (
                timedelta(minutes=1)
                <= earlier.ended_at - earlier.started_at
                <= timedelta(minutes=6)
            )
            assert (
                timedelta(minutes=2) <= later.started_at - earlier.ended_at <= timedelta(minutes=10)
            )
            assert 7 <= earlier.power_kw <= 11
    with pytest.raises(ValueError, match="positive"):
        JouloSimulator(clock, speed=0)


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_MONTH = re.compile(r"(\d{4}-\d\d)(-01)?")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


def _times_in(value: Any) -> Iterator[tuple[str, str]]:
    """Yield every (key, text) in a JSON value whose text is a timestamp, month or quarter."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                yield key, item
            else:
                yield from _times_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _times_in(item)


def _assert_not_ahead(document: Any, now: datetime) -> int:
    """Assert that no time in ``document`` is after ``now``; return how many were looked at."""
    seen = 0
    for key, text in _times_in(document):
        if _TIMESTAMP.fullmatch(text):
            assert datetime.fromisoformat(text) <= now, (key, text, now)
        elif month := _MONTH.fullmatch(text):
            assert month[1] <= now.strftime("%Y-%m"), (key, text, now)
        elif quarter := _QUARTER.fullmatch(text):
            assert (int(quarter[1]), int(quarter[2])) <= (now.year, (now.month + 2) // 3), text
        else:
            continue
        seen += 1
    if isinstance(document, dict) and "compliance_year" in document:
        assert document["compliance_year"] <= now.year
    return seen


@pytest.mark.parametrize("speed", [1, 20])
def test_nothing_lies_ahead_of_the_clock(speed: float) -> None:
    """A simulated day with the autopilot and the sync, every endpoint polled every 5 minutes."""
    clock = ManualClock(START)
    sim = JouloSimulator(clock, autopilot=True, speed=speed, rate_limit=None)
    assert sim.upstream_sync
    polls = [
        ("/chargers", {}),
        ("/sessions", {"limit": "100"}),
        ("/sessions", {"charger_id": GARAGE_ID, "limit": "5"}),
        ("/energy", {}),
        ("/me", {}),
        ("/ere-position", {}),
    ]
    seen = running = 0
    while clock() < START + timedelta(days=1):
        now = clock()
        for endpoint, query in polls:
            answer = handle_request(
                sim,
                method="GET",
                endpoint=endpoint,
                query=query,
                authorization=f"Bearer {DEMO_TOKEN}",
            )
            assert answer.status == 200
            document = json.loads(answer.body)
            seen += _assert_not_ahead(document, now)
            if endpoint == "/chargers":
                running += sum(c["is_charging"] for c in document["chargers"])
        clock.advance(timedelta(minutes=5))
    started = [s for s in sim.account().sessions if s.started_at >= START]
    assert len(started) >= (6 if speed == 1 else 60)
    assert running > 0
    assert seen > 10_000
