"""Fixtures for the simulator's tests: a manual clock, a simulator and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from joulo_simulator import JouloSimulator, ManualClock, SimulatorServer

from .common import START, SimClient


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when a test says so."""
    return ManualClock(START)


@pytest.fixture
def sim(request: pytest.FixtureRequest, clock: ManualClock) -> JouloSimulator:
    """A simulator with the default account and the default rate limit, on the manual clock.

    Every charger is live, unless the test is marked ``upstream_sync``.
    """
    synced = request.node.get_closest_marker("upstream_sync") is not None
    return JouloSimulator(clock, upstream_sync=synced)


@pytest.fixture
async def sim_server(socket_enabled: None, sim: JouloSimulator) -> AsyncIterator[SimulatorServer]:
    """``sim`` served on a free port of 127.0.0.1."""
    async with SimulatorServer(sim) as server:
        yield server


@pytest.fixture
async def client(sim_server: SimulatorServer) -> AsyncIterator[SimClient]:
    """An HTTP client of ``sim_server``."""
    async with aiohttp.ClientSession() as session:
        yield SimClient(session, sim_server)
