"""Tests of the upstream sync: cloud chargers change only at their own 15-minute syncs, OCPP live."""

from __future__ import annotations

from datetime import datetime, timedelta
import itertools
from typing import Any

import pytest

from joulo_simulator import JouloSimulator, ManualClock, ere_credits_for
from joulo_simulator.account import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID
from joulo_simulator.sync import SYNC_INTERVAL, last_sync, sync_phase

from .common import START, SimClient

MINUTE = timedelta(minutes=1)
pytestmark = pytest.mark.upstream_sync


async def _charger(client: SimClient, charger_id: str) -> dict[str, Any]:
    chargers = (await client.get("/chargers")).json()["chargers"]
    return next(c for c in chargers if c["id"] == charger_id)


async def _sessions(client: SimClient, charger_id: str) -> list[dict[str, Any]]:
    reply = await client.get("/sessions", {"charger_id": charger_id, "limit": "5"})
    sessions: list[dict[str, Any]] = reply.json()["sessions"]
    return sessions


def _to_next_sync(sim: JouloSimulator, clock: ManualClock, charger_id: str) -> datetime:
    """Move the clock to the charger's next sync and return its time."""
    synced = sim.next_sync(charger_id)
    assert synced is not None
    clock.set(synced)
    return synced


def test_each_cloud_charger_has_its_own_phase(sim: JouloSimulator, clock: ManualClock) -> None:
    """Syncs every 15 minutes at a fixed second of the quarter hour, from the charger's id."""
    other = sim.add_account()
    cloud = [GARAGE_ID, CARPORT_ID, *(c.id for c in other.chargers.values() if not c.reports_live)]
    phases = [sync_phase(charger_id) for charger_id in cloud]
    assert all(0 <= phase < 900 for phase in phases)
    assert len(set(phases)) == len(phases)
    for charger_id in cloud:
        synced = sim.last_sync(charger_id)
        assert synced is not None
        assert START - SYNC_INTERVAL < synced <= START
        assert synced.timestamp() % 900 == sync_phase(charger_id)
        assert sim.next_sync(charger_id) == synced + SYNC_INTERVAL
    assert sim.last_sync(DRIVEWAY_ID) is None
    assert sim.next_sync(DRIVEWAY_ID) is None
    # At the very second of a sync, that sync has happened.
    synced = _to_next_sync(sim, clock, GARAGE_ID)
    assert last_sync(GARAGE_ID, synced) == sim.last_sync(GARAGE_ID) == synced
    assert last_sync(GARAGE_ID, synced - timedelta(seconds=1)) == synced - SYNC_INTERVAL
    sim.upstream_sync = False
    assert sim.last_sync(GARAGE_ID) is None


async def test_cloud_session_shows_at_the_syncs(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """Between syncs nothing changes; each sync shows the true state, with the real times."""
    energy_before = (await client.get("/energy")).json()
    position_before = (await client.get("/ere-position")).json()
    first = _to_next_sync(sim, clock, GARAGE_ID)
    clock.advance(MINUTE)
    session = sim.start_session(GARAGE_ID, power_kw=7.4)
    idle = await _charger(client, GARAGE_ID)
    assert idle["is_charging"] is False

    seen: list[dict[str, Any]] = []
    while clock() < first + 4 * SYNC_INTERVAL:
        if clock() == first + 2 * SYNC_INTERVAL + 5 * MINUTE:
            ended = sim.end_session(GARAGE_ID)
        seen.append(await _charger(client, GARAGE_ID))
        clock.advance(MINUTE)
    # What /chargers showed changed only at the syncs, at whole quarter hours from the first.
    changes = [i for i, (a, b) in enumerate(itertools.pairwise(seen), start=1) if a != b]
    assert changes == [14, 29, 44]
    before, running, later, done = seen[0], seen[14], seen[29], seen[44]
    assert before == idle
    assert running["current_session"] == {
        "id": session.id,
        "started_at": "2026-04-09T" + (first + MINUTE).strftime("%H:%M:%S") + "Z",
        "kwh_so_far": round(7.4 * 14 / 60, 2),
        "id_tag": session.id_tag,
    }
    # Power over two consecutive syncs is the session's power.
    delta = later["current_session"]["kwh_so_far"] - running["current_session"]["kwh_so_far"]
    assert delta / 0.25 == pytest.approx(7.4, rel=0.05)
    assert (done["is_charging"], done["status"]) == (False, "online")
    assert "current_session" not in done
    assert ended.ended_at == first + 2 * SYNC_INTERVAL + 5 * MINUTE
    assert ended.kwh == round(7.4 * 34 / 60, 2)

    energy = (await client.get("/energy")).json()
    assert energy["total_kwh"] == round(energy_before["total_kwh"] + ended.kwh, 2)
    assert energy["total_sessions"] == energy_before["total_sessions"] + 1
    position = (await client.get("/ere-position")).json()
    assert position["allocatable_ere"] == round(
        position_before["allocatable_ere"] + (ere_credits_for(ended.kwh) or 0), 2
    )


async def test_cloud_session_in_sessions_and_energy(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """``/sessions`` lists a session from the sync after it started and completes it at the next."""
    energy_before = (await client.get("/energy")).json()
    first = _to_next_sync(sim, clock, GARAGE_ID)
    clock.advance(3 * MINUTE)
    session = sim.start_session(GARAGE_ID, power_kw=11)
    clock.set(first + SYNC_INTERVAL - timedelta(seconds=1))
    assert (await _sessions(client, GARAGE_ID))[0]["id"] != session.id

    clock.set(first + SYNC_INTERVAL)
    listed = (await _sessions(client, GARAGE_ID))[0]
    assert listed == {
        "id": session.id,
        "charger_id": GARAGE_ID,
        "charger_nickname": "Garage",
        "started_at": listed["started_at"],
        "ended_at": None,
        "kwh": round(11 * 12 / 60, 2),
        "status": "charging",
        "ere_credits": None,
        "counts_for_ere": True,
        "id_tag": session.id_tag,
    }
    assert listed["started_at"].endswith((first + 3 * MINUTE).strftime("%H:%M:%SZ"))

    clock.advance(7 * MINUTE)
    sim.end_session(GARAGE_ID)
    clock.advance(7 * MINUTE)
    # Ended, but Joulo has not seen it yet: still running with the energy of the last sync.
    assert (await _sessions(client, GARAGE_ID))[0] == listed
    assert (await client.get("/energy")).json() == energy_before

    clock.advance(MINUTE)
    completed = (await _sessions(client, GARAGE_ID))[0]
    assert completed["status"] == "completed"
    assert completed["ended_at"].endswith((first + 22 * MINUTE).strftime("%H:%M:%SZ"))
    assert (completed["kwh"], completed["ere_credits"]) == (3.48, ere_credits_for(3.48))
    energy = (await client.get("/energy")).json()
    assert energy["total_sessions"] == energy_before["total_sessions"] + 1


async def test_short_session_between_two_syncs(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A session that starts and ends between syncs is never seen charging; it appears completed."""
    first = _to_next_sync(sim, clock, GARAGE_ID)
    clock.advance(2 * MINUTE)
    session = sim.start_session(GARAGE_ID, power_kw=11, duration=10 * MINUTE)
    for _ in range(12):
        clock.advance(MINUTE)
        assert (await _charger(client, GARAGE_ID))["is_charging"] is False
        assert all(s["id"] != session.id for s in await _sessions(client, GARAGE_ID))
    clock.set(first + SYNC_INTERVAL)
    assert (await _charger(client, GARAGE_ID))["is_charging"] is False
    listed = (await _sessions(client, GARAGE_ID))[0]
    assert (listed["id"], listed["status"], listed["kwh"]) == (session.id, "completed", 1.83)
    assert listed["started_at"].endswith((first + 2 * MINUTE).strftime("%H:%M:%SZ"))
    assert listed["ended_at"].endswith((first + 12 * MINUTE).strftime("%H:%M:%SZ"))


async def test_status_changes_show_at_the_next_sync(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A cloud charger going offline or online shows at its next sync; a reboot shows at once."""
    first = _to_next_sync(sim, clock, GARAGE_ID)
    clock.advance(MINUTE)
    sim.set_charger_status(GARAGE_ID, "offline")
    sim.set_charger_status(CARPORT_ID, "online")
    assert (await _charger(client, GARAGE_ID))["status"] == "online"
    clock.set(first + SYNC_INTERVAL)
    assert (await _charger(client, GARAGE_ID))["status"] == "offline"
    carport_sync = _to_next_sync(sim, clock, CARPORT_ID)
    assert (await _charger(client, CARPORT_ID))["status"] == "online"
    clock.set(carport_sync + MINUTE)

    # Joulo sent the reboot itself: it shows at once, for a minute.
    assert sim.reboot_charger(CARPORT_ID).at == carport_sync + MINUTE
    assert (await _charger(client, CARPORT_ID))["status"] == "offline"
    clock.advance(MINUTE)
    assert (await _charger(client, CARPORT_ID))["status"] == "online"


async def test_ocpp_charger_stays_live(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """An OCPP charger's sessions show at once, in ``/chargers`` and in ``/sessions``."""
    session = sim.start_session(DRIVEWAY_ID)
    charging = await _charger(client, DRIVEWAY_ID)
    assert charging["current_session"]["id"] == session.id
    assert (await _sessions(client, DRIVEWAY_ID))[0]["status"] == "charging"
    clock.advance(timedelta(seconds=90))
    assert (await _charger(client, DRIVEWAY_ID))["current_session"]["kwh_so_far"] == 0.28
    sim.end_session(DRIVEWAY_ID)
    assert (await _sessions(client, DRIVEWAY_ID))[0]["status"] == "completed"
    assert (await _charger(client, DRIVEWAY_ID))["is_charging"] is False


@pytest.mark.parametrize("start_second", [0, 25])
async def test_ocpp_meter_reads_every_minute(
    client: SimClient, sim: JouloSimulator, clock: ManualClock, start_second: int
) -> None:
    """Readings at the start and each whole minute, exact for their time; 11 kW reads 11 kW."""
    meter_before = (await _charger(client, DRIVEWAY_ID))["latest_meter_wh"]
    clock.advance(start_second)
    start = clock()
    sim.start_session(DRIVEWAY_ID, power_kw=11)
    readings: list[tuple[int, str]] = []
    for _ in range(6 * 60 // 10):
        charger = await _charger(client, DRIVEWAY_ID)
        readings.append((charger["latest_meter_wh"], charger["meter_updated_at"]))
        clock.advance(10)
    distinct = list(dict.fromkeys(readings))
    # Wh and time change together: every new time has a new value, and the other way round.
    assert len({wh for wh, _ in distinct}) == len({at for _, at in distinct}) == len(distinct)
    times = [datetime.fromisoformat(at) for _, at in distinct]
    assert times[0] == start
    assert all(t.second == 0 for t in times[1:])
    assert [b - a for a, b in itertools.pairwise(times[1:])] == [MINUTE] * (len(times) - 2)
    for wh, at in zip((wh for wh, _ in distinct), times, strict=True):
        exact = meter_before + 11_000 * (at - start).total_seconds() / 3600
        assert exact - 1 < wh <= exact
    (wh_a, _), (wh_b, _) = distinct[1], distinct[2]
    assert (wh_b - wh_a) / 1000 * 60 == pytest.approx(11, rel=0.05)
    # The end is a reading of its own.
    clock.advance(timedelta(seconds=7))
    session = sim.end_session(DRIVEWAY_ID)
    charger = await _charger(client, DRIVEWAY_ID)
    assert session.ended_at is not None
    assert datetime.fromisoformat(charger["meter_updated_at"]) == session.ended_at
    assert charger["latest_meter_wh"] >= readings[-1][0]


async def test_cloud_meter_reads_at_the_syncs(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A cloud charger with a meter shows the reading of its last sync, taken at that time."""
    charger = sim.add_charger(nickname="Meter", connection_type="zaptec", meter_wh=5000)
    # A charger shows its state at the link until its first sync.
    linked = await _charger(client, charger.id)
    assert (linked["latest_meter_wh"], linked["meter_updated_at"]) == (5000, "2026-04-09T12:00:00Z")
    clock.advance(MINUTE)
    sim.start_session(charger.id, power_kw=6)
    clock.advance(MINUTE)
    assert await _charger(client, charger.id) == linked
    first = _to_next_sync(sim, clock, charger.id)
    at_sync = await _charger(client, charger.id)
    elapsed = (first - START - MINUTE).total_seconds()
    assert at_sync["latest_meter_wh"] == int(5000 + 6000 * elapsed / 3600)
    assert at_sync["meter_updated_at"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    clock.advance(5 * MINUTE)
    sim.end_session(charger.id)
    clock.advance(5 * MINUTE)
    assert await _charger(client, charger.id) == at_sync
    clock.set(first + SYNC_INTERVAL)
    after = await _charger(client, charger.id)
    assert after["latest_meter_wh"] == int(5000 + 6000 * (elapsed + 300) / 3600)
    assert after["is_charging"] is False


async def test_the_switch(client: SimClient, sim: JouloSimulator, clock: ManualClock) -> None:
    """Switched off (in Python or over ``/_sim/``), every charger is live at once."""
    _to_next_sync(sim, clock, GARAGE_ID)
    clock.advance(MINUTE)
    sim.start_session(GARAGE_ID)
    assert (await _charger(client, GARAGE_ID))["is_charging"] is False
    reply = await client.admin("POST", "/upstream-sync", {"enabled": False})
    assert reply.json() == {"upstream_sync": False}
    assert sim.upstream_sync is False
    assert (await _charger(client, GARAGE_ID))["is_charging"] is True
    assert (await client.admin("GET", "/state")).json()["upstream_sync"] is False
    sim.upstream_sync = True
    assert (await _charger(client, GARAGE_ID))["is_charging"] is False
    assert (await client.admin("POST", "/upstream-sync", {})).status == 400
    assert (await client.admin("POST", "/upstream-sync", {"enabled": "no"})).status == 400


def test_default_is_on() -> None:
    """A simulator syncs unless told not to."""
    assert JouloSimulator(ManualClock(START)).upstream_sync is True
    assert JouloSimulator(ManualClock(START), upstream_sync=False).upstream_sync is False
