"""Tests of live sessions and charger changes on a manual clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from joulo_simulator import (
    JouloSimulator,
    ManualClock,
    SimulatorStateError,
    UnknownObjectError,
    ere_credits_for,
)
from joulo_simulator.account import CARPORT_ID, DEFAULT_ID_TAG, DRIVEWAY_ID, GARAGE_ID

from .common import START, SimClient


async def _charger(client: SimClient, charger_id: str) -> dict[str, Any]:
    chargers = (await client.get("/chargers")).json()["chargers"]
    return next(c for c in chargers if c["id"] == charger_id)


async def _newest_session(client: SimClient, charger_id: str) -> dict[str, Any]:
    reply = await client.get("/sessions", {"charger_id": charger_id, "limit": "1"})
    session: dict[str, Any] = reply.json()["sessions"][0]
    return session


async def test_session_starts_grows_and_ends(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """An OCPP session: kWh and meter grow with the clock; the end lands in history and energy."""
    energy_before = (await client.get("/energy")).json()
    idle = await _charger(client, DRIVEWAY_ID)
    meter_before = idle["latest_meter_wh"]

    session = sim.start_session(DRIVEWAY_ID, power_kw=7.2)
    assert session.id_tag == DEFAULT_ID_TAG
    charging = await _charger(client, DRIVEWAY_ID)
    assert (charging["status"], charging["is_charging"]) == ("online", True)
    assert charging["current_session"] == {
        "id": session.id,
        "started_at": "2026-04-09T12:00:00Z",
        "kwh_so_far": 0.0,
        "id_tag": DEFAULT_ID_TAG,
    }

    clock.advance(timedelta(minutes=30))
    charging = await _charger(client, DRIVEWAY_ID)
    assert charging["current_session"]["kwh_so_far"] == 3.6
    assert charging["latest_meter_wh"] == meter_before + 3600
    assert charging["meter_updated_at"] == "2026-04-09T12:30:00Z"
    assert await _newest_session(client, DRIVEWAY_ID) == {
        "id": session.id,
        "charger_id": DRIVEWAY_ID,
        "charger_nickname": "Oprit",
        "started_at": "2026-04-09T12:00:00Z",
        "ended_at": None,
        "kwh": 3.6,
        "status": "charging",
        "ere_credits": None,
        "counts_for_ere": True,
        "id_tag": DEFAULT_ID_TAG,
    }
    assert (await client.get("/energy")).json() == energy_before

    clock.advance(timedelta(minutes=10))
    assert sim.end_session(DRIVEWAY_ID) is session
    ended = await _newest_session(client, DRIVEWAY_ID)
    assert (ended["status"], ended["ended_at"], ended["kwh"]) == (
        "completed",
        "2026-04-09T12:40:00Z",
        4.8,
    )
    assert ended["ere_credits"] == ere_credits_for(4.8) == round(4.8 * 0.505 * 0.6588, 2)
    idle = await _charger(client, DRIVEWAY_ID)
    assert "current_session" not in idle
    assert idle["is_charging"] is False
    assert (idle["latest_meter_wh"], idle["meter_updated_at"]) == (
        meter_before + 4800,
        "2026-04-09T12:40:00Z",
    )

    energy = (await client.get("/energy")).json()
    assert energy["total_kwh"] == round(energy_before["total_kwh"] + 4.8, 2)
    assert energy["total_ere_credits"] == round(
        energy_before["total_ere_credits"] + ended["ere_credits"], 2
    )
    assert energy["total_sessions"] == energy_before["total_sessions"] + 1
    assert energy["total_sessions_all"] == energy_before["total_sessions_all"] + 1
    month, month_before = energy["months"][0], energy_before["months"][0]
    assert month["month"] == month_before["month"] == "2026-04"
    assert month["kwh"] == round(month_before["kwh"] + 4.8, 2)
    assert month["sessions"] == month_before["sessions"] + 1


async def test_non_mid_sessions_count_only_in_the_all_totals(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A session on the Carport (no MID) changes ``*_all`` but not the ERE totals."""
    before = (await client.get("/energy")).json()
    sim.start_session(CARPORT_ID, power_kw=3.7)
    clock.advance(timedelta(hours=2))
    session = sim.end_session(CARPORT_ID)
    assert (session.kwh, session.id_tag) == (7.4, None)
    after = (await client.get("/energy")).json()
    for key in ("total_kwh", "total_ere_credits", "total_sessions"):
        assert after[key] == before[key]
    assert after["total_kwh_all"] == round(before["total_kwh_all"] + 7.4, 2)
    assert after["total_sessions_all"] == before["total_sessions_all"] + 1


async def test_session_with_a_duration_ends_by_itself(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A session started with a duration is completed at start + duration, seen lazily later."""
    session = sim.start_session(GARAGE_ID, duration=timedelta(hours=1), id_tag="CAFE0001")
    clock.advance(timedelta(minutes=59))
    charger = await _charger(client, GARAGE_ID)
    assert charger["current_session"]["kwh_so_far"] == round(11 * 59 / 60, 2)
    assert charger["current_session"]["id_tag"] == "CAFE0001"
    assert "latest_meter_wh" not in charger
    clock.advance(timedelta(hours=5))
    assert (await _charger(client, GARAGE_ID))["is_charging"] is False
    ended = await _newest_session(client, GARAGE_ID)
    assert ended["id"] == session.id
    assert (ended["ended_at"], ended["kwh"], ended["status"]) == (
        "2026-04-09T13:00:00Z",
        11.0,
        "completed",
    )


async def test_final_kwh_may_exceed_the_last_reading(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """The completed kWh is the energy at the end, a little more than the last poll showed."""
    sim.start_session(GARAGE_ID)
    clock.advance(timedelta(minutes=59))
    seen = (await _charger(client, GARAGE_ID))["current_session"]["kwh_so_far"]
    clock.advance(timedelta(seconds=50))
    assert sim.end_session(GARAGE_ID).kwh > seen


def test_session_errors(sim: JouloSimulator) -> None:
    """Starting twice, ending an idle charger and unknown chargers are refused."""
    sim.start_session(GARAGE_ID)
    with pytest.raises(SimulatorStateError, match="already charging"):
        sim.start_session(GARAGE_ID)
    with pytest.raises(SimulatorStateError, match="not charging"):
        sim.end_session(DRIVEWAY_ID)
    with pytest.raises(UnknownObjectError):
        sim.start_session("no-such-charger")
    other = sim.add_account()
    with pytest.raises(UnknownObjectError):
        sim.start_session(GARAGE_ID, token=other.token)
    with pytest.raises(ValueError, match="negative"):
        sim.start_session(DRIVEWAY_ID, power_kw=-1)
    with pytest.raises(ValueError, match="positive"):
        sim.start_session(DRIVEWAY_ID, duration=timedelta(0))


def test_sessions_on_other_accounts(sim: JouloSimulator) -> None:
    """Charger ids are unique, so a session can be started on any account's charger."""
    other = sim.add_account()
    charger_id = next(iter(other.chargers))
    session = sim.start_session(charger_id, token=other.token)
    assert other.chargers[charger_id].current_session is session
    assert sim.active_sessions() == [session]
    assert sim.end_session(charger_id).status == "completed"


async def test_chargers_come_and_go(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """Added chargers appear at once; removing a charging one completes its session first."""
    added = sim.add_charger(nickname="Schuur", connection_type="ocpp", charger_id="c-new")
    plain = sim.add_charger(nickname="Werk", connection_type="zaptec", mid_certified=False)
    metered = sim.add_charger(nickname="Meter", meter_wh=1000)
    chargers = {c["id"]: c for c in (await client.get("/chargers")).json()["chargers"]}
    assert chargers["c-new"]["latest_meter_wh"] == 0
    assert "latest_meter_wh" not in chargers[plain.id]
    assert chargers[metered.id]["latest_meter_wh"] == 1000
    assert chargers[plain.id]["mid_certified"] is False
    with pytest.raises(ValueError, match="exists"):
        sim.add_charger(charger_id=GARAGE_ID)

    session = sim.start_session(added.id, power_kw=6)
    clock.advance(timedelta(minutes=30))
    sim.remove_charger(added.id)
    assert (session.status, session.kwh) == ("completed", 3.0)
    ids = [c["id"] for c in (await client.get("/chargers")).json()["chargers"]]
    assert "c-new" not in ids
    assert (await _newest_session(client, "c-new"))["id"] == session.id
    with pytest.raises(UnknownObjectError):
        sim.remove_charger(added.id)

    sim.set_charger_status(GARAGE_ID, "offline")
    assert (await _charger(client, GARAGE_ID))["status"] == "offline"
    assert sim.charger(GARAGE_ID).status == "offline"


async def test_meter_and_energy_never_run_backwards(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """Between whole seconds, what a client saw is never more than the final values."""
    clock.advance(0.4)
    sim.start_session(DRIVEWAY_ID, power_kw=10.3)
    clock.advance(1799.9)
    seen = await _charger(client, DRIVEWAY_ID)
    session = sim.end_session(DRIVEWAY_ID)
    idle = await _charger(client, DRIVEWAY_ID)
    assert session.kwh >= seen["current_session"]["kwh_so_far"]
    assert idle["latest_meter_wh"] >= seen["latest_meter_wh"]
    assert idle["meter_updated_at"] == seen["meter_updated_at"] == "2026-04-09T12:30:00Z"
    assert session.ended_at == START + timedelta(minutes=30)
