"""The soak in the table: seven simulated days with random faults, an outage and two restarts.

Runs the suite's soak (`tests/integration/soak.py`; `tests/integration/test_soak.py` asserts on it)
once and adds its figures to the "Soak" section: sessions announced against sessions that ended,
ERROR records with a traceback, per simulated day the unavailable writes, ERROR records and retries,
the longest time charger entities showed data older than a minute, requests against the budget of
the cadences, the faults served, the restarts, and the real time it took. A day at 5% random server
errors (nothing else failing) adds what a user would see of them. With `-s` they are printed too.
"""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import CHARGERS_RIDE_OUT
from joulo_simulator import FaultKind, JouloSimulator
from tests.integration.common import real_time, record_unavailable_writes, simulate
from tests.integration.soak import COORDINATORS, DOWNTIME, OUTAGE, SEED, SoakRun, run_soak

from .table import BenchTable

pytestmark = [
    pytest.mark.usefixtures("frozen_time"),
    pytest.mark.upstream_sync,
    pytest.mark.autopilot,
]

SECTION = "Soak"
DAY = timedelta(days=1)


def add_rows(table: BenchTable, run: SoakRun, seconds: float) -> None:
    """Add the soak's rows to the table."""
    days, rest = divmod(run.duration, DAY)
    table.add(SECTION, "Simulated time", f"{days} days {rest.total_seconds() / 3600:.1f} h")
    ended = len(run.sessions.ended_ids())
    table.add(
        SECTION,
        "Sessions announced as ended, of the sessions that ended",
        f"{ended} of {len(run.ended)}",
        goal="equal, each once",
        met=run.ended_announced_once,
    )
    table.add(
        SECTION,
        "ERROR records with a traceback",
        f"{len(run.tracebacks)} ({run.errors} ERROR records in all,"
        f' {run.fetch_failures} of them a coordinator\'s "Error fetching" line)',
        goal="0",
        met=not run.tracebacks,
    )
    add_steadiness_rows(table, run)
    budget = run.budget
    for endpoint, allowed in budget.items():
        sent = run.per_endpoint[endpoint]
        table.add(
            SECTION,
            f"Requests to {endpoint}, of the budget",
            f"{sent:,} of {allowed:,}",
            goal="at most the budget",
            met=sent <= allowed,
        )
    table.add(
        SECTION,
        "Requests sent while the rate-limit gate was closed",
        f"{len(run.sent_while_gated)} ({run.held_back} held back)",
        goal="0",
        met=not run.sent_while_gated,
    )
    hits = run.faults.hits
    table.add(
        SECTION,
        "Faults served",
        f"{hits[FaultKind.HTTP_ERROR]} 5xx, {hits[FaultKind.HANG]} hangs"
        f" ({run.timed_out} client timeouts),"
        f" {hits[FaultKind.RATE_LIMITED]} 429s; {run.outage_errors} 503s"
        f" in a {OUTAGE.total_seconds() / 60:.0f}-minute outage",
    )
    table.add(
        SECTION,
        "The outage in the log",
        "; ".join(f"{name}: {', '.join(run.outage_lines(name)) or '-'}" for name in COORDINATORS),
        goal="down once, back once",
        met=run.outage_logged_once,
    )
    retries = run.setups - 1 - len(run.restarts)
    table.add(
        SECTION,
        "Home Assistant restarts",
        f"{len(run.restarts)}, each down {DOWNTIME.total_seconds() / 60:.0f} minutes;"
        f" setups retried after a fault: {retries}",
    )
    table.add(SECTION, "Real time", f"{seconds:.0f} s")


def add_steadiness_rows(table: BenchTable, run: SoakRun) -> None:
    """Add the rows of what the faults showed a user: unavailable states, errors, stale data."""
    unavailable = len(run.unavailable_writes)
    unexplained = len(run.unexplained_unavailable_writes)
    table.add(
        SECTION,
        "Unavailable writes per simulated day",
        f"{unavailable / run.days:.1f} ({unavailable} in all, {unexplained} of them outside the"
        " outage and the restarts)",
        goal="0 outside the outage and the restarts",
        met=not unexplained,
    )
    outside = [
        at
        for at, _, state in run.fetch_log
        if state == "down" and not run.outage.start <= at < run.outage.end
    ]
    table.add(
        SECTION,
        "ERROR records per simulated day",
        f"{run.errors / run.days:.1f} ({run.errors} in all, {len(outside)} of them outside the"
        " outage)",
        goal="only the outage's own lines",
        met=not outside and run.errors == run.fetch_failures,
    )
    failed = run.failed_requests.total()
    table.add(
        SECTION,
        "Retries sent per simulated day",
        f"{run.retries / run.days:.0f} ({run.retries} in all, after {failed} failed requests)",
        goal="at most one per failed request",
        met=run.retries <= failed,
    )
    table.add(
        SECTION,
        "Longest time charger entities showed data older than a minute",
        f"{run.longest_stale.total_seconds() / 60:.0f} min",
        goal="at most 5 min",
        met=run.longest_stale <= CHARGERS_RIDE_OUT,
    )


async def test_soak(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    bench_table: BenchTable,
) -> None:
    """Run the soak once and add its figures to the table."""
    started = real_time()
    run = await run_soak(hass, freezer, simulator, mock_config_entry, caplog)
    seconds = real_time() - started
    add_rows(bench_table, run, seconds)
    print(f"\n{SECTION}")
    for row in bench_table.rows:
        if row.section == SECTION:
            print(f"  {row.figure}: {row.ours}" + (f" (goal: {row.goal})" if row.goal else ""))


async def test_a_day_of_server_errors(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    bench_table: BenchTable,
) -> None:
    """A day in which 5% of the requests answer a random 5xx: what reads unavailable, what is logged."""
    caplog.set_level(logging.INFO, logger="custom_components.joulo")
    faults = simulator.faults.add_random({FaultKind.HTTP_ERROR: 0.05}, seed=SEED)
    unavailable = record_unavailable_writes(hass)

    await simulate(hass, freezer, simulator, mock_config_entry, name="server errors", duration=DAY)

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    retries = mock_config_entry.runtime_data.client.retries
    failed = faults.hits[FaultKind.HTTP_ERROR]
    bench_table.add(
        SECTION,
        "A day at 5% random 5xx: unavailable writes / ERROR records / retries",
        f"{len(unavailable)} / {len(errors)} / {retries} (after {failed} failed requests)",
        goal="0 / 0 / at most one per failed request",
        met=not unavailable and not errors and retries <= failed,
    )
    print(f"\n{SECTION}: a day at 5% random 5xx: {bench_table.rows[-1].ours}")
