"""Tests of fault injection, from Python and over the admin routes."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from joulo_simulator import Fault, FaultKind, JouloSimulator, RecordedRequest, SimulatorServer
from joulo_simulator.account import DRIVEWAY_ID, GARAGE_ID
from joulo_simulator.faults import corrupt

from .common import SimClient

HTTP_DATE = "Wed, 09 Apr 2026 12:05:00 GMT"


@pytest.mark.parametrize(
    ("status", "retry_after", "body", "headers"),
    [
        (401, None, {"error": "Missing or invalid API token"}, {}),
        (403, None, {"error": "Insufficient scope", "required_scope": "chargers:read"}, {}),
        (429, "120", {"error": "Too many requests"}, {"Retry-After": "120"}),
        (429, HTTP_DATE, {"error": "Too many requests"}, {"Retry-After": HTTP_DATE}),
        (429, None, {"error": "Too many requests"}, {}),
        (404, None, {"error": "Not Found"}, {}),
        (499, None, {"error": "Error"}, {}),
    ],
)
async def test_http_error_once(
    client: SimClient,
    sim: JouloSimulator,
    *,
    status: int,
    retry_after: str | None,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    """An ``http_error`` fault answers one request with the API's body, then it is gone."""
    fault = sim.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/chargers", status=status, retry_after=retry_after
    )
    assert sim.faults.active == [fault]
    reply = await client.get("/chargers")
    assert (reply.status, reply.json()) == (status, body)
    for name, value in headers.items():
        assert reply.headers[name] == value
    if retry_after is None:
        assert "Retry-After" not in reply.headers
    assert sim.faults.active == []
    assert (fault.hits, fault.remaining) == (1, 0)
    assert (await client.get("/chargers")).status == 200


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
async def test_server_errors_answer_html(
    client: SimClient, sim: JouloSimulator, status: int
) -> None:
    """5xx faults answer with a short HTML page, as a proxy in front of the API would."""
    sim.faults.inject("http_error", status=status)
    reply = await client.get("/energy")
    assert reply.status == status
    assert reply.content_type == "text/html"
    assert reply.text.startswith("<html>")


async def test_auth_faults_override_the_token_check(client: SimClient, sim: JouloSimulator) -> None:
    """401/403 faults answer before the token is checked; other faults wait for a valid one."""
    sim.faults.inject(FaultKind.HTTP_ERROR, status=403)
    reply = await client.get("/sessions", token=None)
    assert reply.json() == {"error": "Insufficient scope", "required_scope": "sessions:read"}

    sim.faults.inject(FaultKind.HTTP_ERROR, status=500)
    assert (await client.get("/energy", token=None)).status == 401
    assert (await client.get("/energy", {"token": "x"})).status == 401
    assert len(sim.faults.active) == 1
    assert (await client.get("/energy")).status == 500


async def test_faults_match_their_endpoint_and_count_down(
    client: SimClient, sim: JouloSimulator
) -> None:
    """A fault applies to its endpoint only, ``times`` times, or until cleared with None."""
    sim.faults.inject(FaultKind.HTTP_ERROR, endpoint="sessions", status=502, times=2)
    assert (await client.get("/chargers")).status == 200
    assert (await client.get("/sessions")).status == 502
    assert (await client.get("/sessions")).status == 502
    assert (await client.get("/sessions")).status == 200

    forever = sim.faults.inject(FaultKind.HTTP_ERROR, endpoint="/me", status=503, times=None)
    for _ in range(5):
        assert (await client.get("/me")).status == 503
    assert (forever.hits, forever.remaining) == (5, None)
    assert sim.faults.clear() == 1
    assert (await client.get("/me")).status == 200


async def test_oldest_matching_fault_wins(client: SimClient, sim: JouloSimulator) -> None:
    """Faults apply one per request, oldest first."""
    sim.faults.inject(FaultKind.HTTP_ERROR, status=500)
    sim.faults.inject(FaultKind.HTTP_ERROR, status=502)
    assert [(await client.get("/chargers")).status for _ in range(3)] == [500, 502, 200]


async def test_malformed_json(client: SimClient, sim: JouloSimulator) -> None:
    """200 with a JSON content type and a body that does not parse."""
    sim.faults.inject(FaultKind.MALFORMED_JSON)
    reply = await client.get("/energy")
    assert (reply.status, reply.content_type) == (200, "application/json")
    with pytest.raises(json.JSONDecodeError):
        reply.json()


async def test_missing_named_fields(client: SimClient, sim: JouloSimulator) -> None:
    """Named fields go from every object, nested ones included."""
    sim.start_session(DRIVEWAY_ID)
    sim.faults.inject(FaultKind.MISSING_FIELDS, fields=["kwh_so_far", "nickname", "ended_at"])
    chargers = (await client.get("/chargers")).json()["chargers"]
    assert all("nickname" not in c for c in chargers)
    driveway = next(c for c in chargers if c["id"] == DRIVEWAY_ID)
    assert set(driveway["current_session"]) == {"id", "started_at", "id_tag"}
    assert "ended_at" in (await client.get("/sessions")).json()["sessions"][0]


async def test_missing_everything_but_ids(client: SimClient, sim: JouloSimulator) -> None:
    """Without names, every field but ids goes; lists and objects stay to hold the ids."""
    sim.start_session(GARAGE_ID)
    sim.faults.inject(FaultKind.MISSING_FIELDS, times=4)
    chargers = (await client.get("/chargers")).json()
    assert chargers["chargers"][0] == {"id": GARAGE_ID, "current_session": {"id": ANY_ID}}
    assert all(set(c) == {"id"} for c in chargers["chargers"][1:])
    sessions = (await client.get("/sessions")).json()
    assert set(sessions) == {"sessions", "estimate_basis"}
    assert sessions["estimate_basis"] == {}
    assert all(set(s) == {"id", "charger_id"} for s in sessions["sessions"])
    energy = (await client.get("/energy")).json()
    assert set(energy) == {"months"}
    assert all(month == {} for month in energy["months"])
    assert set((await client.get("/me")).json()) == {"id"}


class _AnyId:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and len(other) == 36

    def __hash__(self) -> int:
        return 0


ANY_ID: Any = _AnyId()


async def test_unknown_enums(client: SimClient, sim: JouloSimulator) -> None:
    """Charger status, connection type and session status get undocumented values."""
    sim.faults.inject(FaultKind.UNKNOWN_ENUM, times=3)
    chargers = (await client.get("/chargers")).json()["chargers"]
    assert {(c["status"], c["connection_type"]) for c in chargers} == {("maintenance", "tesla")}
    sessions = (await client.get("/sessions")).json()["sessions"]
    assert {s["status"] for s in sessions} == {"paused"}
    energy = (await client.get("/energy")).json()
    assert energy["total_sessions"] > 0


async def test_wrong_shape(client: SimClient, sim: JouloSimulator) -> None:
    """Valid JSON, but a list where an object belongs and strings where numbers belong."""
    sim.faults.inject(FaultKind.WRONG_SHAPE, endpoint="/energy")
    reply = await client.get("/energy")
    assert reply.status == 200
    body = reply.json()
    assert isinstance(body, list)
    assert isinstance(body[0]["total_kwh"], str)
    assert isinstance(body[0]["months"][0]["sessions"], str)
    sim.faults.inject(FaultKind.WRONG_SHAPE)
    assert (await client.get("/chargers")).json()[0]["chargers"][0]["mid_certified"] == "true"


async def test_ignored_offset(client: SimClient, sim: JouloSimulator) -> None:
    """Every page asked for is the first, while the fault lasts; then paging works again."""
    first = (await client.get("/sessions", {"limit": "5"})).json()["sessions"]
    second = (await client.get("/sessions", {"limit": "5", "offset": "5"})).json()["sessions"]
    assert second != first
    sim.faults.inject(FaultKind.IGNORED_OFFSET, endpoint="/sessions", times=2)
    for offset in ("5", "100"):
        page = (await client.get("/sessions", {"limit": "5", "offset": offset})).json()
        assert page["sessions"] == first
    assert sim.faults.active == []
    again = await client.get("/sessions", {"limit": "5", "offset": "5"})
    assert again.json()["sessions"] == second


async def test_content_faults_leave_error_answers_alone(
    client: SimClient, sim: JouloSimulator
) -> None:
    """A body fault on a request that fails anyway is used up but changes nothing."""
    sim.account().me_available = False
    sim.faults.inject(FaultKind.WRONG_SHAPE, endpoint="/me")
    reply = await client.get("/me")
    assert (reply.status, reply.json()) == (404, {"error": "Not found"})
    assert sim.faults.active == []


def test_inject_checks_its_arguments(sim: JouloSimulator) -> None:
    """Impossible faults are refused."""
    with pytest.raises(ValueError, match="status"):
        sim.faults.inject(FaultKind.HTTP_ERROR)
    with pytest.raises(ValueError, match="status"):
        sim.faults.inject(FaultKind.HTTP_ERROR, status=200)
    with pytest.raises(ValueError, match="times"):
        sim.faults.inject(FaultKind.HANG, times=0)
    with pytest.raises(ValueError, match="delay"):
        sim.faults.inject(FaultKind.HANG, delay=-1)
    with pytest.raises(TypeError, match="fields"):
        sim.faults.inject(FaultKind.MISSING_FIELDS, fields="kwh")
    with pytest.raises(ValueError, match="bogus"):
        sim.faults.inject("bogus")
    assert sim.faults.active == []
    with pytest.raises(ValueError, match="does not change the response body"):
        corrupt(Fault(FaultKind.HANG, endpoint=None, times=1), 200, {})


async def test_short_hang_then_normal_answer(client: SimClient, sim: JouloSimulator) -> None:
    """A hang waits ``delay`` real seconds and then answers normally."""
    sim.faults.inject(FaultKind.HANG, delay=0.05)
    started = time.monotonic()
    reply = await client.get("/chargers")
    assert reply.status == 200
    assert time.monotonic() - started >= 0.05
    assert len(reply.json()["chargers"]) == 3


async def test_hang_runs_into_the_client_timeout(client: SimClient, sim: JouloSimulator) -> None:
    """A client with a timeout gives up on a hanging request; the next request is normal."""
    sim.faults.inject(FaultKind.HANG, endpoint="/sessions")
    with pytest.raises(TimeoutError):
        await client.get("/sessions", give_up_after=0.2)
    started = time.monotonic()
    assert (await client.get("/sessions", give_up_after=5)).status == 200
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("wait", ["hang", "latency"])
async def test_stopping_the_server_ends_hanging_requests(
    client: SimClient,
    sim: JouloSimulator,
    sim_server: SimulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    wait: str,
) -> None:
    """Stopping the server does not wait for a hang, nor for the latency."""
    logged = asyncio.Event()
    record = sim.record

    def record_and_tell(request: RecordedRequest) -> None:
        record(request)
        logged.set()

    monkeypatch.setattr(sim, "record", record_and_tell)
    if wait == "hang":
        sim.faults.inject(FaultKind.HANG, delay=60)
    else:
        sim.latency = 60
    request = asyncio.create_task(client.get("/chargers", give_up_after=30))
    await asyncio.wait_for(logged.wait(), 5)
    started = time.monotonic()
    await sim_server.stop()
    assert time.monotonic() - started < 2
    try:
        reply = await request
    except aiohttp.ClientError:
        pass
    else:
        assert reply.status == 503


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ({"kind": "http_error", "status": 401}, lambda r: r.status == 401),
        ({"kind": "http_error", "status": 403}, lambda r: r.status == 403),
        (
            {"kind": "http_error", "status": 429, "retry_after": "7"},
            lambda r: (r.status, r.headers["Retry-After"]) == (429, "7"),
        ),
        ({"kind": "http_error", "status": 503}, lambda r: r.status == 503),
        (
            {"kind": "rate_limited", "retry_after": "8"},
            lambda r: (r.status, r.headers["Retry-After"]) == (429, "8"),
        ),
        ({"kind": "hang", "delay": 0.01}, lambda r: r.status == 200),
        ({"kind": "malformed_json"}, lambda r: r.status == 200 and r.text.count("{") > 0),
        ({"kind": "missing_fields", "fields": ["status"]}, lambda r: "status" not in r.text),
        ({"kind": "unknown_enum"}, lambda r: "maintenance" in r.text),
        ({"kind": "wrong_shape"}, lambda r: r.text.startswith("[")),
    ],
)
async def test_every_fault_over_the_admin_route(
    client: SimClient, sim: JouloSimulator, fault: dict[str, Any], check: Any
) -> None:
    """``POST /_sim/faults`` injects a fault for one request; ``times: null`` until cleared."""
    created = await client.admin("POST", "/faults", {**fault, "endpoint": "/chargers"})
    assert created.status == 201
    assert created.json()["kind"] == fault["kind"]
    assert check(await client.get("/chargers"))
    normal = await client.get("/chargers")
    assert (normal.status, len(normal.json()["chargers"])) == (200, 3)

    await client.admin("POST", "/faults", {**fault, "times": None})
    assert check(await client.get("/chargers"))
    assert check(await client.get("/chargers"))
    listed = (await client.admin("GET", "/faults")).json()["faults"]
    assert [(f["kind"], f["times"], f["hits"]) for f in listed] == [(fault["kind"], None, 2)]
    assert (await client.admin("DELETE", "/faults")).json() == {"cleared": 1}
    assert (await client.get("/chargers")).status == 200
    assert sim.faults.active == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "bogus"},
        {"kind": "http_error"},
        {"kind": "http_error", "status": "500"},
        {"kind": "hang", "delay": "long"},
        {"kind": "hang", "times": True},
        {"kind": "missing_fields", "fields": "status"},
        {"kind": "missing_fields", "fields": [1]},
        {"kind": "hang", "endpoint": 5},
        [],
    ],
)
async def test_admin_refuses_bad_faults(client: SimClient, body: Any) -> None:
    """Bad fault bodies get 400 with a message."""
    reply = await client.admin("POST", "/faults", body)
    assert reply.status == 400
    assert reply.json()["error"]


async def test_admin_refuses_non_json(client: SimClient, sim_server: SimulatorServer) -> None:
    """A body that is not JSON gets 400."""
    reply = await client.request(
        "POST", sim_server.admin_url + "/faults", headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400
    session = client.session
    async with session.post(sim_server.admin_url + "/faults", data=b"{nope") as response:
        assert response.status == 400
