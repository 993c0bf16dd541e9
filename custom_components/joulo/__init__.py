"""The Joulo integration: EV chargers, charging sessions and ERE credits from a Joulo account."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.const import CONF_API_TOKEN, CONF_URL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .announcer import SessionAnnouncer
from .api import DEFAULT_BASE_URL, JouloClient, RateLimitGate
from .const import DOMAIN
from .coordinator import (
    FinishedSessions,
    JouloChargersCoordinator,
    JouloConfigEntry,
    JouloCoordinator,
    JouloEnergyCoordinator,
    JouloRuntimeData,
    JouloSessionsCoordinator,
)
from .devices import ChargerDevices, async_registered_chargers
from .issues import NoMidMeterIssues
from .pipeline import RefreshPipeline, async_read_vehicles
from .pricing import price_source
from .readings import SessionReadings
from .services import async_setup_services
from .session_costs import SessionCosts
from .statistics import async_setup_statistics
from .storage import async_remove_entry_stores
from .tag_issues import UnknownTagIssues

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

RATE_LIMIT_GATES: HassKey[dict[str, RateLimitGate]] = HassKey(f"{DOMAIN}_rate_limit_gates")
"""Each entry's rate-limit gate, kept across reloads and setup retries: a 429 outlives a setup."""


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the Joulo actions, which work on any loaded Joulo account."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: JouloConfigEntry) -> bool:
    """Set up a Joulo account: first refreshes in parallel, then devices, platforms and pipeline."""
    gates = hass.data.setdefault(RATE_LIMIT_GATES, {})
    gate = gates.setdefault(entry.entry_id, RateLimitGate(dt_util.utcnow))
    client = JouloClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_TOKEN],
        base_url=entry.data.get(CONF_URL, DEFAULT_BASE_URL),
        gate=gate,
    )
    finished = FinishedSessions()
    chargers = JouloChargersCoordinator(hass, entry, client, finished)
    chargers.registered = async_registered_chargers(hass, entry)
    sessions = JouloSessionsCoordinator(hass, entry, client, finished)
    energy = JouloEnergyCoordinator(hass, entry, client)
    await _async_first_refresh(gate, chargers, sessions, energy)
    entry.runtime_data = runtime = JouloRuntimeData(
        client=client, chargers=chargers, sessions=sessions, energy=energy, finished=finished
    )
    await _async_setup_costs(hass, entry)

    devices = ChargerDevices(hass, entry)
    devices.async_sync()
    async_read_vehicles(entry, devices)
    announcer = SessionAnnouncer(
        hass,
        entry.entry_id,
        chargers,
        sessions,
        devices,
        price=lambda: runtime.ere_price,
        costs=runtime.costs,
    )
    await announcer.async_load()
    entry.async_on_unload(announcer.async_save)

    # Completed sessions into long-term statistics (when the recorder runs): history once, then new
    # ones. Loaded before the platforms, which show what chargers without MID missed this year.
    statistics = (
        await async_setup_statistics(hass, entry, runtime.readings)
        if runtime.readings is not None
        else None
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    issues = None
    if statistics is not None:  # what chargers without MID missed comes from the session history
        issues = NoMidMeterIssues(hass, entry)
        entry.async_on_unload(issues.async_clear)
    tag_issues = UnknownTagIssues(hass, entry)
    entry.async_on_unload(tag_issues.async_clear)
    pipeline = RefreshPipeline(
        hass, entry, devices, announcer, statistics=statistics, issues=issues, tag_issues=tag_issues
    )
    entry.async_on_unload(pipeline.async_start())
    # Announce what happened while Home Assistant was not running (once it has started).
    entry.async_on_unload(announcer.async_start())
    set_up_with = (dict(entry.data), dict(entry.options))
    entry.async_on_unload(
        entry.add_update_listener(partial(_async_entry_updated, set_up_with, pipeline))
    )
    return True


async def _async_setup_costs(hass: HomeAssistant, entry: JouloConfigEntry) -> None:
    """Keep completed sessions for the month figures, priced with a price source in the options.

    Running sessions' readings are kept when their hours are needed: by the statistics (with the
    recorder) and by the costs (with a price source).
    """
    runtime = entry.runtime_data
    source = price_source(entry.options)
    if source is not None or "recorder" in hass.config.components:
        runtime.readings = readings = SessionReadings(hass, entry.entry_id)
        await readings.async_load()
        entry.async_on_unload(readings.async_stop)
    runtime.costs = costs = SessionCosts(
        hass,
        entry,
        source,
        runtime.readings,
        impossible=runtime.impossible_sessions,
        ere_of=runtime.ere_of,
    )
    await costs.async_load()
    entry.async_on_unload(costs.async_stop)


async def _async_entry_updated(
    set_up_with: tuple[Mapping[str, Any], Mapping[str, Any]],
    pipeline: RefreshPipeline,
    hass: HomeAssistant,
    entry: JouloConfigEntry,
) -> None:
    """Follow a change of the loaded entry: new data or options reload it; vehicles change in place.

    Home Assistant removes the device and entities of a removed vehicle itself.
    """
    if (entry.data, entry.options) != set_up_with:
        hass.config_entries.async_schedule_reload(entry.entry_id)
    else:
        pipeline.async_vehicles_changed()


async def async_unload_entry(hass: HomeAssistant, entry: JouloConfigEntry) -> bool:
    """Unload a Joulo account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: JouloConfigEntry) -> None:
    """Forget the removed account's stores and gate; its statistics stay as history."""
    hass.data.get(RATE_LIMIT_GATES, {}).pop(entry.entry_id, None)
    await async_remove_entry_stores(hass, entry.entry_id)


async def _async_first_refresh(gate: RateLimitGate, *coordinators: JouloCoordinator[Any]) -> None:
    """Run the first refreshes concurrently; a refused token wins over any other failure.

    While the rate-limit gate is closed nothing is sent, and the setup is retried once it opens.
    """
    if (until := gate.closed_until) is not None:
        raise _rate_limited(until)
    results = await asyncio.gather(
        *(coordinator.async_config_entry_first_refresh() for coordinator in coordinators),
        return_exceptions=True,
    )
    errors = [result for result in results if isinstance(result, BaseException)]
    for error in errors:
        if isinstance(error, ConfigEntryAuthFailed):
            raise error
    if errors and (until := gate.closed_until) is not None:
        raise _rate_limited(until) from errors[0]
    if errors:
        raise errors[0]


def _rate_limited(until: datetime) -> ConfigEntryNotReady:
    seconds = max(0.0, (until - dt_util.utcnow()).total_seconds())
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key="rate_limited",
        translation_placeholders={"retry_after": f"{seconds:.0f}"},
    )
