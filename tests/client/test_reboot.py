"""`reboot_charger` over real HTTP: each answer of `POST /chargers/reboot`, and the gate around it."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from custom_components.joulo.api import (
    JouloAuthenticationError,
    JouloClient,
    JouloConnectionError,
    JouloRateLimitedError,
    JouloResponseError,
    RateLimitGate,
    RebootResult,
)
from joulo_simulator import REBOOT_COOLDOWN, FaultKind, JouloSimulator, ManualClock, SimReboot
from joulo_simulator.account import CARPORT_ID, DEMO_TOKEN, DRIVEWAY_ID, GARAGE_ID
from tests.client.helpers import START


def _reboots(simulator: JouloSimulator, charger_id: str) -> list[SimReboot]:
    return simulator.charger(charger_id).reboots


async def test_live_charger_confirms_a_soft_reboot(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """An OCPP charger confirms at once (200): not queued, confirmed; a soft reboot was asked."""
    result = await client.reboot_charger(DRIVEWAY_ID)

    assert result == RebootResult(queued=False, confirmed=True, message=None)
    assert _reboots(simulator, DRIVEWAY_ID) == [SimReboot(at=START, type="Soft")]
    request = simulator.requests[-1]
    assert (request.method, request.endpoint, request.status) == ("POST", "/chargers/reboot", 200)
    assert simulator.request_count() == 1


async def test_cloud_charger_queues_a_hard_reboot(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """A cloud charger only gets the command sent on (202): queued, with the API's message."""
    result = await client.reboot_charger(GARAGE_ID, hard=True)

    assert result == RebootResult(queued=True, confirmed=None, message="Reboot command sent")
    assert _reboots(simulator, GARAGE_ID) == [SimReboot(at=START, type="Hard")]
    assert simulator.requests[-1].status == 202


async def test_cooldown_is_a_409_response_error(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock
) -> None:
    """A second reboot within the cooldown gives `JouloResponseError` 409; after it, one passes."""
    await client.reboot_charger(DRIVEWAY_ID)
    clock.advance(REBOOT_COOLDOWN.total_seconds() - 1)

    with pytest.raises(JouloResponseError) as caught:
        await client.reboot_charger(DRIVEWAY_ID, hard=True)
    assert caught.value.status == 409

    clock.advance(1)
    assert (await client.reboot_charger(DRIVEWAY_ID, hard=True)).confirmed is True
    assert [reboot.type for reboot in _reboots(simulator, DRIVEWAY_ID)] == ["Soft", "Hard"]
    assert [request.status for request in simulator.requests] == [200, 409, 200]
    assert client.gate.closed_until is None


async def test_offline_charger_is_a_503_connection_error(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """An offline charger gives `JouloConnectionError` carrying 503; nothing was rebooted."""
    with pytest.raises(JouloConnectionError) as caught:
        await client.reboot_charger(CARPORT_ID)

    assert caught.value.status == 503
    assert _reboots(simulator, CARPORT_ID) == []
    assert simulator.requests[-1].status == 503


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_carry_their_status(
    client: JouloClient, simulator: JouloSimulator, status: int
) -> None:
    """A 5xx gives `JouloConnectionError` with the status, on a command as on a read."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers/reboot", status=status)
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/energy", status=status)

    for call in (client.reboot_charger(DRIVEWAY_ID), client.get_energy()):
        with pytest.raises(JouloConnectionError) as caught:
            await call
        assert caught.value.status == status
    assert _reboots(simulator, DRIVEWAY_ID) == []


async def test_no_answer_is_a_connection_error_without_status(
    client: JouloClient,
    simulator: JouloSimulator,
    socket_enabled: None,
    http_session: aiohttp.ClientSession,
) -> None:
    """A timeout or a closed port gives `JouloConnectionError` with status None."""
    simulator.faults.inject(FaultKind.HANG, endpoint="/chargers/reboot", delay=2.0)
    with pytest.raises(JouloConnectionError, match="Timeout") as caught:
        await client.reboot_charger(DRIVEWAY_ID)
    assert caught.value.status is None

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = JouloClient(http_session, DEMO_TOKEN, base_url=f"http://127.0.0.1:{port}/api")
    with pytest.raises(JouloConnectionError) as caught:
        await unreachable.reboot_charger(DRIVEWAY_ID)
    assert caught.value.status is None


async def test_read_only_token_is_a_403_and_keeps_reading(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """A token that may not control chargers gives 403; reads and later commands still go out."""
    simulator.set_token_can_control(DEMO_TOKEN, False)

    with pytest.raises(JouloAuthenticationError) as caught:
        await client.reboot_charger(DRIVEWAY_ID)
    assert caught.value.status == 403

    assert await client.get_chargers()
    simulator.set_token_can_control(DEMO_TOKEN, True)
    assert (await client.reboot_charger(DRIVEWAY_ID)).confirmed is True
    assert [request.status for request in simulator.requests] == [403, 200, 200]


async def test_refused_token_sends_no_command(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """A 401 on a command stops the client, and a 401 on a read stops commands too."""
    simulator.revoke_token(DEMO_TOKEN)
    with pytest.raises(JouloAuthenticationError) as caught:
        await client.reboot_charger(DRIVEWAY_ID)
    assert caught.value.status == 401
    for call in (client.get_chargers(), client.reboot_charger(GARAGE_ID)):
        with pytest.raises(JouloAuthenticationError):
            await call
    assert simulator.request_count() == 1


async def test_unknown_charger_is_a_404_and_empty_id_a_value_error(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """A charger the account does not have gives 404; an empty id is refused before sending."""
    with pytest.raises(JouloResponseError) as caught:
        await client.reboot_charger("0badc0de-0000-4000-8000-000000000000")
    assert caught.value.status == 404

    with pytest.raises(ValueError, match="charger_id"):
        await client.reboot_charger("")
    assert simulator.request_count() == 1


@pytest.mark.parametrize(
    ("charger_id", "status"), [(DRIVEWAY_ID, 200), (GARAGE_ID, 202)], ids=["200", "202"]
)
async def test_unreadable_success_is_a_response_error(
    client: JouloClient, simulator: JouloSimulator, charger_id: str, status: int
) -> None:
    """A 200 or 202 with broken JSON, or JSON of the wrong shape, gives `JouloResponseError`."""
    for kind in (FaultKind.MALFORMED_JSON, FaultKind.WRONG_SHAPE):
        simulator.faults.inject(kind, endpoint="/chargers/reboot")
        with pytest.raises(JouloResponseError) as caught:
            await client.reboot_charger(charger_id)
        assert caught.value.status == (status if kind is FaultKind.MALFORMED_JSON else None)
        simulator.charger(charger_id).reboots.clear()  # the command was carried out: no cooldown


@pytest.mark.parametrize(
    ("charger_id", "queued"), [(DRIVEWAY_ID, False), (GARAGE_ID, True)], ids=["200", "202"]
)
async def test_success_without_fields(
    client: JouloClient, simulator: JouloSimulator, charger_id: str, *, queued: bool
) -> None:
    """A success whose body says nothing is still a success: only which kind it was is known."""
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/chargers/reboot")

    assert await client.reboot_charger(charger_id) == RebootResult(queued=queued)


async def test_closed_gate_holds_commands(
    client: JouloClient, simulator: JouloSimulator, gate: RateLimitGate, clock: ManualClock
) -> None:
    """A 429 on a read holds commands, and a 429 on a command holds reads, until Retry-After."""
    simulator.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/chargers", status=429, retry_after="30"
    )
    with pytest.raises(JouloRateLimitedError):
        await client.get_chargers()
    with pytest.raises(JouloRateLimitedError) as caught:
        await client.reboot_charger(DRIVEWAY_ID)
    assert caught.value.retry_after == 30
    assert simulator.request_count() == 1

    clock.advance(30)
    simulator.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/chargers/reboot", status=429, retry_after="120"
    )
    with pytest.raises(JouloRateLimitedError) as caught:
        await client.reboot_charger(DRIVEWAY_ID)
    assert caught.value.retry_after == 120
    with pytest.raises(JouloRateLimitedError):
        await client.get_energy()
    assert gate.closed_until == caught.value.retry_at
    assert simulator.request_count() == 2
    assert _reboots(simulator, DRIVEWAY_ID) == []

    clock.advance(120)
    assert (await client.reboot_charger(DRIVEWAY_ID)).confirmed is True
    assert simulator.request_count() == 3
