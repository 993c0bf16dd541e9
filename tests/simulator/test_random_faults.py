"""Tests for the benchmarks' faults: latency, random faults at given rates, and timed outages."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
import time
from typing import Any

import pytest

from joulo_simulator import FaultKind, JouloSimulator, ManualClock
from joulo_simulator.account import DEMO_TOKEN
from joulo_simulator.api import handle_request

from .common import START, SimClient

RATES = {FaultKind.HTTP_ERROR: 0.05, FaultKind.HANG: 0.01, FaultKind.RATE_LIMITED: 0.005}
REQUESTS = 4000


def _get(sim: JouloSimulator, endpoint: str = "/chargers", token: str | None = DEMO_TOKEN) -> Any:
    """Send one request straight to the simulator's request handling, without HTTP."""
    return handle_request(
        sim,
        method="GET",
        endpoint=endpoint,
        query={},
        authorization=None if token is None else f"Bearer {token}",
    )


def _outcomes(seed: int) -> list[tuple[int, float, str | None]]:
    sim = JouloSimulator(ManualClock(START), rate_limit=None)
    faults = sim.faults.add_random(RATES, seed=seed, delay=12.5, retry_after="45")
    outcomes = []
    for _ in range(REQUESTS):
        answer = _get(sim)
        outcomes.append((answer.status, answer.delay, answer.headers.get("Retry-After")))
    assert faults.requests == REQUESTS
    seen = Counter(
        FaultKind.HANG
        if delay
        else FaultKind.RATE_LIMITED
        if status == 429
        else FaultKind.HTTP_ERROR
        for status, delay, _ in outcomes
        if delay or status != 200
    )
    assert seen == faults.hits
    return outcomes


def test_random_faults_at_their_rates() -> None:
    """Each kind at about its rate; 5xx from the statuses, 429 with Retry-After, hangs that wait."""
    outcomes = _outcomes(seed=7)
    statuses = Counter(status for status, delay, _ in outcomes if not delay)
    hangs = [(status, delay) for status, delay, _ in outcomes if delay]
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    assert set(statuses) <= {200, 429, 500, 502, 503, 504}
    assert 0.035 < server_errors / REQUESTS < 0.065
    assert 0.004 < len(hangs) / REQUESTS < 0.016
    assert 0.001 < statuses[429] / REQUESTS < 0.01
    assert all(hang == (200, 12.5) for hang in hangs)
    assert {retry for status, _, retry in outcomes if status == 429} == {"45"}
    assert all(retry is None for status, _, retry in outcomes if status != 429)


def test_random_faults_are_seeded() -> None:
    """The same seed gives the same faults on the same requests; another seed others."""
    assert _outcomes(seed=7) == _outcomes(seed=7)
    assert _outcomes(seed=7) != _outcomes(seed=8)


def test_random_faults_per_endpoint_and_after_auth(sim: JouloSimulator) -> None:
    """An endpoint's random faults leave the others alone and draw only for valid requests."""
    sim.rate_limit = None
    faults = sim.faults.add_random({"http_error": 1.0}, endpoint="sessions", statuses=[502])
    assert _get(sim, "/chargers").status == 200
    assert _get(sim, "/sessions", token=None).status == 401
    assert faults.requests == 0
    assert _get(sim, "/sessions").status == 502
    # Injected faults come first; random ones draw only when none applies.
    sim.faults.inject(FaultKind.MALFORMED_JSON, endpoint="/sessions")
    assert _get(sim, "/sessions").status == 200
    assert (faults.requests, faults.hits) == (1, Counter({FaultKind.HTTP_ERROR: 1}))
    assert sim.faults.clear() == 1
    assert _get(sim, "/sessions").status == 200


@pytest.mark.parametrize(
    ("rates", "options"),
    [
        ({FaultKind.HTTP_ERROR: 1.5}, {}),
        ({FaultKind.HTTP_ERROR: -0.1}, {}),
        ({FaultKind.HTTP_ERROR: 0.6, FaultKind.HANG: 0.6}, {}),
        ({FaultKind.HTTP_ERROR: 0.1}, {"statuses": [200]}),
        ({FaultKind.HTTP_ERROR: 0.1}, {"statuses": []}),
        ({FaultKind.HANG: 0.1}, {"delay": -1}),
        ({"bogus": 0.1}, {}),
    ],
)
def test_random_faults_check_their_arguments(
    sim: JouloSimulator, rates: dict[Any, float], options: dict[str, Any]
) -> None:
    """Impossible rates, statuses and delays are refused."""
    with pytest.raises(ValueError, match=r"rates|statuses|delay|bogus"):
        sim.faults.add_random(rates, **options)
    assert sim.faults.random == []


def test_rate_limited_is_a_kind_of_its_own(sim: JouloSimulator) -> None:
    """``rate_limited`` answers 429 with its Retry-After, or without one."""
    sim.faults.inject(FaultKind.RATE_LIMITED, retry_after="120")
    sim.faults.inject(FaultKind.RATE_LIMITED, retry_after=None)
    first, second = _get(sim), _get(sim)
    assert (first.status, first.headers["Retry-After"]) == (429, "120")
    assert (second.status, second.headers) == (429, {})


def test_outage_fails_every_request_in_its_window(sim: JouloSimulator, clock: ManualClock) -> None:
    """From start to end on the simulator's clock every request fails; it wins over others."""
    sim.rate_limit = None
    outage = sim.faults.add_outage(START + timedelta(minutes=10), START + timedelta(minutes=40))
    sim.faults.inject(FaultKind.HTTP_ERROR, status=418)
    sim.faults.add_random({FaultKind.WRONG_SHAPE: 1.0}, endpoint="/me")
    assert _get(sim).status == 418
    clock.advance(timedelta(minutes=10))
    sim.faults.inject(FaultKind.HTTP_ERROR, status=418)
    for endpoint in ("/chargers", "/sessions", "/energy", "/me", "/ere-position"):
        answer = _get(sim, endpoint)
        assert (answer.status, answer.content_type) == (503, "text/html")
    clock.advance(timedelta(minutes=30) - timedelta(seconds=1))
    assert _get(sim).status == 503
    clock.advance(timedelta(seconds=1))
    assert _get(sim).status == 418
    assert _get(sim, "/me").body.startswith(b"[")
    assert sim.faults.outages == [outage]
    assert sim.faults.random[0].requests == 1


def test_outage_of_hangs_for_one_endpoint(sim: JouloSimulator, clock: ManualClock) -> None:
    """A hanging outage holds each request ``delay`` real seconds; other endpoints are fine."""
    sim.faults.add_outage(START, START + timedelta(hours=1), kind="hang", delay=2.5, endpoint="me")
    assert (_get(sim, "/me").status, _get(sim, "/me").delay) == (200, 2.5)
    assert _get(sim, "/chargers").delay == 0
    clock.advance(timedelta(hours=1))
    assert _get(sim, "/me").delay == 0


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"kind": FaultKind.MALFORMED_JSON}, "http_error or a hang"),
        ({"status": 200}, "status"),
        ({"delay": float("nan")}, "delay"),
    ],
)
def test_outage_checks_its_arguments(
    sim: JouloSimulator, options: dict[str, Any], match: str
) -> None:
    """Outages of other kinds, without an error status or with a bad delay are refused."""
    with pytest.raises(ValueError, match=match):
        sim.faults.add_outage(START, START + timedelta(minutes=1), **options)
    with pytest.raises(ValueError, match="end after"):
        sim.faults.add_outage(START, START)
    assert sim.faults.outages == []


async def test_random_faults_and_outages_over_the_admin_routes(
    client: SimClient, sim: JouloSimulator
) -> None:
    """``POST /_sim/faults/random`` and ``/faults/outage``; listed, and cleared with the rest."""
    created = await client.admin(
        "POST",
        "/faults/random",
        {"rates": {"rate_limited": 1.0}, "seed": 3, "endpoint": "/energy", "retry_after": "5"},
    )
    assert created.status == 201
    assert created.json()["rates"] == {"rate_limited": 1.0}
    reply = await client.get("/energy")
    assert (reply.status, reply.headers["Retry-After"]) == (429, "5")
    outage = await client.admin(
        "POST",
        "/faults/outage",
        {"start": "2026-04-09T12:00:00Z", "end": "2026-04-09T13:00:00+00:00", "status": 502},
    )
    assert outage.json() == {
        "start": "2026-04-09T12:00:00Z",
        "end": "2026-04-09T13:00:00Z",
        "kind": "http_error",
        "status": 502,
        "delay": 30.0,
        "endpoint": None,
    }
    assert (await client.get("/chargers")).status == 502
    listed = (await client.admin("GET", "/faults")).json()
    assert [r["hits"] for r in listed["random"]] == [{"rate_limited": 1}]
    assert len(listed["outages"]) == 1
    assert (await client.admin("GET", "/state")).json()["outages"] == listed["outages"]
    assert (await client.admin("DELETE", "/faults")).json() == {"cleared": 2}
    assert (await client.get("/chargers")).status == 200
    assert (sim.faults.random, sim.faults.outages) == ([], [])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/faults/random", {}),
        ("/faults/random", {"rates": [0.1]}),
        ("/faults/random", {"rates": {"hang": "often"}}),
        ("/faults/random", {"rates": {"hang": 0.1}, "statuses": ["500"]}),
        ("/faults/random", {"rates": {"hang": 2}}),
        ("/faults/outage", {"start": "2026-04-09T12:00:00Z"}),
        ("/faults/outage", {"start": "noon", "end": "2026-04-09T13:00:00Z"}),
        (
            "/faults/outage",
            {"start": "2026-04-09T12:00:00Z", "end": "2026-04-09T13:00:00Z", "kind": "x"},
        ),
        ("/latency", {}),
        ("/latency", {"seconds": -1}),
    ],
)
async def test_admin_refuses_bad_bodies(client: SimClient, path: str, body: Any) -> None:
    """Bad random faults, outages and latencies get 400 with a message."""
    reply = await client.admin("POST", path, body)
    assert reply.status == 400
    assert reply.json()["error"]


async def test_latency_before_every_api_answer(client: SimClient, sim: JouloSimulator) -> None:
    """The server waits the latency before each API answer, errors included; not for admin."""
    assert sim.latency == 0
    reply = await client.admin("POST", "/latency", {"seconds": 0.1})
    assert reply.json() == {"latency": 0.1}
    assert (await client.admin("GET", "/state")).json()["latency"] == 0.1
    for token in (DEMO_TOKEN, None):
        started = time.monotonic()
        await client.get("/me", token=token)
        assert time.monotonic() - started >= 0.1
    sim.latency = 0
    with pytest.raises(ValueError, match="latency"):
        sim.latency = -0.1
    with pytest.raises(ValueError, match="latency"):
        JouloSimulator(ManualClock(START), latency=float("inf"))
