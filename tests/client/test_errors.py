"""The client's errors over real HTTP: every fault the simulator injects maps to one error type."""

from __future__ import annotations

from datetime import timedelta
import time

import aiohttp
import pytest

from custom_components.joulo.api import (
    JouloAuthenticationError,
    JouloClient,
    JouloConnectionError,
    JouloResponseError,
    RateLimitGate,
)
from joulo_simulator import FaultKind, JouloSimulator, ManualClock, SimulatorServer
from joulo_simulator.account import DEMO_TOKEN, GARAGE_ID
from tests.client.helpers import CALLS, REQUEST_TIMEOUT, make_client, unreachable_client

endpoints = pytest.mark.parametrize("endpoint", list(CALLS))


@endpoints
async def test_unknown_token_raises_authentication_error(
    http_session: aiohttp.ClientSession,
    simulator_server: SimulatorServer,
    gate: RateLimitGate,
    endpoint: str,
) -> None:
    """A token the API does not know gives `JouloAuthenticationError` with status 401."""
    client = make_client(http_session, simulator_server, gate, "joulo_" + "x" * 32)

    with pytest.raises(JouloAuthenticationError) as caught:
        await CALLS[endpoint](client)

    assert caught.value.status == 401


async def test_revoked_token_raises_authentication_error(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """A token revoked in the dashboard stops working at once: 401, then nothing more is sent."""
    await client.get_chargers()
    simulator.revoke_token(DEMO_TOKEN)

    for call in CALLS.values():
        with pytest.raises(JouloAuthenticationError) as caught:
            await call(client)
        assert caught.value.status == 401
    assert [request.status for request in simulator.requests] == [200, 401]


async def test_refused_token_is_never_sent_again(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock
) -> None:
    """After one 401 the client raises at once, without a request, even later and elsewhere."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/energy", status=401)

    with pytest.raises(JouloAuthenticationError):
        await client.get_energy()
    clock.advance(timedelta(days=1))
    for call in CALLS.values():
        with pytest.raises(JouloAuthenticationError) as caught:
            await call(client)
        assert caught.value.status == 401

    assert simulator.request_count() == 1


async def test_forbidden_does_not_stop_other_requests(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """A 403 on one endpoint (a missing scope) leaves the other endpoints working."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/me", status=403)

    with pytest.raises(JouloAuthenticationError):
        await client.get_account()
    for endpoint, call in CALLS.items():
        await call(client)
        assert simulator.requests[-1].endpoint == endpoint

    assert simulator.request_count() == 1 + len(CALLS)


@endpoints
async def test_insufficient_scope_raises_authentication_error(
    client: JouloClient, simulator: JouloSimulator, endpoint: str
) -> None:
    """A 403 (a token without the endpoint's scope) gives `JouloAuthenticationError`, 403."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint=endpoint, status=403)

    with pytest.raises(JouloAuthenticationError) as caught:
        await CALLS[endpoint](client)

    assert caught.value.status == 403
    assert simulator.requests[-1].status == 403


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@endpoints
async def test_server_errors_raise_connection_error(
    client: JouloClient, simulator: JouloSimulator, endpoint: str, status: int
) -> None:
    """A 5xx answer gives `JouloConnectionError` at once; the next call goes out normally."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint=endpoint, status=status)

    with pytest.raises(JouloConnectionError, match=str(status)):
        await CALLS[endpoint](client)

    await CALLS[endpoint](client)
    assert simulator.request_count(endpoint) == 2


async def test_hang_past_the_timeout_raises_connection_error(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """Answers slower than the client's timeout give `JouloConnectionError` at the timeout."""
    simulator.faults.inject(FaultKind.HANG, endpoint="/chargers", delay=10.0)

    started = time.monotonic()
    with pytest.raises(JouloConnectionError, match="Timeout") as caught:
        await client.get_chargers()
    elapsed = time.monotonic() - started

    assert REQUEST_TIMEOUT * 0.9 <= elapsed < 5.0
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert await client.get_chargers()


async def test_hang_within_the_timeout_is_answered(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """An answer a little slow but within the timeout is a normal answer."""
    simulator.faults.inject(FaultKind.HANG, endpoint="/energy", delay=0.05)

    assert (await client.get_energy()).total_sessions


async def test_connection_refused_raises_connection_error(
    socket_enabled: None, http_session: aiohttp.ClientSession, gate: RateLimitGate
) -> None:
    """Nothing listening on the port gives `JouloConnectionError`."""
    client = unreachable_client(http_session, gate)

    for call in CALLS.values():
        with pytest.raises(JouloConnectionError) as caught:
            await call(client)
        assert isinstance(caught.value.__cause__, aiohttp.ClientError | OSError)


@endpoints
async def test_malformed_json_raises_response_error(
    client: JouloClient, simulator: JouloSimulator, endpoint: str
) -> None:
    """A truncated JSON body gives `JouloResponseError` with the 200 status, at once."""
    simulator.faults.inject(FaultKind.MALFORMED_JSON, endpoint=endpoint)

    with pytest.raises(JouloResponseError, match="malformed JSON") as caught:
        await CALLS[endpoint](client)

    assert caught.value.status in {200, 202}
    assert simulator.request_count(endpoint) == 1


@endpoints
async def test_wrong_shape_raises_response_error(
    client: JouloClient, simulator: JouloSimulator, endpoint: str
) -> None:
    """Valid JSON of the wrong shape gives `JouloResponseError`, at once."""
    simulator.faults.inject(FaultKind.WRONG_SHAPE, endpoint=endpoint)

    with pytest.raises(JouloResponseError):
        await CALLS[endpoint](client)
    assert simulator.request_count(endpoint) == 1


async def test_missing_optional_fields_are_none(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """Without every field but ids and containers, chargers and the account parse with None."""
    simulator.start_session(GARAGE_ID)
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/chargers")
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/me")

    chargers = await client.get_chargers()
    account = await client.get_account()

    assert [charger.id for charger in chargers] == list(simulator.default_account.chargers)
    for charger in chargers:
        assert charger.nickname is None
        assert charger.connection_type is None
        assert charger.status is None
        assert charger.mid_certified is None
        assert charger.latest_meter_wh is None
        assert charger.meter_updated_at is None
    garage = chargers[0]
    assert garage.current_session is not None
    assert garage.is_charging  # follows the current session when is_charging is missing
    assert garage.current_session.started_at is None
    assert garage.current_session.kwh_so_far is None
    assert not chargers[1].is_charging
    assert account.id == simulator.default_account.id
    assert (account.email, account.name, account.ere_price_mid) == (None, None, None)
    assert account.effective_fee_pct is None


async def test_missing_named_fields_are_none(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """Optional session and energy fields that are missing parse as None."""
    session_fields = ("charger_nickname", "ended_at", "kwh", "status", "ere_credits", "id_tag")
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/sessions", fields=session_fields)
    energy_fields = ("total_kwh", "total_ere_credits", "total_sessions", "kwh", "sessions")
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/energy", fields=energy_fields)

    page = await client.get_sessions(limit=5)
    energy = await client.get_energy()

    assert len(page.sessions) == 5
    for session in page.sessions:
        assert session.started_at is not None
        assert session.charger_id
        assert (session.charger_nickname, session.ended_at, session.kwh) == (None, None, None)
        assert (session.status, session.ere_credits, session.id_tag) == (None, None, None)
        assert not session.is_completed
    assert (energy.total_kwh, energy.total_ere_credits, energy.total_sessions) == (None,) * 3
    assert energy.total_sessions_all
    assert energy.months
    assert all(entry.kwh is None and entry.sessions is None for entry in energy.months)
    assert all(entry.kwh_all is not None for entry in energy.months)


@pytest.mark.parametrize(
    ("endpoint", "fields"),
    [
        ("/chargers", ("id",)),
        ("/sessions", ("id",)),
        ("/sessions", ("charger_id",)),
        ("/sessions", ("started_at",)),
        ("/sessions", ()),
        ("/energy", ("month",)),
    ],
)
async def test_missing_required_fields_raise_response_error(
    client: JouloClient, simulator: JouloSimulator, endpoint: str, fields: tuple[str, ...]
) -> None:
    """A missing id (or session start, or month) gives `JouloResponseError`."""
    simulator.start_session(GARAGE_ID)
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint=endpoint, fields=fields)

    with pytest.raises(JouloResponseError):
        await CALLS[endpoint](client)


async def test_missing_current_session_id_raises_response_error(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """A running session without its id gives `JouloResponseError`."""
    simulator.start_session(GARAGE_ID)
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/chargers", fields=("id",))

    with pytest.raises(JouloResponseError, match="'id'"):
        await client.get_chargers()


@pytest.mark.parametrize(
    ("endpoint", "switch"), [("/me", "me_available"), ("/ere-position", "ere_position_available")]
)
async def test_optional_endpoint_missing_raises_response_error_404(
    *,
    http_session: aiohttp.ClientSession,
    simulator_server: SimulatorServer,
    simulator: JouloSimulator,
    gate: RateLimitGate,
    endpoint: str,
    switch: str,
) -> None:
    """`/me` or `/ere-position` answering 404 gives `JouloResponseError` 404; the rest works."""
    account = simulator.add_account()
    setattr(account, switch, False)
    client = make_client(http_session, simulator_server, gate, account.token)

    with pytest.raises(JouloResponseError) as caught:
        await CALLS[endpoint](client)

    assert caught.value.status == 404
    assert len(await client.get_chargers()) == 3
    assert gate.closed_until is None
    setattr(account, switch, True)
    await CALLS[endpoint](client)
    assert [request.status for request in simulator.requests] == [404, 200, 200]


@pytest.mark.parametrize("status", [400, 404, 409, 418])
async def test_other_client_errors_raise_response_error(
    client: JouloClient, simulator: JouloSimulator, status: int
) -> None:
    """Other 4xx answers give `JouloResponseError` with their status."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/energy", status=status)

    with pytest.raises(JouloResponseError) as caught:
        await client.get_energy()

    assert caught.value.status == status
