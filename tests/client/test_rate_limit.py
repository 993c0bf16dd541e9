"""Rate limiting over real HTTP: after a 429 nothing reaches the API until the gate opens again."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import aiohttp
import pytest

from custom_components.joulo.api import JouloClient, JouloRateLimitedError, RateLimitGate
from joulo_simulator import FaultKind, JouloSimulator, ManualClock, RateLimit, SimulatorServer
from tests.client.helpers import READS, START, Call, make_client


async def _assert_held(client: JouloClient, simulator: JouloSimulator, seconds: float) -> None:
    """Every method raises `JouloRateLimitedError` without sending anything."""
    sent = simulator.request_count()
    for call in READS.values():
        with pytest.raises(JouloRateLimitedError) as caught:
            await call(client)
        assert caught.value.retry_after == pytest.approx(seconds)
    assert simulator.request_count() == sent


async def _assert_held_for(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock, seconds: int
) -> None:
    """Every request is held for `seconds` from now, to the second; the clock ends at that moment."""
    await _assert_held(client, simulator, seconds)
    clock.advance(seconds - 1)
    await _assert_held(client, simulator, 1)
    clock.advance(1)


async def _assert_open(client: JouloClient, simulator: JouloSimulator) -> None:
    """Every method reaches the API and succeeds."""
    sent = simulator.request_count()
    for call in READS.values():
        await call(client)
    assert simulator.request_count() == sent + len(READS)


async def _rate_limited(
    client: JouloClient, simulator: JouloSimulator, retry_after: str | None
) -> JouloRateLimitedError:
    """Answer the next request with a 429 and return the error the client raised for it."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, status=429, retry_after=retry_after)
    sent = simulator.request_count()
    with pytest.raises(JouloRateLimitedError) as caught:
        await client.get_chargers()
    assert simulator.request_count() == sent + 1
    assert simulator.requests[-1].status == 429
    return caught.value


@pytest.mark.parametrize("call", READS.values(), ids=list(READS))
async def test_retry_after_seconds_holds_every_request(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock, call: Call
) -> None:
    """A 429 with `Retry-After: 300` holds every method for exactly 300 s."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, status=429, retry_after="300")

    with pytest.raises(JouloRateLimitedError) as caught:
        await call(client)

    assert caught.value.retry_after == 300
    assert caught.value.retry_at == START + timedelta(seconds=300)
    assert "300" in str(caught.value)
    assert simulator.request_count() == 1
    await _assert_held(client, simulator, 300)
    clock.advance(150)
    await _assert_held(client, simulator, 150)
    clock.advance(149)
    await _assert_held(client, simulator, 1)
    clock.advance(1)
    await _assert_open(client, simulator)
    assert simulator.request_count() == 1 + len(READS)


@pytest.mark.parametrize(
    ("retry_after", "held"),
    [
        (format_datetime(START + timedelta(minutes=7), usegmt=True), 420),
        # Days away is a server mistake: requests resume after six hours at most.
        ("86400", 6 * 3600),
        (format_datetime(START + timedelta(days=3650), usegmt=True), 6 * 3600),
        # Now or in the past still holds requests for one second.
        ("0", 1),
        ("-5", 1),
        (format_datetime(START - timedelta(hours=1), usegmt=True), 1),
    ],
)
async def test_retry_after_holds_every_request_until_its_moment(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock, retry_after: str, held: int
) -> None:
    """A `Retry-After` holds every request until its moment: six hours at most, one second at least."""
    error = await _rate_limited(client, simulator, retry_after)

    assert error.retry_after == held
    assert error.retry_at == START + timedelta(seconds=held)
    await _assert_held_for(client, simulator, clock, held)
    await _assert_open(client, simulator)


@pytest.mark.parametrize(
    "retry_after",
    [
        None,
        "",
        "soon",
        "inf",
        "Fri, 99 Foo 2026 25:61:61 XYZ",
        "Mon, 01 Jan 99999999999 00:00:00 GMT",  # a year too large for a datetime
    ],
)
async def test_backoff_without_a_usable_retry_after(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock, retry_after: str | None
) -> None:
    """Without a usable `Retry-After`: 60 s, doubling per consecutive 429, capped at 15 min.

    A success resets the back-off to 60 s.
    """
    for expected in (60, 120, 240, 480, 900, 900):
        error = await _rate_limited(client, simulator, retry_after)
        assert error.retry_after == expected
        await _assert_held_for(client, simulator, clock, expected)

    await _assert_open(client, simulator)

    error = await _rate_limited(client, simulator, retry_after)
    assert error.retry_after == 60
    clock.advance(60)
    error = await _rate_limited(client, simulator, retry_after)
    assert error.retry_after == 120


async def test_retry_after_header_does_not_advance_the_backoff(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock
) -> None:
    """A 429 with `Retry-After` leaves the back-off of header-less 429s where it was."""
    assert (await _rate_limited(client, simulator, None)).retry_after == 60
    clock.advance(60)
    assert (await _rate_limited(client, simulator, "10")).retry_after == 10
    clock.advance(10)
    assert (await _rate_limited(client, simulator, None)).retry_after == 120


async def test_one_gate_holds_every_client_sharing_it(
    http_session: aiohttp.ClientSession,
    simulator_server: SimulatorServer,
    simulator: JouloSimulator,
    gate: RateLimitGate,
    clock: ManualClock,
) -> None:
    """Clients that share a gate (one per token) are all held after a 429 to one of them."""
    first = make_client(http_session, simulator_server, gate)
    second = make_client(http_session, simulator_server, gate)

    await _rate_limited(first, simulator, "30")

    await _assert_held(second, simulator, 30)
    closed_until = gate.closed_until
    assert closed_until == START + timedelta(seconds=30)
    clock.advance(30)
    assert gate.closed_until is None
    await _assert_open(second, simulator)


async def test_simulator_rate_limit_is_honoured(
    socket_enabled: None,
    http_session: aiohttp.ClientSession,
    gate: RateLimitGate,
    clock: ManualClock,
) -> None:
    """The simulator's own per-token limit answers 429 with `Retry-After`; the client waits."""
    simulator = JouloSimulator(
        clock, rate_limit=RateLimit(max_requests=3, window=timedelta(seconds=60))
    )
    async with SimulatorServer(simulator) as server:
        client = make_client(http_session, server, gate)
        for _ in range(3):
            await client.get_chargers()
        clock.advance(20)

        with pytest.raises(JouloRateLimitedError) as caught:
            await client.get_energy()

        assert caught.value.retry_after == 40
        assert simulator.request_count() == 4
        await _assert_held(client, simulator, 40)
        clock.advance(40)
        await client.get_energy()
        assert simulator.requests[-1].status == 200
