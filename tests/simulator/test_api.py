"""Tests of the simulated API over HTTP: documents, auth, query parameters and the request log."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
import re

import pytest

from joulo_simulator import CAR_A_TAG, CAR_B_TAG, JouloSimulator, SimulatorServer
from joulo_simulator.account import CARPORT_ID, DEMO_TOKEN, DRIVEWAY_ID, GARAGE_ID
from tests.factories import SESSION_FIELDS

from .common import SimClient, all_sessions

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


async def test_chargers_document(client: SimClient) -> None:
    """``GET /chargers`` lists the three chargers in the documented shape."""
    reply = await client.get("/chargers")
    assert reply.status == 200
    assert reply.content_type == "application/json"
    chargers = reply.json()["chargers"]
    assert [c["id"] for c in chargers] == [GARAGE_ID, DRIVEWAY_ID, CARPORT_ID]
    garage, driveway, carport = chargers
    assert garage == {
        "id": GARAGE_ID,
        "nickname": "Garage",
        "connection_type": "easee",
        "status": "online",
        "mid_certified": True,
        "mid_eligible": True,
        "is_charging": False,
    }
    assert isinstance(driveway["latest_meter_wh"], int)
    assert TIMESTAMP.fullmatch(driveway["meter_updated_at"])
    assert "current_session" not in driveway
    assert (carport["status"], carport["mid_certified"], carport["mid_eligible"]) == (
        "offline",
        False,
        False,
    )


async def test_me_document(client: SimClient, sim: JouloSimulator) -> None:
    """``GET /me`` gives the account and the numbers for the euro value; it may be missing."""
    reply = await client.get("/me")
    account = sim.account()
    assert reply.json() == {
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "ere_price_mid": 0.87,
        "effective_fee_pct": 12.5,
    }
    account.me_available = False
    reply = await client.get("/me")
    assert (reply.status, reply.json()) == (404, {"error": "Not found"})


async def test_energy_matches_the_session_history(client: SimClient) -> None:
    """``/energy`` is exactly the sums of the completed sessions, MID ones and all of them."""
    sessions = await all_sessions(client)
    assert len(sessions) > 300
    chargers = (await client.get("/chargers")).json()["chargers"]
    mid = {c["id"] for c in chargers if c["mid_certified"]}
    energy = (await client.get("/energy")).json()

    totals: dict[str, float] = defaultdict(float)
    months: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for session in sessions:
        assert set(session) | {"id_tag"} == set(SESSION_FIELDS)
        assert session["status"] == "completed"
        month = months[session["started_at"][:7]]
        for sums in (totals, month):
            sums["kwh_all"] += session["kwh"]
            sums["sessions_all"] += 1
            assert session["counts_for_ere"] is (session["charger_id"] in mid)
            if session["counts_for_ere"]:
                sums["kwh"] += session["kwh"]
                sums["ere_credits"] += session["ere_credits"] or 0
                sums["sessions"] += 1

    assert energy["total_kwh"] == round(totals["kwh"], 2)
    assert energy["total_ere_credits"] == round(totals["ere_credits"], 2)
    assert energy["total_sessions"] == totals["sessions"]
    assert energy["total_kwh_all"] == round(totals["kwh_all"], 2)
    assert energy["total_sessions_all"] == len(sessions)
    assert [m["month"] for m in energy["months"]] == sorted(months, reverse=True)
    for entry in energy["months"]:
        expected = months[entry["month"]]
        assert entry == {
            "month": entry["month"],
            "kwh": round(expected["kwh"], 2),
            "ere_credits": round(expected["ere_credits"], 2),
            "sessions": expected["sessions"],
            "kwh_all": round(expected["kwh_all"], 2),
            "sessions_all": expected["sessions_all"],
        }


async def test_sessions_say_whether_they_count_for_ere(
    client: SimClient, sim: JouloSimulator
) -> None:
    """Every session says whether it counts: not on the Carport (no MID), which still has credits.

    The answer's ``estimate_basis`` is the price and fee of ``/me``, and follows them.
    """
    sessions = await all_sessions(client)
    carport = [s for s in sessions if s["charger_id"] == CARPORT_ID]
    others = [s for s in sessions if s["charger_id"] != CARPORT_ID]
    assert carport
    assert all(s["counts_for_ere"] is False for s in carport)
    assert any(s["ere_credits"] for s in carport)
    assert all(s["counts_for_ere"] is True for s in others)

    account = sim.account()
    account.ere_price_mid, account.effective_fee_pct = 0.91, 10.0
    answer = (await client.get("/sessions")).json()
    me = (await client.get("/me")).json()
    assert (
        answer["estimate_basis"]
        == {
            "price_per_ere": me["ere_price_mid"],
            "effective_fee_pct": me["effective_fee_pct"],
        }
        == {"price_per_ere": 0.91, "effective_fee_pct": 10.0}
    )


async def test_a_charger_upgraded_to_mid_during_the_year(
    client: SimClient, sim: JouloSimulator
) -> None:
    """An account whose Wallbox got a MID meter 120 days ago: its sessions count from then on.

    ``/energy`` counts its later sessions in the ERE totals, its earlier ones only in ``*_all``.
    """
    account = sim.add_account(mid_upgraded_days_ago=120)
    upgraded_at = sim.now() - timedelta(days=120)
    chargers = (await client.get("/chargers", token=account.token)).json()["chargers"]
    wallbox = next(c for c in chargers if c["connection_type"] == "wallbox")
    assert (wallbox["mid_certified"], wallbox["mid_eligible"]) == (True, True)
    sessions = await all_sessions(client, {"charger_id": wallbox["id"]}, token=account.token)
    before = [s for s in sessions if datetime.fromisoformat(s["started_at"]) < upgraded_at]
    after = [s for s in sessions if datetime.fromisoformat(s["started_at"]) >= upgraded_at]
    assert before
    assert after
    assert all(s["counts_for_ere"] is False for s in before)
    assert all(s["counts_for_ere"] is True for s in after)

    energy = (await client.get("/energy", token=account.token)).json()
    every = await all_sessions(client, token=account.token)
    counted = [s for s in every if s["counts_for_ere"]]
    assert energy["total_kwh"] == round(sum(s["kwh"] for s in counted), 2)
    assert energy["total_kwh_all"] == round(sum(s["kwh"] for s in every), 2)
    assert energy["total_kwh"] < energy["total_kwh_all"]


async def test_sessions_pages_newest_first(client: SimClient) -> None:
    """Default page of 20, newest first; limit and offset page through without gaps."""
    everything = await all_sessions(client)
    starts = [s["started_at"] for s in everything]
    assert starts == sorted(starts, reverse=True)
    assert all(TIMESTAMP.fullmatch(s["started_at"]) for s in everything)
    assert all(TIMESTAMP.fullmatch(s["ended_at"]) for s in everything)

    first = (await client.get("/sessions")).json()
    assert (first["limit"], first["offset"]) == (20, 0)
    assert first["sessions"] == everything[:20]
    page = (await client.get("/sessions", {"limit": "7", "offset": "30"})).json()
    assert (page["limit"], page["offset"]) == (7, 30)
    assert page["sessions"] == everything[30:37]
    beyond = await client.get("/sessions", {"offset": str(len(everything))})
    assert beyond.json()["sessions"] == []


async def test_sessions_listed_with_a_wrong_clock(client: SimClient, sim: JouloSimulator) -> None:
    """A session's listed start and end replace the real ones in `/sessions` and `/chargers`.

    The real ones still say when it shows and whether it has ended.
    """
    ahead = datetime(2036, 4, 9, 12, 0, tzinfo=UTC)
    running = sim.start_session(DRIVEWAY_ID)
    running.listed_started_at = ahead
    (charger,) = [
        c for c in (await client.get("/chargers")).json()["chargers"] if c["id"] == DRIVEWAY_ID
    ]
    assert charger["current_session"]["started_at"] == "2036-04-09T12:00:00Z"
    newest = (await client.get("/sessions", {"limit": "1"})).json()["sessions"][0]
    assert (newest["id"], newest["started_at"], newest["ended_at"]) == (
        running.id,
        "2036-04-09T12:00:00Z",
        None,
    )

    running.listed_ended_at = ahead + timedelta(hours=1)
    assert (await client.get("/sessions", {"limit": "1"})).json()["sessions"][0]["ended_at"] is None
    sim.end_session(DRIVEWAY_ID)
    newest = (await client.get("/sessions", {"limit": "1"})).json()["sessions"][0]
    assert (newest["status"], newest["ended_at"]) == ("completed", "2036-04-09T13:00:00Z")


async def test_sessions_filters(client: SimClient) -> None:
    """``charger_id`` selects a charger; ``from`` (inclusive) and ``to`` (exclusive) the start."""
    everything = await all_sessions(client)
    driveway = await all_sessions(client, {"charger_id": DRIVEWAY_ID})
    assert driveway == [s for s in everything if s["charger_id"] == DRIVEWAY_ID]
    assert all(s["id_tag"] == CAR_A_TAG for s in driveway)
    garage = [s for s in everything if s["charger_id"] == GARAGE_ID]
    assert {s["id_tag"] for s in garage} == {CAR_A_TAG, CAR_B_TAG}
    assert all("id_tag" not in s for s in everything if s["charger_id"] == CARPORT_ID)
    assert await all_sessions(client, {"charger_id": "no-such-charger"}) == []

    newer, older = everything[10]["started_at"], everything[20]["started_at"]
    window = await all_sessions(client, {"from": older, "to": newer})
    assert window == everything[11:21]
    # Other notations of the same instants mean the same.
    offsets = {"from": older.replace("Z", "+00:00"), "to": newer[:-1] + ".000+00:00"}
    assert await all_sessions(client, offsets) == window
    month = await all_sessions(client, {"from": "2026-03-01", "to": "2026-04-01T00:00:00Z"})
    assert month == [s for s in everything if s["started_at"].startswith("2026-03")]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "-1"),
        ("limit", "ten"),
        ("limit", "1.5"),
        ("offset", "-1"),
        ("offset", "x"),
        ("from", "yesterday"),
        ("to", "2026-13-01"),
    ],
)
async def test_sessions_refuses_bad_parameters(client: SimClient, name: str, value: str) -> None:
    """Out-of-range or malformed parameters get 400 with an error message."""
    reply = await client.get("/sessions", {name: value})
    assert reply.status == 400
    assert name in reply.json()["error"]


async def test_sessions_accepts_the_edges(client: SimClient) -> None:
    """``limit`` 1 and 100 are allowed."""
    assert len((await client.get("/sessions", {"limit": "1"})).json()["sessions"]) == 1
    assert len((await client.get("/sessions", {"limit": "100"})).json()["sessions"]) == 100


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer joulo_" + "x" * 32},
        {"Authorization": DEMO_TOKEN},
        {"Authorization": f"bearer {DEMO_TOKEN}"},
        {"Authorization": f"Bearer  {DEMO_TOKEN}"},
        {"Authorization": f"Token {DEMO_TOKEN}"},
    ],
)
async def test_missing_or_wrong_token(
    client: SimClient, sim_server: SimulatorServer, headers: dict[str, str]
) -> None:
    """Only ``Authorization: Bearer <valid token>`` gets in; anything else is 401."""
    for endpoint in ("/chargers", "/sessions", "/energy", "/me"):
        reply = await client.request("GET", sim_server.base_url + endpoint, headers=headers)
        assert (reply.status, reply.json()) == (401, {"error": "Missing or invalid API token"})


async def test_token_in_the_url_is_refused(client: SimClient) -> None:
    """A token in the query string is refused even when it is valid, header or not."""
    for token in (DEMO_TOKEN, None):
        reply = await client.get("/chargers", {"token": DEMO_TOKEN}, token=token)
        assert reply.status == 401


async def test_rotated_and_revoked_tokens(client: SimClient, sim: JouloSimulator) -> None:
    """After a rotation the old token is 401 at once and the new one works."""
    new = sim.rotate_token(DEMO_TOKEN)
    assert (await client.get("/chargers")).status == 401
    assert (await client.get("/chargers", token=new)).status == 200
    sim.revoke_token(new)
    assert (await client.get("/chargers", token=new)).status == 401


async def test_each_token_sees_its_own_account(client: SimClient, sim: JouloSimulator) -> None:
    """Another account's token gets that account's chargers, sessions and ``/me``."""
    other = sim.add_account()
    empty = sim.add_account(empty=True)
    chargers = (await client.get("/chargers", token=other.token)).json()["chargers"]
    assert [c["id"] for c in chargers] == list(other.chargers)
    assert (await client.get("/me", token=other.token)).json()["id"] == other.id
    assert (await client.get("/chargers", token=empty.token)).json() == {"chargers": []}
    assert (await client.get("/sessions", token=empty.token)).json() == {
        "sessions": [],
        "limit": 20,
        "offset": 0,
        "estimate_basis": {"price_per_ere": 0.87, "effective_fee_pct": 12.5},
    }
    energy = (await client.get("/energy", token=empty.token)).json()
    assert energy == {
        "total_kwh": 0,
        "total_ere_credits": 0,
        "total_sessions": 0,
        "total_kwh_all": 0,
        "total_sessions_all": 0,
        "months": [],
    }


async def test_tokens_are_read_only(client: SimClient, sim_server: SimulatorServer) -> None:
    """``POST /chargers`` needs the write scope, which no token has."""
    headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    body = {"nickname": "Oprit", "connection_type": "ocpp", "ocpp_identity": "CHARGER-001"}
    reply = await client.request(
        "POST", sim_server.base_url + "/chargers", headers=headers, body=body
    )
    assert (reply.status, reply.json()) == (
        403,
        {"error": "Insufficient scope", "required_scope": "chargers:write"},
    )
    unauthenticated = await client.request("POST", sim_server.base_url + "/chargers", body=body)
    assert unauthenticated.status == 401


async def test_unknown_routes_and_methods(client: SimClient, sim_server: SimulatorServer) -> None:
    """Unknown paths are 404 and unsupported methods 405, both as JSON."""
    for url in (sim_server.base_url + "/nothing", sim_server.base_url, sim_server.url + "/"):
        reply = await client.request("GET", url)
        assert (reply.status, reply.json()) == (404, {"error": "Not found"})
    reply = await client.request("DELETE", sim_server.base_url + "/sessions")
    assert reply.status == 405
    assert reply.json() == {"error": "Method not allowed"}
    assert reply.headers["Allow"] == "GET"
    reply = await client.request("PUT", sim_server.admin_url + "/state")
    assert reply.status == 405
    assert reply.content_type == "application/json"


async def test_request_log(client: SimClient, sim: JouloSimulator) -> None:
    """API requests are logged with time, endpoint, query and status; never with a token."""
    await client.get("/chargers")
    await client.get("/sessions", {"limit": "5", "charger_id": GARAGE_ID})
    await client.get("/energy", token=None)
    await client.get("/me", {"token": DEMO_TOKEN})
    await client.admin("GET", "/state")
    assert sim.request_count() == 4
    assert sim.request_count("/sessions") == 1
    assert [(r.method, r.endpoint, r.status) for r in sim.requests] == [
        ("GET", "/chargers", 200),
        ("GET", "/sessions", 200),
        ("GET", "/energy", 401),
        ("GET", "/me", 401),
    ]
    assert sim.requests[1].query == {"limit": "5", "charger_id": GARAGE_ID}
    assert sim.requests[0].at == sim.now()
    assert DEMO_TOKEN not in repr(sim.requests)
    sim.clear_requests()
    assert sim.request_count() == 0
