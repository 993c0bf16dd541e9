"""A failed read is tried once more, after a short random pause, through the rate-limit gate.

Requests are counted exactly at the simulator: a failure costs at most one more request, and only for
a read that may go better a moment later (no answer, a 5xx, a broken body).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from custom_components.joulo.api import (
    JouloAuthenticationError,
    JouloClient,
    JouloConnectionError,
    JouloError,
    JouloRateLimitedError,
    JouloResponseError,
    RateLimitGate,
)
from custom_components.joulo.api.client import RETRY_PAUSE
from joulo_simulator import DRIVEWAY_ID, FaultKind, JouloSimulator, SimulatorServer
from tests.client.helpers import READS, Pauses, make_client

reads = pytest.mark.parametrize("endpoint", list(READS))

FAILURES: dict[str, dict[str, Any]] = {
    "500": {"kind": FaultKind.HTTP_ERROR, "status": 500},
    "502": {"kind": FaultKind.HTTP_ERROR, "status": 502},
    "503": {"kind": FaultKind.HTTP_ERROR, "status": 503},
    "504": {"kind": FaultKind.HTTP_ERROR, "status": 504},
    "timeout": {"kind": FaultKind.HANG, "delay": 2.0},
    "broken JSON": {"kind": FaultKind.MALFORMED_JSON},
    "wrong shape": {"kind": FaultKind.WRONG_SHAPE},
}
"""The failures worth a retry, as the simulator's faults (a 5xx body is an HTML error page)."""

failures = pytest.mark.parametrize("failure", list(FAILURES))


def statuses(simulator: JouloSimulator) -> list[int]:
    """The status of every request the simulator received, in order."""
    return [request.status for request in simulator.requests]


@reads
@failures
async def test_one_failure_is_tried_once_more_after_a_short_pause(
    client: JouloClient, simulator: JouloSimulator, pauses: Pauses, endpoint: str, failure: str
) -> None:
    """One failed read is answered by its retry: two requests, one pause of one to three seconds."""
    simulator.faults.inject(endpoint=endpoint, **FAILURES[failure])

    assert await READS[endpoint](client) is not None

    assert simulator.request_count() == 2
    assert [request.endpoint for request in simulator.requests] == [endpoint] * 2
    assert len(pauses) == 1
    assert RETRY_PAUSE[0] <= pauses[0] <= RETRY_PAUSE[1]
    assert client.retries == 1


@reads
@failures
async def test_a_second_failure_is_not_tried_again(
    client: JouloClient, simulator: JouloSimulator, pauses: Pauses, endpoint: str, failure: str
) -> None:
    """A read that fails twice raises: two requests, never a third."""
    simulator.faults.inject(endpoint=endpoint, times=3, **FAILURES[failure])

    with pytest.raises((JouloConnectionError, JouloResponseError)):
        await READS[endpoint](client)

    assert simulator.request_count() == 2
    assert len(pauses) == 1
    assert client.retries == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, JouloAuthenticationError),
        (403, JouloAuthenticationError),
        (429, JouloRateLimitedError),
        (404, JouloResponseError),
        (409, JouloResponseError),
    ],
)
@reads
async def test_refusals_are_not_tried_again(
    *,
    client: JouloClient,
    simulator: JouloSimulator,
    pauses: Pauses,
    endpoint: str,
    status: int,
    error: type[JouloError],
) -> None:
    """A refused token, a 429 and any other 4xx would only be refused again: one request."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint=endpoint, status=status, times=2)

    with pytest.raises(error):
        await READS[endpoint](client)

    assert statuses(simulator) == [status]
    assert pauses == []
    assert client.retries == 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_command_is_never_tried_again(
    client: JouloClient, simulator: JouloSimulator, pauses: Pauses, status: int
) -> None:
    """A reboot that failed is not sent again: a second one could restart the charger twice."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers/reboot", status=status)

    with pytest.raises(JouloConnectionError):
        await client.reboot_charger(DRIVEWAY_ID)

    assert statuses(simulator) == [status]
    assert pauses == []


async def test_a_429_to_the_retry_closes_the_gate(
    client: JouloClient, simulator: JouloSimulator, gate: RateLimitGate
) -> None:
    """The retry goes through the gate like any request: its 429 holds everything after it."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers", status=502)
    simulator.faults.inject(FaultKind.RATE_LIMITED, endpoint="/chargers", retry_after="120")

    with pytest.raises(JouloRateLimitedError) as caught:
        await client.get_chargers()

    assert caught.value.retry_after == pytest.approx(120)
    assert gate.closed_until is not None
    with pytest.raises(JouloRateLimitedError):
        await client.get_energy()
    assert statuses(simulator) == [502, 429]


async def test_no_retry_while_the_gate_is_closed(
    http_session: aiohttp.ClientSession,
    simulator_server: SimulatorServer,
    simulator: JouloSimulator,
    gate: RateLimitGate,
) -> None:
    """A 429 answered to another request during the pause holds the retry: nothing more is sent."""

    async def rate_limited_meanwhile(seconds: float) -> None:
        gate.close("60")

    client = make_client(http_session, simulator_server, gate, sleep=rate_limited_meanwhile)
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=503)

    with pytest.raises(JouloRateLimitedError):
        await client.get_sessions()

    assert statuses(simulator) == [503]


async def test_pauses_differ(
    client: JouloClient, simulator: JouloSimulator, pauses: Pauses
) -> None:
    """The pause is drawn anew for each retry: clients that failed together do not retry together."""
    for _ in range(5):
        simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/energy", status=503)
        await client.get_energy()

    assert len(set(pauses)) == 5
    assert all(RETRY_PAUSE[0] <= pause <= RETRY_PAUSE[1] for pause in pauses)
    assert client.retries == 5
    assert statuses(simulator) == [503, 200] * 5


async def test_every_page_of_all_sessions_is_retried_on_its_own(
    client: JouloClient, simulator: JouloSimulator, pauses: Pauses
) -> None:
    """Reading many pages, a failed page is read again, not the whole list from the start."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=500)

    sessions = await client.get_all_sessions()

    pages = -(-len(sessions) // 100) + (len(sessions) % 100 == 0)
    assert statuses(simulator) == [500] + [200] * pages
    assert [request.query.get("offset") for request in simulator.requests[:2]] == ["0", "0"]
    assert len(pauses) == 1
