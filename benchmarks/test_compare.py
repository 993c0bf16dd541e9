"""Our integration's setup with latency on every answer: its first refreshes run concurrently.

Run it from the repository root, with `-s` to see the figures (`scripts/bench` gathers the table):

    .venv/min/bin/python -m pytest benchmarks/test_compare.py -s -p no:cacheprovider

The side by side with the `rest:` YAML of Joulo's guide (requests, writes, freshness) is measured
by the suite's own days in `tests/integration/test_daily_requests.py`, which record their rows for
the table (see `tests/integration/side_by_side.py`).

Setup: with 300 ms latency on every answer, the real time of the entry's setup (its first refreshes
run concurrently) against the same requests sent one after the other. This one runs on the real
clock: on a frozen one the simulator's latency would never pass.
"""

from __future__ import annotations

from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from pytest_homeassistant_custom_component.common import MockConfigEntry

from joulo_simulator import JouloSimulator
from tests.integration.common import (
    async_start_entry,
    async_stop_entry,
    real_time,
    set_up_entry,
)

from .table import BenchTable

LATENCY = 0.3
"""Seconds the simulator waits before each answer, in the setup benchmark."""


async def test_setup_with_latency(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    bench_table: BenchTable,
) -> None:
    """With 300 ms per answer, our concurrent first refreshes against the same requests in a row.

    A first set-up loads the platforms' modules, so the two timed set-ups after it are alike.
    """
    await set_up_entry(hass, mock_config_entry)
    await async_stop_entry(hass, mock_config_entry)
    bare = await _timed_start(hass, mock_config_entry)
    await async_stop_entry(hass, mock_config_entry)
    simulator.clear_requests()
    simulator.latency = LATENCY
    concurrent = await _timed_start(hass, mock_config_entry)
    setup_requests = list(simulator.requests)
    session = async_get_clientsession(hass)
    headers = {"Authorization": f"Bearer {mock_config_entry.data[CONF_API_TOKEN]}"}
    started = real_time()
    for request in setup_requests:
        url = mock_config_entry.data[CONF_URL] + request.endpoint
        async with session.get(url, params=request.query, headers=headers) as response:
            await response.read()
    in_a_row = real_time() - started
    ratio = in_a_row / concurrent
    latency = f"{LATENCY * 1000:.0f} ms"
    print(
        f"\nSet-up: {bare:.2f} s without latency; with {latency} per request"
        f" ({', '.join(r.endpoint for r in setup_requests)}) {concurrent:.2f} s;"
        f" the same requests one after the other {in_a_row:.2f} s, {ratio:.1f} times as long"
    )
    requests = f"{len(setup_requests)} requests, {latency} each"
    bench_table.add("Setup", "set-up without latency", f"{bare:.2f} s")
    bench_table.add(
        "Setup", f"set-up, first refreshes concurrent ({requests})", f"{concurrent:.2f} s"
    )
    bench_table.add("Setup", "the same requests one after the other", f"{in_a_row:.2f} s")
    bench_table.add("Setup", "one after the other / concurrent set-up", f"{ratio:.1f}")

    assert len(simulator.requests) == len(setup_requests) * 2


async def _timed_start(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Set the entry up again; return the real seconds it took."""
    started = real_time()
    await async_start_entry(hass, entry)
    return real_time() - started
