"""Fixtures of the client tests: a simulator on a manual clock, served on 127.0.0.1, and a client.

The simulator, the client's rate-limit gate and the tests share one `ManualClock`, so a test moves
time for all of them at once and nothing waits on the wall clock. The `simulator_server` fixture of
`tests/conftest.py` serves the `simulator` defined here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.joulo.api import JouloClient, RateLimitGate
from joulo_simulator import JouloSimulator, ManualClock, SimulatorServer
from tests.client.helpers import START, make_client


@pytest.fixture
def clock() -> ManualClock:
    """The clock of the simulator and of the client's gate; only the test moves it."""
    return ManualClock(START)


@pytest.fixture
def simulator(clock: ManualClock) -> JouloSimulator:
    """The simulator with its default account, without its own rate limit, every charger live.

    Its rate limit would count the many requests a test sends at one frozen moment; the tests of the
    limit itself make a simulator of their own. The client reads what the API says, so the tests
    see a session the moment they start it, without waiting for a cloud charger's 15-minute sync.
    """
    return JouloSimulator(clock, seed=1, rate_limit=None, upstream_sync=False)


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session, as Home Assistant would share one with the client."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def gate(clock: ManualClock) -> RateLimitGate:
    """The client's rate-limit gate, on the manual clock."""
    return RateLimitGate(clock)


@pytest.fixture
def client(
    http_session: aiohttp.ClientSession,
    simulator_server: SimulatorServer,
    gate: RateLimitGate,
) -> JouloClient:
    """A client of the default account (the demo token) against the running simulator."""
    return make_client(http_session, simulator_server, gate)
