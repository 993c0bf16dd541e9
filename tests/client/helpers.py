"""Helpers of the client tests: the test clock's start, clients against the simulator, the calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
import socket
from typing import Any

import aiohttp

from custom_components.joulo.api import JouloClient, RateLimitGate
from joulo_simulator import DEMO_TOKEN, DRIVEWAY_ID, GARAGE_ID, SimulatorServer

START = datetime(2026, 4, 9, 10, 30, tzinfo=UTC)
"""Where the manual clock starts."""
REQUEST_TIMEOUT = 0.5
"""The clients' request timeout in seconds, short so that the hang fault costs little time."""

type Call = Callable[[JouloClient], Awaitable[Any]]

READS: dict[str, Call] = {
    "/chargers": lambda client: client.get_chargers(),
    "/sessions": lambda client: client.get_sessions(charger_id=GARAGE_ID, limit=5, offset=1),
    "/energy": lambda client: client.get_energy(),
    "/me": lambda client: client.get_account(),
    "/ere-position": lambda client: client.get_ere_position(),
}
"""Each endpoint the client reads, and the client call that reads it (with every query parameter)."""
CALLS: dict[str, Call] = {
    **READS,
    "/chargers/reboot": lambda client: client.reboot_charger(DRIVEWAY_ID, hard=True),
}
"""Each endpoint and the client call that requests it: the reads and the one command."""


def make_client(
    http_session: aiohttp.ClientSession,
    server: SimulatorServer,
    gate: RateLimitGate,
    token: str = DEMO_TOKEN,
) -> JouloClient:
    """Return a client of `token` against `server`, with the short test timeout."""
    return JouloClient(
        http_session,
        token,
        base_url=server.base_url,
        request_timeout=REQUEST_TIMEOUT,
        gate=gate,
    )


def unreachable_client(
    http_session: aiohttp.ClientSession, gate: RateLimitGate, token: str = DEMO_TOKEN
) -> JouloClient:
    """Return a client of `token` against a port of 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return JouloClient(
        http_session,
        token,
        base_url=f"http://127.0.0.1:{port}/functions/v1/api",
        request_timeout=REQUEST_TIMEOUT,
        gate=gate,
    )


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """Yield `error` and every exception it was raised from or during, each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(
            linked for linked in (current.__cause__, current.__context__) if linked is not None
        )
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
