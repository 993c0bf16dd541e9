"""Fixtures shared by every test: our custom_components first, and a Joulo simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

# The test plugin ships a `custom_components` package of its own; importing ours first makes it win.
import custom_components  # noqa: F401  # isort: skip
from homeassistant.util import dt as dt_util
import pytest

from joulo_simulator import JouloSimulator, SimulatorServer


@pytest.fixture
def simulator(request: pytest.FixtureRequest) -> JouloSimulator:
    """A simulator of the default account on Home Assistant's clock, which the tests move.

    Every charger is live, unless the test is marked ``upstream_sync``: then cloud chargers change
    only at their 15-minute syncs, as Joulo's do.
    """
    synced = request.node.get_closest_marker("upstream_sync") is not None
    # Looked up on every call: the test plugin swaps `dt_util.utcnow` when it freezes time.
    return JouloSimulator(clock=lambda: dt_util.utcnow(), upstream_sync=synced)  # noqa: PLW0108


@pytest.fixture
async def simulator_server(
    socket_enabled: None, simulator: JouloSimulator
) -> AsyncIterator[SimulatorServer]:
    """The simulator serving its API over HTTP on a free port of 127.0.0.1."""
    async with SimulatorServer(simulator) as server:
        yield server
