"""A day at 5% random server errors (nothing else failing): a user sees nothing of them.

Adds one row to the "Soak" section of the table; the soak itself (`tests/integration/soak.py`) runs
in the suite, whose `tests/integration/test_soak.py` records its rows. With `-s` it is printed too.
"""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from joulo_simulator import FaultKind, JouloSimulator
from tests.integration.common import record_unavailable_writes, simulate
from tests.integration.soak import SEED, SOAK_SECTION

from .table import BenchTable

pytestmark = [
    pytest.mark.usefixtures("frozen_time"),
    pytest.mark.upstream_sync,
    pytest.mark.autopilot,
]

DAY = timedelta(days=1)


async def test_a_day_of_server_errors(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    bench_table: BenchTable,
) -> None:
    """A day in which 5% of the requests answer a random 5xx: nothing unavailable, no ERROR record.

    Each failed request is tried once more (a retry is not tried again), which the row counts.
    """
    caplog.set_level(logging.INFO, logger="custom_components.joulo")
    faults = simulator.faults.add_random({FaultKind.HTTP_ERROR: 0.05}, seed=SEED)
    unavailable = record_unavailable_writes(hass)

    await simulate(hass, freezer, simulator, mock_config_entry, name="server errors", duration=DAY)

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    retries = mock_config_entry.runtime_data.retries
    failed = faults.hits[FaultKind.HTTP_ERROR]
    bench_table.add(
        SOAK_SECTION,
        "A day at 5% random 5xx: unavailable writes / ERROR records / retries",
        f"{len(unavailable)} / {len(errors)} / {retries} (after {failed} failed requests)",
        goal="0 / 0 / at most one per failed request",
        met=not unavailable and not errors and retries <= failed,
    )
    print(f"\n{SOAK_SECTION}: a day at 5% random 5xx: {bench_table.rows[-1].ours}")

    # Nothing reads unavailable and nothing is logged: each failed poll is read once more a few
    # seconds later, and a poll whose retry fails too is ridden out. Seeded, so the same on every
    # run: 84 failed requests, 78 of them retried (the other six were retries themselves).
    assert unavailable == []
    assert [record.getMessage() for record in errors] == []
    assert (retries, failed) == (78, 84)
