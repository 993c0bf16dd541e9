"""The token never shows: not in any exception (or its causes), the client's repr, or a log line."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import aiohttp
import pytest

from custom_components.joulo.api import JouloClient, JouloError, RateLimitGate
from joulo_simulator import FaultKind, JouloSimulator, ManualClock, SimulatorServer
from joulo_simulator.account import DEMO_TOKEN, GARAGE_ID
from tests.client.helpers import CALLS, exception_chain, make_client, unreachable_client

FAULTS: tuple[dict[str, Any], ...] = (
    {"kind": FaultKind.HTTP_ERROR, "status": 403},
    {"kind": FaultKind.HTTP_ERROR, "status": 404},
    {"kind": FaultKind.HTTP_ERROR, "status": 500},
    {"kind": FaultKind.HTTP_ERROR, "status": 503},
    {"kind": FaultKind.MALFORMED_JSON},
    {"kind": FaultKind.WRONG_SHAPE},
    {"kind": FaultKind.MISSING_FIELDS},
    {"kind": FaultKind.MISSING_FIELDS, "fields": ("id",)},
    {"kind": FaultKind.UNKNOWN_ENUM},
    {"kind": FaultKind.HTTP_ERROR, "status": 429, "retry_after": "60"},
    {"kind": FaultKind.HTTP_ERROR, "status": 429},
    {"kind": FaultKind.HANG, "delay": 2.0, "times": 1},
    {"kind": FaultKind.HTTP_ERROR, "status": 401},
)
"""Every fault the client can meet.

The hang comes once, as each costs the client's timeout; the 401 comes last, as the client sends
nothing more with a refused token.
"""


def _assert_no_token(text: str, token: str) -> None:
    assert token not in text
    assert token.removeprefix("joulo_") not in text


def _assert_error_hides_token(error: BaseException, token: str) -> None:
    """Neither the error nor anything it was raised from or during shows the token."""
    for linked in exception_chain(error):
        _assert_no_token(str(linked), token)
        _assert_no_token(repr(linked), token)
        for arg in linked.args:
            _assert_no_token(repr(arg), token)
    _assert_no_token("".join(traceback.format_exception(error)), token)


async def _run(client: JouloClient, errors: list[BaseException]) -> None:
    """Call every method once, collecting what they raise."""
    for call in CALLS.values():
        try:
            await call(client)
        except JouloError as err:
            errors.append(err)


def _assert_logs_hide_token(caplog: pytest.LogCaptureFixture, token: str) -> None:
    assert caplog.records
    for record in caplog.records:
        _assert_no_token(record.getMessage(), token)
        _assert_no_token(repr(record.args), token)
        if record.exc_info and record.exc_info[1] is not None:
            _assert_error_hides_token(record.exc_info[1], token)
    _assert_no_token(caplog.text, token)


async def test_token_hidden_through_every_method_and_fault(
    client: JouloClient,
    simulator: JouloSimulator,
    gate: RateLimitGate,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Over every method and every fault, no exception and no DEBUG log record shows the token."""
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    simulator.start_session(GARAGE_ID)

    await _run(client, errors)
    for fault in FAULTS:
        simulator.faults.inject(**({"times": len(CALLS)} | fault))
        await _run(client, errors)  # after a 429, the gate holds the calls that follow
        simulator.faults.clear()
        clock.advance(900)
    for limit, offset in ((0, None), (None, -1)):
        with pytest.raises(ValueError, match=r"limit|offset") as caught:
            await client.get_sessions(limit=limit, offset=offset)
        errors.append(caught.value)

    kinds = {type(error).__name__ for error in errors}
    assert kinds == {
        "JouloAuthenticationError",
        "JouloConnectionError",
        "JouloRateLimitedError",
        "JouloResponseError",
        "ValueError",
    }
    for error in errors:
        _assert_error_hides_token(error, DEMO_TOKEN)
    _assert_logs_hide_token(caplog, DEMO_TOKEN)
    _assert_no_token(repr(client), DEMO_TOKEN)
    _assert_no_token(str(client), DEMO_TOKEN)
    _assert_no_token(repr(gate), DEMO_TOKEN)
    assert simulator.request_count() > (len(FAULTS) - 3) * len(CALLS)


async def test_token_hidden_when_refused_unreachable_or_timed_out(
    http_session: aiohttp.ClientSession,
    simulator_server: SimulatorServer,
    simulator: JouloSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unknown token, a closed port and a timeout show the token nowhere either."""
    caplog.set_level(logging.DEBUG)
    token = "joulo_" + "Secret0" * 4 + "Zz01"
    errors: list[BaseException] = []

    refused = make_client(http_session, simulator_server, RateLimitGate(simulator.clock), token)
    await _run(refused, errors)

    unreachable = unreachable_client(http_session, RateLimitGate(simulator.clock), token)
    await _run(unreachable, errors)

    account = simulator.add_account(token)
    slow = make_client(http_session, simulator_server, RateLimitGate(simulator.clock), token)
    simulator.faults.inject(FaultKind.HANG, delay=2.0)
    # Only the first call hangs; the others are answered, the reboot with a 404
    # (the charger is not one of this account's).
    await _run(slow, errors)

    assert len(errors) == 2 * len(CALLS) + 2
    for error in errors:
        _assert_error_hides_token(error, token)
    _assert_logs_hide_token(caplog, token)
    for client in (refused, unreachable, slow):
        _assert_no_token(repr(client), token)
    assert account.token == token
