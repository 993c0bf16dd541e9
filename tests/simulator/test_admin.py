"""Tests of the admin routes under ``/_sim/`` (other than faults)."""

from __future__ import annotations

import aiohttp
import pytest

from joulo_simulator import JouloSimulator, SimulatorServer
from joulo_simulator.account import CARPORT_ID, DEMO_TOKEN, DRIVEWAY_ID, GARAGE_ID

from .common import SimClient, all_sessions


async def test_request_log_routes(client: SimClient) -> None:
    """``GET /_sim/requests`` counts per endpoint and lists the log; DELETE empties it."""
    await client.get("/chargers")
    await client.get("/chargers", {"token": DEMO_TOKEN})
    await client.get("/energy")
    log = (await client.admin("GET", "/requests")).json()
    assert (log["total"], log["counts"]) == (3, {"/chargers": 2, "/energy": 1})
    assert log["requests"][0] == {
        "at": "2026-04-09T12:00:00Z",
        "method": "GET",
        "endpoint": "/chargers",
        "query": {},
        "status": 200,
    }
    assert log["requests"][1]["status"] == 401
    assert DEMO_TOKEN not in str(log)
    assert (await client.admin("DELETE", "/requests")).status == 200
    assert (await client.admin("GET", "/requests")).json()["total"] == 0


async def test_clock_and_sessions_routes(client: SimClient, sim: JouloSimulator) -> None:
    """Start a session, move the manual clock and stop the session over HTTP."""
    started = await client.admin(
        "POST",
        "/sessions/start",
        {
            "charger_id": GARAGE_ID,
            "power_kw": 7.4,
            "duration_minutes": 90,
            "id_tag": "AB12",
            "kwh": 5,
        },
    )
    assert started.status == 201
    assert (started.json()["status"], started.json()["id_tag"]) == ("charging", "AB12")
    moved = await client.admin("POST", "/clock/advance", {"seconds": 3600})
    assert moved.json() == {"now": "2026-04-09T13:00:00Z"}
    charger = (await client.get("/chargers")).json()["chargers"][0]
    # The car was full after 5 kWh, 41 minutes in.
    assert charger["current_session"]["kwh_so_far"] == 5.0
    assert (await client.admin("POST", "/sessions/stop", {"charger_id": GARAGE_ID})).json()[
        "kwh"
    ] == 5.0
    assert sim.active_sessions() == []

    assert (await client.admin("POST", "/sessions/start", {"charger_id": DRIVEWAY_ID})).json()[
        "id_tag"
    ] == "DEADBEEF12345678"
    again = await client.admin("POST", "/sessions/start", {"charger_id": DRIVEWAY_ID})
    assert again.status == 409
    assert "already charging" in again.json()["error"]
    idle = await client.admin("POST", "/sessions/stop", {"charger_id": CARPORT_ID})
    assert idle.status == 409
    unknown = await client.admin("POST", "/sessions/stop", {"charger_id": "nope"})
    assert unknown.status == 404
    assert (await client.admin("POST", "/sessions/stop", {})).status == 400
    assert (await client.admin("POST", "/clock/advance", {})).status == 400
    assert (await client.admin("POST", "/clock/advance", {"seconds": -5})).status == 400


async def test_clock_route_needs_a_manual_clock(socket_enabled: None) -> None:
    """Advancing the real clock is a conflict."""
    async with (
        SimulatorServer(JouloSimulator()) as server,
        aiohttp.ClientSession() as session,
        session.post(server.admin_url + "/clock/advance", json={"seconds": 1}) as response,
    ):
        assert response.status == 409


async def test_charger_routes(client: SimClient, sim: JouloSimulator) -> None:
    """Add a charger, change its status and remove it over HTTP."""
    added = await client.admin(
        "POST",
        "/chargers",
        {"nickname": "Schuur", "connection_type": "ocpp", "mid_certified": False},
    )
    assert added.status == 201
    charger = added.json()
    assert (charger["nickname"], charger["mid_certified"], charger["latest_meter_wh"]) == (
        "Schuur",
        False,
        0,
    )
    status = await client.admin("POST", f"/chargers/{charger['id']}/status", {"status": "offline"})
    assert status.json()["status"] == "offline"
    ids = [c["id"] for c in (await client.get("/chargers")).json()["chargers"]]
    assert ids[-1] == charger["id"]
    removed = await client.admin("DELETE", f"/chargers/{charger['id']}")
    assert removed.json() == {"removed": charger["id"]}
    assert (await client.admin("DELETE", f"/chargers/{charger['id']}")).status == 404
    bad = await client.admin("POST", "/chargers", {"mid_certified": "yes"})
    assert bad.status == 400
    assert len(sim.account().chargers) == 3


async def test_accounts_and_tokens_routes(client: SimClient, sim: JouloSimulator) -> None:
    """Add accounts (e.g. for a wrong-account re-authentication) and rotate tokens."""
    created = await client.admin("POST", "/accounts", {"empty": True, "me_available": False})
    assert created.status == 201
    other = created.json()
    assert other["chargers"] == []
    assert (await client.get("/me", token=other["token"])).status == 404
    full = (await client.admin("POST", "/accounts", {"token": "joulo_" + "f" * 32})).json()
    assert len(full["chargers"]) == 3
    charger = await client.admin(
        "POST", "/chargers", {"token": full["token"], "nickname": "Elders"}
    )
    assert charger.json()["id"] in sim.account(full["token"]).chargers

    rotated = await client.admin("POST", "/tokens/rotate", {"token": DEMO_TOKEN})
    new = rotated.json()["token"]
    assert (await client.get("/chargers")).status == 401
    assert (await client.get("/chargers", token=new)).status == 200
    revoked = await client.admin("POST", "/tokens/rotate", {"token": DEMO_TOKEN})
    assert revoked.status == 404


async def test_account_with_a_charger_upgraded_to_mid(client: SimClient) -> None:
    """`mid_upgraded_days_ago` builds an account whose Wallbox counts for ERE from then on only."""
    created = (await client.admin("POST", "/accounts", {"mid_upgraded_days_ago": 90})).json()
    chargers = (await client.get("/chargers", token=created["token"])).json()["chargers"]
    assert all(charger["mid_eligible"] for charger in chargers)
    flags = {
        session["counts_for_ere"] for session in await all_sessions(client, token=created["token"])
    }
    assert flags == {True, False}


async def test_state_route(client: SimClient, sim: JouloSimulator) -> None:
    """``GET /_sim/state`` summarises accounts, chargers and active sessions, tokens cut short."""
    sim.add_account()
    sim.start_session(GARAGE_ID)
    sim.faults.inject("hang")
    reply = await client.admin("GET", "/state")
    state = reply.json()
    assert state["now"] == "2026-04-09T12:00:00Z"
    assert (state["autopilot"], state["manual_clock"]) == (False, True)
    assert state["rate_limit"] == {"max_requests": 30, "window": 60.0}
    assert [f["kind"] for f in state["faults"]] == ["hang"]
    default, other = state["accounts"]
    assert default["id"] == sim.account().id
    assert default["token"] == DEMO_TOKEN[:10]
    assert (default["ere_price_mid"], default["effective_fee_pct"]) == (0.87, 12.5)
    assert [c["id"] for c in default["chargers"]] == [GARAGE_ID, DRIVEWAY_ID, CARPORT_ID]
    assert [s["charger_id"] for s in default["active_sessions"]] == [GARAGE_ID]
    assert other["active_sessions"] == []
    assert DEMO_TOKEN not in reply.text
    assert sim.accounts[1].token not in reply.text
    sim.rate_limit = None
    assert (await client.admin("GET", "/state")).json()["rate_limit"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing"), ("POST", "/state"), ("GET", "/chargers/x")],
)
async def test_unknown_admin_routes(client: SimClient, method: str, path: str) -> None:
    """Unknown admin routes and methods answer JSON errors."""
    reply = await client.admin(method, path)
    assert reply.status in {404, 405}
    assert "error" in reply.json()
