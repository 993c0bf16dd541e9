"""Fixtures shared by every test: our custom_components first, and a Joulo simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

# The test plugin ships a `custom_components` package of its own; importing ours first makes it win.
import custom_components  # noqa: F401  # isort: skip
from homeassistant.util import dt as dt_util
import pytest

from joulo_simulator import JouloSimulator, SimulatorServer


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests marked ``live_and_synced`` twice: all chargers live, and with Joulo's sync."""
    if metafunc.definition.get_closest_marker("live_and_synced") is not None:
        metafunc.parametrize("upstream_sync", [False, True], ids=["live", "synced"], indirect=True)


@pytest.fixture
def upstream_sync(request: pytest.FixtureRequest) -> bool:
    """Whether cloud chargers change only at their 15-minute syncs, as Joulo's do.

    Off (every charger live) unless the test is marked ``upstream_sync``, or ``live_and_synced``
    (which runs it both ways).
    """
    synced: bool = getattr(
        request, "param", request.node.get_closest_marker("upstream_sync") is not None
    )
    return synced


@pytest.fixture
def simulator(upstream_sync: bool) -> JouloSimulator:
    """A simulator of the default account on Home Assistant's clock, which the tests move."""
    # Looked up on every call: the test plugin swaps `dt_util.utcnow` when it freezes time.
    return JouloSimulator(clock=lambda: dt_util.utcnow(), upstream_sync=upstream_sync)  # noqa: PLW0108


@pytest.fixture
async def simulator_server(
    socket_enabled: None, simulator: JouloSimulator
) -> AsyncIterator[SimulatorServer]:
    """The simulator serving its API over HTTP on a free port of 127.0.0.1."""
    async with SimulatorServer(simulator) as server:
        yield server
