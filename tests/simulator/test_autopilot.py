"""Tests of the autopilot (demo mode): sessions that start and end by themselves, lazily."""

from __future__ import annotations

from datetime import timedelta
import itertools

from joulo_simulator import (
    CARPORT_ID,
    DEFAULT_ID_TAG,
    DRIVEWAY_ID,
    GARAGE_ID,
    JouloSimulator,
    ManualClock,
    SimSession,
)

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
    """Only online chargers charge, one session at a time, 1-6 h at 7-11 kW."""
    sim, sessions = _run(timedelta(hours=5))
    assert {s.charger_id for s in sessions} == {GARAGE_ID, DRIVEWAY_ID}
    for session in sessions:
        end = session.ended_at or session.ends_at
        assert end is not None
        hours = (end - session.started_at).total_seconds() / 3600
        assert 1 <= hours <= 6
        assert 7 <= session.power_kw <= 11
        assert session.id_tag == (DEFAULT_ID_TAG if session.charger_id == DRIVEWAY_ID else None)
        if session.ended_at is not None:
            assert session.kwh == round(session.power_kw * hours, 2)
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
