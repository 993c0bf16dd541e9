"""The price of each hour from the real recorder: a price entity's states, else its long-term statistics.

States are written on the frozen clock and statistics imported as Home Assistant's recorder tests do;
each test asks `async_hourly_prices` for some hours and counts the recorder's queries it ran.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
import logging
from typing import Any
from unittest.mock import MagicMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.history import state_changes_during_period
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy.exc import OperationalError

from custom_components.joulo import prices
from custom_components.joulo.prices import async_hourly_prices
from custom_components.joulo.pricing import PriceSource

PRICE = "sensor.electricity_price"
"""The price entity of every test."""
ENTITY = PriceSource(entity_id=PRICE)
HOUR = timedelta(hours=1)
DAY = datetime(2026, 4, 14, tzinfo=UTC)
"""Midnight of the day the tests record states on."""

type Queries = dict[str, MagicMock]

pytestmark = pytest.mark.usefixtures("quiet_database_log")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """The recorder's database must come before `hass`."""


@pytest.fixture(autouse=True)
def frozen_at_midnight(freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at `DAY`: the tests record states from there on."""
    freezer.move_to(DAY)


@pytest.fixture
def queries() -> Iterator[Queries]:
    """The recorder's three queries that prices are read with, each counted as it runs."""
    with (
        patch.object(
            prices, "state_changes_during_period", wraps=state_changes_during_period
        ) as history,
        patch.object(prices, "get_metadata", wraps=get_metadata) as metadata,
        patch.object(
            prices, "statistics_during_period", wraps=statistics_during_period
        ) as statistics,
    ):
        yield {"history": history, "metadata": metadata, "statistics": statistics}


def counted(queries: Queries) -> dict[str, int]:
    """How many times each query ran."""
    return {name: query.call_count for name, query in queries.items()}


def at(hour: int, minute: int = 0) -> datetime:
    """A moment of `DAY`."""
    return DAY + timedelta(hours=hour, minutes=minute)


async def record(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    states: list[tuple[datetime, str, str | None]],
) -> None:
    """Set the price entity to each (moment, state, unit) at that moment, and let the recorder write it."""
    for moment, state, unit in states:
        freezer.move_to(moment)
        hass.states.async_set(PRICE, state, {ATTR_UNIT_OF_MEASUREMENT: unit} if unit else {})
    await async_wait_recording_done(hass)


async def import_means(hass: HomeAssistant, means: Mapping[datetime, float], unit: str) -> None:
    """Give the price entity long-term statistics: these hourly means, in `unit`."""
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.ARITHMETIC,
        has_sum=False,
        name=None,
        source="recorder",
        statistic_id=PRICE,
        unit_class=None,
        unit_of_measurement=unit,
    )
    async_import_statistics(
        hass,
        metadata,
        [StatisticData(start=hour, mean=mean, min=mean, max=mean) for hour, mean in means.items()],
    )
    await async_wait_recording_done(hass)


def approx(expected: Mapping[datetime, float]) -> Any:
    """The same hours at the same prices, to float precision."""
    return pytest.approx(dict(expected))


async def test_a_fixed_price_holds_in_every_hour_without_the_recorder(hass: HomeAssistant) -> None:
    """Without the recorder a fixed price prices every hour; a price entity has none."""
    hours = [at(hour) for hour in range(24)]

    assert "recorder" not in hass.config.components
    assert await async_hourly_prices(hass, PriceSource(fixed_price=0.25), hours) == dict.fromkeys(
        hours, 0.25
    )
    assert await async_hourly_prices(hass, ENTITY, hours) == {}
    assert await async_hourly_prices(hass, PriceSource(), hours) == {}


async def test_a_fixed_price_reads_nothing_from_the_recorder(
    recorder_mock: Recorder, hass: HomeAssistant, queries: Queries
) -> None:
    """A fixed price needs no query, even with the recorder running; no hours need none either."""
    assert await async_hourly_prices(hass, PriceSource(fixed_price=0.0), [at(10)]) == {at(10): 0.0}
    assert await async_hourly_prices(hass, ENTITY, []) == {}
    assert counted(queries) == {"history": 0, "metadata": 0, "statistics": 0}


async def test_states_changing_inside_an_hour_are_weighted_by_time(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory, queries: Queries
) -> None:
    """The state in force at the hour's start counts from there; each state for as long as it lasted.

    10:00-10:15 at 0.20, 10:15-10:45 at 0.40, 10:45-11:30 at 0.10, then 0.30: 0.275 and 0.20. The
    history covers both hours, so the statistics are not read.
    """
    await record(
        hass,
        freezer,
        [
            (at(9, 50), "0.20", "EUR/kWh"),
            (at(10, 15), "0.40", "EUR/kWh"),
            (at(10, 45), "0.10", "EUR/kWh"),
            (at(11, 30), "0.30", "EUR/kWh"),
        ],
    )

    assert await async_hourly_prices(hass, ENTITY, {at(10), at(11)}) == approx(
        {at(10): 0.275, at(11): 0.20}
    )
    assert counted(queries) == {"history": 1, "metadata": 0, "statistics": 0}


async def test_a_price_that_changes_on_the_hour_prices_that_hour(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory, queries: Queries
) -> None:
    """Hourly prices change at the very start of an hour, the moment a read of that hour starts.

    The recorder's history leaves such a state out of a read that starts then; it must still count.
    """
    await record(hass, freezer, [(at(10), "0.20", "EUR/kWh"), (at(11), "0.40", "EUR/kWh")])

    assert await async_hourly_prices(hass, ENTITY, {at(10), at(11)}) == approx(
        {at(10): 0.20, at(11): 0.40}
    )
    assert counted(queries) == {"history": 1, "metadata": 0, "statistics": 0}


async def test_each_state_is_read_in_its_own_unit(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """250 EUR/MWh (0.25) for half an hour, 0.0003 EUR/Wh (0.30) after it: 0.275, then 0.30."""
    await record(
        hass,
        freezer,
        [(at(9, 50), "250", "EUR/MWh"), (at(10, 30), "0.0003", "EUR/Wh")],
    )

    assert await async_hourly_prices(hass, ENTITY, [at(10), at(11)]) == approx(
        {at(10): 0.275, at(11): 0.30}
    )


async def test_a_state_that_is_no_price_does_not_count(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Unavailable, text, or a number without a price unit: that time is left out of the mean.

    Known in hour 10: 15 minutes at 0.20 and 10 minutes at 0.40, so 0.28. Hour 11, unavailable
    throughout, has no price.
    """
    await record(
        hass,
        freezer,
        [
            (at(9, 50), "0.20", "EUR/kWh"),
            (at(10, 15), STATE_UNAVAILABLE, None),
            (at(10, 30), "cheap", "EUR/kWh"),
            (at(10, 40), "0.90", None),
            (at(10, 50), "0.40", "EUR/kWh"),
            (at(10, 59), "0.35", "kWh"),
            (at(11), STATE_UNAVAILABLE, None),
        ],
    )

    assert await async_hourly_prices(hass, ENTITY, [at(10), at(11)]) == approx(
        {at(10): (0.20 * 15 + 0.40 * 9) / 24}
    )


async def test_hours_older_than_the_history_are_priced_from_the_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory, queries: Queries
) -> None:
    """Hours before the first recorded state take the statistics' mean, in the statistics' unit.

    The history begins at 09:30, so it knows only half of hour 9: the statistics' whole hour wins.
    Hour 5 is in neither and has no price. One read of each kind, however many hours.
    """
    await import_means(hass, {at(6): 100.0, at(7): 150.0, at(8): 200.0, at(9): 250.0}, "EUR/MWh")
    await record(hass, freezer, [(at(9, 30), "0.40", "EUR/kWh")])

    assert await async_hourly_prices(hass, ENTITY, [at(hour) for hour in range(5, 11)]) == approx(
        {at(6): 0.10, at(7): 0.15, at(8): 0.20, at(9): 0.25, at(10): 0.40}
    )
    assert counted(queries) == {"history": 1, "metadata": 1, "statistics": 1}


async def test_an_hour_the_statistics_miss_keeps_what_the_history_knows(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A price entity first seen at 09:30 and without statistics yet: its half hour is its price."""
    await record(hass, freezer, [(at(9, 30), "0.40", "EUR/kWh")])

    assert await async_hourly_prices(hass, ENTITY, [at(8), at(9)]) == {at(9): 0.40}


async def test_statistics_in_a_unit_that_is_no_price_are_not_read(
    recorder_mock: Recorder, hass: HomeAssistant, queries: Queries
) -> None:
    """Statistics in kWh are no prices: their means are not even read."""
    await import_means(hass, {at(6): 0.25}, "kWh")

    assert await async_hourly_prices(hass, ENTITY, [at(6)]) == {}
    assert counted(queries) == {"history": 1, "metadata": 1, "statistics": 0}


async def test_an_entity_never_recorded_has_no_price(
    recorder_mock: Recorder, hass: HomeAssistant, queries: Queries
) -> None:
    """No states and no statistics: no price, and no read of means that are not there."""
    assert await async_hourly_prices(hass, ENTITY, [at(6), at(7)]) == {}
    assert counted(queries) == {"history": 1, "metadata": 1, "statistics": 0}


async def test_a_failed_history_read_leaves_the_statistics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    queries: Queries,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the states cannot be read, every hour is asked of the statistics; the error is logged."""
    await import_means(hass, {at(6): 0.10, at(10): 0.30}, "EUR/kWh")
    await record(hass, freezer, [(at(9, 50), "0.20", "EUR/kWh")])
    queries["history"].side_effect = OperationalError("SELECT", {}, Exception("disk I/O error"))
    caplog.set_level(logging.DEBUG, logger="custom_components.joulo")

    assert await async_hourly_prices(hass, ENTITY, [at(6), at(10)]) == {at(6): 0.10, at(10): 0.30}
    assert f"The recorder could not read the prices of {PRICE}" in caplog.text


async def test_a_failed_statistics_read_leaves_the_history(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    queries: Queries,
) -> None:
    """When the statistics cannot be read, the hours the history covers keep their price."""
    await import_means(hass, {at(6): 0.10}, "EUR/kWh")
    await record(hass, freezer, [(at(9, 50), "0.20", "EUR/kWh")])
    queries["statistics"].side_effect = OperationalError("SELECT", {}, Exception("database locked"))

    assert await async_hourly_prices(hass, ENTITY, [at(6), at(10)]) == {at(10): 0.20}


async def test_after_the_recorder_stopped_there_are_no_prices(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant stopping: the recorder takes no more reads, and the caller gets no error."""
    await record(hass, freezer, [(at(9, 50), "0.20", "EUR/kWh")])
    await hass.async_stop()

    assert await async_hourly_prices(hass, ENTITY, [at(10)]) == {}


SESSIONS = 1000
SESSION_HOURS = 3
HISTORY_DAYS = 3
HISTORY_START = DAY
"""Where the history of the year test begins; statistics hold the hours before it."""


def statistics_mean(hour: datetime) -> float:
    """The year test's statistics: a mean per hour of the day, in EUR/kWh."""
    return 0.10 + hour.hour / 100


def state_price(hour: datetime) -> float:
    """The year test's states: a price per hour of the day, unlike the statistics'."""
    return 0.50 + hour.hour / 100


async def test_a_year_of_sessions_is_priced_in_three_queries(
    recorder_mock: Recorder, hass: HomeAssistant, freezer: FrozenDateTimeFactory, queries: Queries
) -> None:
    """1,000 sessions over a year, three hours each: one history read, one metadata, one statistics.

    The last three days are in the history (a new price each hour), the rest only in the statistics.
    """
    history_end = HISTORY_START + timedelta(days=HISTORY_DAYS)
    first_start = history_end - timedelta(days=365)
    spacing = (history_end - SESSION_HOURS * HOUR - first_start) / SESSIONS
    hours = {
        (first_start + index * spacing).replace(minute=0, second=0, microsecond=0) + offset * HOUR
        for index in range(SESSIONS)
        for offset in range(SESSION_HOURS)
    }
    older = {hour for hour in hours if hour < HISTORY_START}
    await import_means(hass, {hour: statistics_mean(hour) for hour in older}, "EUR/kWh")
    recorded = [HISTORY_START + index * HOUR for index in range(HISTORY_DAYS * 24)]
    await record(hass, freezer, [(hour, f"{state_price(hour)}", "EUR/kWh") for hour in recorded])

    found = await async_hourly_prices(hass, ENTITY, hours)

    assert len(hours) == SESSIONS * SESSION_HOURS
    assert 0 < len(older) < len(hours)
    assert found == approx(
        {hour: statistics_mean(hour) if hour in older else state_price(hour) for hour in hours}
    )
    assert counted(queries) == {"history": 1, "metadata": 1, "statistics": 1}
