"""The Joulo integration: EV chargers, charging sessions and ERE credits from a Joulo account."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.const import CONF_API_TOKEN, CONF_URL, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv, device_registry as dr
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
from .entity import account_device_info, account_key, charger_device_info
from .services import async_setup_services

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

    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(account_key(entry))
    )
    _async_sync_devices(hass, entry)
    entry.async_on_unload(chargers.async_add_listener(lambda: _async_sync_devices(hass, entry)))

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    # Announce what happened while Home Assistant was not running, then follow both coordinators.
    announcer.async_process()
    entry.async_on_unload(chargers.async_add_listener(announcer.async_process))
    entry.async_on_unload(sessions.async_add_listener(announcer.async_process))
    entry.async_on_unload(announcer.async_save)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: JouloConfigEntry) -> bool:
    """Unload a Joulo account."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


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


@callback
def _async_sync_devices(hass: HomeAssistant, entry: JouloConfigEntry) -> None:
    """Keep charger devices in step with the account: rename changed ones, remove departed ones."""
    coordinator = entry.runtime_data.chargers
    if not coordinator.last_update_success:
        return
    registry = dr.async_get(hass)
    key = account_key(entry)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        charger_id = next((ident for domain, ident in device.identifiers if domain == DOMAIN), None)
        if charger_id is None or charger_id == key:
            continue
        if (charger := coordinator.data.get(charger_id)) is None:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
            continue
        info = charger_device_info(key, charger)
        if (device.name, device.manufacturer) != (info.get("name"), info.get("manufacturer")):
            registry.async_update_device(
                device.id, name=info.get("name"), manufacturer=info.get("manufacturer")
            )
