"""The test suite's fixtures, for the benchmarks: imported by name, not copied.

pytest reads `pytest_plugins` only in the root conftest (there is none: `tests/conftest.py` is one level
down), and the benchmarks must not change what `scripts/test` collects. A fixture imported into a
conftest is registered there like one defined in it, so these are the suite's own fixtures, visible to
every module in `benchmarks/`: the simulator on Home Assistant's clock and its server, the frozen start,
the default account's config entry, the autouse fixtures that let Home Assistant load the
integration and fail a run on any deprecated path, and the recorder's queries that prices are read
with, counted (for the benchmark that runs the recorder). Importing `tests.conftest` first also puts
our `custom_components` ahead of the test plugin's, as in the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
import logging

import pytest

from tests.conftest import simulator_server  # noqa: F401  # isort: skip
from tests.integration.conftest import (  # noqa: F401
    auto_enable_custom_integrations,
    autopilot,
    frozen_time,
    mock_config_entry,
    no_deprecated_paths,
    simulator,
    upstream_sync,
)
from tests.integration.test_prices import queries  # noqa: F401

from .table import BenchTable


@pytest.fixture(autouse=True)
def quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Keep the figures readable with `-s`: no INFO lines (one per entity), no expected warnings.

    The test plugin logs at INFO; the loader warns of every custom integration; asyncio's debug mode
    (on with the newest plugin) warns of a step that "took 60 seconds" whenever the frozen clock moves.
    """
    caplog.set_level(logging.WARNING)
    for logger in ("asyncio", "homeassistant.loader"):
        caplog.set_level(logging.ERROR, logger=logger)


_TABLE = BenchTable()


@pytest.fixture(scope="session")
def bench_table() -> Iterator[BenchTable]:
    """The run's table: benchmarks add rows, and it is written out when the run ends."""
    yield _TABLE
    _TABLE.write()
