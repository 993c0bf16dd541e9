"""Which failures are worth one more try: the client says so (`transient`) and never waits itself.

The caller (Home Assistant's coordinators and history import) schedules the one retry on its own
clock, after `retry_pause()`. Requests are counted exactly at the simulator: the client sends one
request per read, whatever the answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.joulo.api import (
    RETRY_PAUSE,
    JouloAuthenticationError,
    JouloClient,
    JouloConnectionError,
    JouloError,
    JouloRateLimitedError,
    JouloResponseError,
    retry_pause,
)
from joulo_simulator import DRIVEWAY_ID, FaultKind, JouloSimulator
from tests.client.helpers import READS

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


def statuses(simulator: JouloSimulator) -> list[int]:
    """The status of every request the simulator received, in order."""
    return [request.status for request in simulator.requests]


@reads
@pytest.mark.parametrize("failure", list(FAILURES))
async def test_a_failure_worth_a_retry_is_transient_and_sent_once(
    client: JouloClient, simulator: JouloSimulator, endpoint: str, failure: str
) -> None:
    """A 5xx, a timeout or a broken body raises a transient error at once: one request, no wait."""
    simulator.faults.inject(endpoint=endpoint, **FAILURES[failure])

    with pytest.raises((JouloConnectionError, JouloResponseError)) as caught:
        await READS[endpoint](client)

    assert caught.value.transient
    assert [request.endpoint for request in simulator.requests] == [endpoint]
    # The next read is the caller's retry, and it is answered.
    assert await READS[endpoint](client) is not None
    assert simulator.request_count() == 2


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
async def test_refusals_are_not_transient(
    *,
    client: JouloClient,
    simulator: JouloSimulator,
    endpoint: str,
    status: int,
    error: type[JouloError],
) -> None:
    """A refused token, a 429 and any other 4xx would only be refused again: not worth a retry."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint=endpoint, status=status, times=2)

    with pytest.raises(error) as caught:
        await READS[endpoint](client)

    assert not caught.value.transient
    assert statuses(simulator) == [status]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_command_is_sent_once(
    client: JouloClient, simulator: JouloSimulator, status: int
) -> None:
    """A reboot that failed is not sent again by the client: one request."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers/reboot", status=status)

    with pytest.raises(JouloConnectionError):
        await client.reboot_charger(DRIVEWAY_ID)

    assert statuses(simulator) == [status]


def test_pauses_are_short_and_differ() -> None:
    """The pause is drawn anew each time: clients that failed together do not retry together."""
    pauses = [retry_pause() for _ in range(20)]

    assert all(RETRY_PAUSE[0] <= pause <= RETRY_PAUSE[1] for pause in pauses)
    assert len(set(pauses)) == len(pauses)
