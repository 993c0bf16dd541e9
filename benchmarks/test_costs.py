"""What pricing sessions at a price entity costs the recorder: a year of history, then a running session.

Run it from the repository root, with `-s` to see the figures (`scripts/bench` gathers the table):

    .venv/min/bin/python -m pytest benchmarks/test_costs.py -s -p no:cacheprovider

The account is the simulator's default one, given the chargers and the year of history of `MORE_ACCOUNTS`
more accounts that the simulator builds the same way (seeded: every run is the same account). The
price entity `sensor.electricity_price` (EUR/kWh, `state_class: measurement`) has a state from now on
and a year of hourly long-term statistics before it, imported as the recorder's own (a mean per hour);
the entry's options name it. With the recorder running, the entry is set up and Home Assistant's
frozen clock moves on a page of the session history at a time (`PAGE_DELAY`) until every completed
session of the history has a cost. Measured from the setup on: real seconds, the recorder's queries
that pricing ran (history, statistic metadata, statistics: the recorder functions `prices` calls,
each counted as it runs), in how many batches (calls of `async_hourly_prices`, one recorder job
each), the `/sessions` requests, the sessions priced and how many of them have a known cost.

Then a session runs on the OCPP charger (polled every minute) for an hour of chargers polls: its
readings are taken and thinned on every poll, and pricing reads nothing from the recorder. The
readings kept for it and the size of the readings store are those Home Assistant writes when the
entry unloads.

Asserted are the deterministic figures: every session of the history priced, each with a known cost
(the statistics cover the year); the queries, three a batch (every hour priced is older than the
price entity's history) in two batches (the sessions poll's first page at setup, then the rest of
the history once it is read); one `/sessions` request a page of `MAX_SESSIONS_LIMIT`; no query in
the hour of polls, and readings thinned to about one per `READING_SPACING`. Times are printed, never
asserted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.json import prepare_save_json
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.joulo.api import MAX_SESSIONS_LIMIT
from custom_components.joulo.const import DOMAIN
from custom_components.joulo.curve import READING_SPACING
from custom_components.joulo.prices import async_hourly_prices
from custom_components.joulo.pricing import CONF_PRICE_ENTITY
from custom_components.joulo.statistics import PAGE_DELAY
from custom_components.joulo.storage import EntryStore
from joulo_simulator import DRIVEWAY_ID, JouloSimulator
from tests.integration.common import (
    ONE_POLL,
    advance_time,
    async_stop_entry,
    real_time,
    set_up_entry,
    start_session_and_poll,
)
from tests.integration.conftest import quiet_database_log  # noqa: F401
from tests.integration.test_prices import (  # noqa: F401
    PRICE,
    Queries,
    auto_enable_custom_integrations,
    counted,
    import_means,
    statistics_mean,
)

from .table import BenchTable

pytestmark = [
    pytest.mark.usefixtures("frozen_time", "quiet_database_log"),
    pytest.mark.upstream_sync,
]

MORE_ACCOUNTS = 2
"""Accounts whose chargers and history the default account takes: over 1,000 sessions in all."""
MIN_SESSIONS = 1000
YEAR = timedelta(days=366)
"""The hours the price statistics cover, up to now: the history's year, and a day to spare."""
HOUR = timedelta(hours=1)
MAX_PRICING_TIME = timedelta(minutes=10)
"""Simulated time the history may take to be read and priced."""
QUERIES_PER_BATCH = 3
BATCHES = 2
"""The first page of sessions, priced at setup; then the rest of the history, once it is read."""
POLLS = 60
"""Chargers polls a session runs for: an hour."""


def absorb_accounts(simulator: JouloSimulator, count: int) -> None:
    """Give the default account the chargers and history of `count` more accounts (then left empty)."""
    account = simulator.account()
    for _ in range(count):
        other = simulator.add_account()
        account.chargers.update(other.chargers)
        account.sessions.extend(other.sessions)
        other.chargers.clear()
        other.sessions.clear()


async def give_a_year_of_prices(hass: HomeAssistant) -> None:
    """The price entity: its state from now on, and a year of hourly statistics up to now."""
    now = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    hours = [now - index * HOUR for index in range(1, int(YEAR / HOUR) + 1)]
    await import_means(hass, {hour: statistics_mean(hour) for hour in hours}, "EUR/kWh")
    hass.states.async_set(
        PRICE,
        "0.25",
        {ATTR_UNIT_OF_MEASUREMENT: "EUR/kWh", ATTR_STATE_CLASS: SensorStateClass.MEASUREMENT},
    )
    await async_wait_recording_done(hass)


@pytest.fixture
def batches() -> Iterator[AsyncMock]:
    """The price reads pricing asks for (one recorder job each), counted as they run."""
    with patch(
        "custom_components.joulo.session_costs.async_hourly_prices", wraps=async_hourly_prices
    ) as read:
        yield read


@dataclass(frozen=True)
class YearPriced:
    """What pricing the year of history cost."""

    chargers: int
    sessions: int
    priced: int
    known: int
    queries: dict[str, int]
    batches: int
    hours: int
    """The hours asked for, in all batches."""
    sessions_requests: int
    seconds: float
    simulated: timedelta

    @property
    def query_count(self) -> int:
        """Every recorder query."""
        return sum(self.queries.values())


@dataclass(frozen=True)
class HourOfPolls:
    """What an hour of chargers polls with a session running cost."""

    chargers_requests: int
    queries: int
    readings: int
    store_bytes: int


def report(year: YearPriced, hour: HourOfPolls) -> None:
    """Print both as one small table."""
    queries = " / ".join(f"{count} {name}" for name, count in year.queries.items())
    print(
        f"\n| {year.sessions:,} sessions of a year, {year.chargers} chargers, price entity | |"
        "\n|---|---|"
        f"\n| sessions priced / with a known cost | {year.priced:,} / {year.known:,} |"
        f"\n| recorder queries | {year.query_count} ({queries}) in {year.batches} batches"
        f" ({year.hours:,} hours) |"
        f"\n| `/sessions` requests | {year.sessions_requests} |"
        f"\n| real time from setup until priced | {year.seconds:.1f} s"
        f" ({year.simulated.total_seconds():.0f} s simulated) |"
        f"\n| **a session running, {POLLS} chargers polls** | |"
        f"\n| `/chargers` requests / recorder queries by pricing"
        f" | {hour.chargers_requests} / {hour.queries} |"
        f"\n| readings kept for the session / readings store | {hour.readings}"
        f" / {hour.store_bytes:,} bytes |"
    )


def add_rows(bench_table: BenchTable, year: YearPriced, hour: HourOfPolls) -> None:
    """Add the figures to the run's table."""
    history = f"{year.sessions:,} sessions of a year, {year.chargers} chargers, price entity"
    bench_table.add(
        "Costs",
        f"{history}: sessions priced / with a known cost",
        f"{year.priced:,} / {year.known:,}",
        goal="all / all",
        met=year.priced == year.known == year.sessions,
    )
    bench_table.add(
        "Costs",
        f"{history}: recorder queries (history, metadata, statistics) in batches",
        f"{year.query_count} ({' / '.join(map(str, year.queries.values()))})"
        f" in {year.batches} batches",
        goal=f"≤ {QUERIES_PER_BATCH} per batch",
        met=year.query_count <= QUERIES_PER_BATCH * year.batches,
    )
    bench_table.add(
        "Costs",
        f"{history}: /sessions requests (pages of {MAX_SESSIONS_LIMIT})",
        year.sessions_requests,
    )
    bench_table.add(
        "Costs",
        f"{history}: real time from setup until every session is priced",
        f"{year.seconds:.1f} s ({year.simulated.total_seconds():.0f} s simulated)",
    )
    bench_table.add(
        "Costs",
        f"A session running, an hour of chargers polls ({hour.chargers_requests}):"
        " recorder queries by pricing",
        hour.queries,
        goal="0",
        met=hour.queries == 0,
    )
    bench_table.add(
        "Costs",
        "A session running for an hour: readings kept / readings store",
        f"{hour.readings} / {hour.store_bytes:,} bytes",
    )


async def test_pricing_a_year_then_an_hour_of_polls(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    queries: Queries,
    batches: AsyncMock,
    hass_storage: dict[str, Any],
    bench_table: BenchTable,
) -> None:
    """A year of sessions priced in two batches of three queries; a running session's polls, none."""
    absorb_accounts(simulator, MORE_ACCOUNTS)
    account = simulator.account()
    history = simulator.completed_sessions(account, simulator.now())
    assert len(history) >= MIN_SESSIONS
    await give_a_year_of_prices(hass)
    entry = MockConfigEntry(
        domain=mock_config_entry.domain,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=mock_config_entry.data,
        options={CONF_PRICE_ENTITY: PRICE},
    )
    simulator.clear_requests()

    started, simulated_from = real_time(), dt_util.utcnow()
    await set_up_entry(hass, entry)
    costs = entry.runtime_data.costs
    assert costs is not None
    while any(costs.of(session.id) is None for session in history):
        assert dt_util.utcnow() - simulated_from < MAX_PRICING_TIME, "the history was not priced"
        await advance_time(hass, freezer, timedelta(seconds=PAGE_DELAY))
    priced = [cost for session in history if (cost := costs.of(session.id)) is not None]
    year = YearPriced(
        chargers=len(account.chargers),
        sessions=len(history),
        priced=len(priced),
        known=sum(cost.cost.cost_eur is not None for cost in priced),
        queries=counted(queries),
        batches=batches.call_count,
        hours=sum(len(call.args[2]) for call in batches.call_args_list),
        sessions_requests=simulator.request_count("/sessions"),
        seconds=real_time() - started,
        simulated=dt_util.utcnow() - simulated_from,
    )

    session = await start_session_and_poll(hass, freezer, simulator, DRIVEWAY_ID)
    simulator.clear_requests()
    before = year.query_count
    await advance_time(hass, freezer, POLLS * ONE_POLL, step=ONE_POLL)
    chargers_requests = simulator.request_count("/chargers")
    polled_queries = sum(counted(queries).values()) - before
    await async_stop_entry(hass, entry)
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.{EntryStore.READINGS}"]
    hour = HourOfPolls(
        chargers_requests=chargers_requests,
        queries=polled_queries,
        readings=len(stored["data"]["sessions"][session.id]),
        store_bytes=len(prepare_save_json(stored)[1]),
    )
    report(year, hour)
    add_rows(bench_table, year, hour)

    assert year.priced == year.known == year.sessions
    assert year.batches == BATCHES
    assert year.queries == dict.fromkeys(("history", "metadata", "statistics"), BATCHES)
    assert year.sessions_requests == year.sessions // MAX_SESSIONS_LIMIT + 1
    assert hour.chargers_requests == POLLS
    assert hour.queries == 0
    running = POLLS * ONE_POLL + timedelta(minutes=2)
    assert 0 < hour.readings <= running / READING_SPACING + 2
