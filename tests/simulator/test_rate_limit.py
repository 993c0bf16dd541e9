"""Tests of the per-token rate limit on the simulator's clock."""

from __future__ import annotations

from datetime import timedelta

from joulo_simulator import JouloSimulator, ManualClock, RateLimit

from .common import START, SimClient


async def test_burst_gets_429_until_the_window_passes(
    client: SimClient, clock: ManualClock
) -> None:
    """The 31st request in a minute is 429 with Retry-After; after that many seconds, 200."""
    for _ in range(30):
        assert (await client.get("/chargers")).status == 200
    reply = await client.get("/energy")
    assert (reply.status, reply.json()) == (429, {"error": "Too many requests"})
    assert reply.headers["Retry-After"] == "60"
    clock.advance(59)
    assert (await client.get("/chargers")).headers["Retry-After"] == "1"
    clock.advance(1)
    assert (await client.get("/chargers")).status == 200


async def test_window_slides(client: SimClient, clock: ManualClock) -> None:
    """Retry-After counts down to when the oldest request leaves the window."""
    for _ in range(30):
        assert (await client.get("/chargers")).status == 200
        clock.advance(1)
    reply = await client.get("/chargers")
    assert (reply.status, reply.headers["Retry-After"]) == (429, "30")
    clock.advance(29.5)
    assert (await client.get("/chargers")).headers["Retry-After"] == "1"
    clock.advance(0.5)
    assert (await client.get("/chargers")).status == 200
    assert (await client.get("/chargers")).status == 429


async def test_limits_are_per_token(client: SimClient, sim: JouloSimulator) -> None:
    """One token's burst does not limit another; refused tokens do not count."""
    other = sim.add_account()
    for _ in range(30):
        await client.get("/chargers")
    assert (await client.get("/chargers")).status == 429
    assert (await client.get("/chargers", token=other.token)).status == 200
    assert (await client.get("/chargers", token="joulo_" + "0" * 32)).status == 401


async def test_rate_limit_can_be_changed_or_disabled(
    client: SimClient, sim: JouloSimulator
) -> None:
    """A custom limit applies at once; None switches limiting off."""
    sim.rate_limit = RateLimit(max_requests=2, window=timedelta(seconds=10))
    assert (await client.get("/me")).status == 200
    assert (await client.get("/me")).status == 200
    reply = await client.get("/me")
    assert (reply.status, reply.headers["Retry-After"]) == (429, "10")
    sim.rate_limit = None
    for _ in range(40):
        assert (await client.get("/me")).status == 200


def test_no_rate_limit_from_the_start() -> None:
    """``rate_limit=None`` makes a simulator without a limit."""
    sim = JouloSimulator(ManualClock(START), rate_limit=None)
    assert sim.rate_limit is None
    assert sim.rate_limiter is None


async def test_clock_set_back_forgets_the_count(client: SimClient, clock: ManualClock) -> None:
    """When a test moves the clock back, requests counted in the future no longer count."""
    for _ in range(30):
        await client.get("/chargers")
    assert (await client.get("/chargers")).status == 429
    clock.set(START - timedelta(minutes=5))
    assert (await client.get("/chargers")).status == 200
