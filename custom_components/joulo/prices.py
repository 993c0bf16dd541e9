"""The price of each hour, from the entry's price source: Home Assistant's edge of pricing.

A fixed price holds in every hour. A price entity's price in an hour is the time-weighted mean of its
states in that hour from the recorder's history (`cost.time_weighted_hourly_means`), each state read
in its own unit; for the hours the history no longer holds (it is purged after some days), the hourly
mean of the entity's long-term statistics, in their unit. An hour with neither has no price.

The recorder is read in one job on its executor, with a bounded number of queries however many hours
are asked: `read_history` (one query), then, only when some hours start before the history does,
`read_statistics` (the statistic's metadata, and its hourly means when it is a price). A benchmark
counts the recorder's reads by wrapping those two functions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.components.recorder.history import state_changes_during_period
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.recorder import get_instance

from .const import LOGGER
from .cost import HOUR, time_weighted_hourly_means
from .pricing import PriceSource, price_per_kwh, price_unit_factor

_READ_EARLY = timedelta(seconds=1)


async def async_hourly_prices(
    hass: HomeAssistant, source: PriceSource, hours: Collection[datetime]
) -> dict[datetime, float]:
    """EUR/kWh per UTC hour start in `hours` that has a price; hours without one are left out.

    A fixed price needs no recorder. A price entity's prices are what the recorder knows: nothing
    without the recorder, and what could be read when a read fails (logged at debug); it never raises.
    """
    if source.entity_id is None:
        return {} if source.fixed_price is None else dict.fromkeys(hours, source.fixed_price)
    if not hours:
        return {}
    if "recorder" not in hass.config.components:
        LOGGER.debug("No prices of %s: the recorder is not loaded", source.entity_id)
        return {}
    try:
        return await get_instance(hass).async_add_executor_job(
            _recorded_prices, hass, source.entity_id, sorted(set(hours))
        )
    except RuntimeError:
        # The recorder's executor takes no more jobs once it has stopped: Home Assistant is stopping.
        LOGGER.debug("No prices of %s: the recorder has stopped", source.entity_id, exc_info=True)
        return {}


def read_history(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[State]:
    """The recorded states of `entity_id` over [start, end), oldest first: one query.

    The state in force at `start` comes first, when the recorder still holds it. The recorder
    leaves out a state written at the very moment a read starts (it is neither a change after the
    start nor the state before it), and prices change on the hour: the read starts a moment early.
    """
    return state_changes_during_period(
        hass, start - _READ_EARLY, end, entity_id, include_start_time_state=True
    ).get(entity_id, [])


def read_statistics(
    hass: HomeAssistant, statistic_id: str, start: datetime, end: datetime
) -> dict[datetime, float]:
    """The hourly means (EUR/kWh) of a statistic over [start, end), per hour start.

    Two queries: its metadata, for its unit, then its hourly means, read only when that unit is a
    price unit.
    """
    metadata = get_metadata(hass, statistic_ids={statistic_id}).get(statistic_id)
    if metadata is None:
        return {}
    unit = metadata[1]["unit_of_measurement"]
    if price_unit_factor(unit) is None:
        return {}
    rows = statistics_during_period(hass, start, end, {statistic_id}, "hour", None, {"mean"}).get(
        statistic_id, []
    )
    means = {
        datetime.fromtimestamp(row["start"], UTC): price_per_kwh(row.get("mean"), unit)
        for row in rows
    }
    return {hour: mean for hour, mean in means.items() if mean is not None}


def _recorded_prices(
    hass: HomeAssistant, entity_id: str, hours: list[datetime]
) -> dict[datetime, float]:
    """The prices of `hours` (sorted) that the recorder knows; run in the recorder's executor.

    The history prices the hours it covers. An hour that starts before the history's first state
    (or the hours of an entity without history) is priced from the statistics when they have it: the
    history knows only part of such an hour, the statistics all of it.
    """
    states = _read_or_none(read_history, hass, entity_id, hours[0], hours[-1] + HOUR) or []
    prices = time_weighted_hourly_means(
        [
            (
                state.last_updated,
                price_per_kwh(state.state, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)),
            )
            for state in states
        ],
        hours,
    )
    before_history = [hour for hour in hours if not states or hour < states[0].last_updated]
    if before_history:
        statistics = (
            _read_or_none(
                read_statistics, hass, entity_id, before_history[0], before_history[-1] + HOUR
            )
            or {}
        )
        prices |= {hour: statistics[hour] for hour in before_history if hour in statistics}
    return prices


def _read_or_none[T](
    read: Callable[..., T], hass: HomeAssistant, entity_id: str, *args: Any
) -> T | None:
    """What `read` returns, or None when the recorder fails it: a price is never worth an error."""
    try:
        return read(hass, entity_id, *args)
    except Exception:  # noqa: BLE001 - whatever the database raises, the prices read so far stand
        LOGGER.debug("The recorder could not read the prices of %s", entity_id, exc_info=True)
        return None
