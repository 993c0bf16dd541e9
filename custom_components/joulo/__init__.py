"""The Joulo integration: EV chargers, charging sessions and ERE credits from a Joulo account."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.const import CONF_API_TOKEN, CONF_URL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .announcer import SessionAnnouncer
from .api import DEFAULT_BASE_URL, JouloClient, RateLimitGate
from .const import DOMAIN
from .coordinator import (
    JouloChargersCoordinator,
    JouloConfigEntry,
    JouloCoordinator,
    JouloEnergyCoordinator,
    JouloRuntimeData,
    JouloSessionsCoordinator,
)
from .devices import async_setup_devices
from .services import async_setup_services
from .statistics import async_remove_statistics_store, async_setup_statistics

PLATFORMS = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the Joulo actions, which work on any loaded Joulo account."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: JouloConfigEntry) -> bool:
    """Set up a Joulo account: first refreshes in parallel, then devices and platforms."""
    client = JouloClient(
        async_get_clientsession(hass),
        entry.data[CONF_API_TOKEN],
        base_url=entry.data.get(CONF_URL, DEFAULT_BASE_URL),
        gate=RateLimitGate(dt_util.utcnow),
    )
    energy = JouloEnergyCoordinator(hass, entry, client)
    sessions = JouloSessionsCoordinator(hass, entry, client, energy)
    chargers = JouloChargersCoordinator(hass, entry, client, sessions)
    announcer = SessionAnnouncer(hass, entry.entry_id, chargers, sessions)
    await announcer.async_load()
    await _async_first_refresh(chargers, sessions, energy)
    entry.runtime_data = JouloRuntimeData(
        client=client, chargers=chargers, sessions=sessions, energy=energy, announcer=announcer
    )

    async_setup_devices(hass, entry)

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    # Announce what happened while Home Assistant was not running, then follow both coordinators.
    entry.async_on_unload(announcer.async_start())
    entry.async_on_unload(chargers.async_add_listener(announcer.async_process))
    entry.async_on_unload(sessions.async_add_listener(announcer.async_process))
    entry.async_on_unload(announcer.async_save)
    # Completed sessions into long-term statistics (when the recorder runs): history once, then new ones.
    await async_setup_statistics(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: JouloConfigEntry) -> bool:
    """Unload a Joulo account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: JouloConfigEntry) -> None:
    """Forget the removed account's stored progress; its statistics stay as history."""
    await async_remove_statistics_store(hass, entry.entry_id)


async def _async_first_refresh(*coordinators: JouloCoordinator[Any]) -> None:
    """Run the first refreshes concurrently; a refused token wins over any other failure."""
    results = await asyncio.gather(
        *(coordinator.async_config_entry_first_refresh() for coordinator in coordinators),
        return_exceptions=True,
    )
    errors = [result for result in results if isinstance(result, BaseException)]
    for error in errors:
        if isinstance(error, ConfigEntryAuthFailed):
            raise error
    if errors:
        raise errors[0]
