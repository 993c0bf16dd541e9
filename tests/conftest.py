"""Fixtures shared by every test: our custom_components first, and the Joulo simulator on 127.0.0.1.

Each directory defines the `simulator` it needs (on Home Assistant's clock for the integration tests,
on a manual clock for the client's); `simulator_server` serves it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

# The test plugin ships a `custom_components` package of its own; importing ours first makes it win.
import custom_components  # noqa: F401  # isort: skip
import pytest

from joulo_simulator import JouloSimulator, SimulatorServer


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests marked ``live_and_synced`` twice: all chargers live, and with Joulo's sync."""
    if metafunc.definition.get_closest_marker("live_and_synced") is not None:
        metafunc.parametrize("upstream_sync", [False, True], ids=["live", "synced"], indirect=True)


@pytest.fixture
async def simulator_server(
    socket_enabled: None, simulator: JouloSimulator
) -> AsyncIterator[SimulatorServer]:
    """The directory's `simulator` serving its API over HTTP on a free port of 127.0.0.1."""
    async with SimulatorServer(simulator) as server:
        yield server
