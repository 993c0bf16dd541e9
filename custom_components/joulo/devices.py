"""The device registry side of the integration: the account's service device and one per charger.

Devices are registered here, not through entities' device info, so that every charger device is linked
to the account's device by registry id (Home Assistant deprecates linking by identifiers) and is renamed
or removed as the account changes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .api import Charger, ConnectionType
from .const import ACCOUNT_DEVICE_NAME, DOMAIN, MANUFACTURER
from .coordinator import JouloConfigEntry

MANUFACTURERS: dict[str, str] = {
    ConnectionType.EASEE: "Easee",
    ConnectionType.WALLBOX: "Wallbox",
    ConnectionType.ZAPTEC: "Zaptec",
    ConnectionType.ENPHASE: "Enphase",
    ConnectionType.OCPP: "OCPP",
    ConnectionType.SMAPPEE: "Smappee",
    ConnectionType.V2C: "V2C",
}


def account_key(entry: ConfigEntry[Any]) -> str:
    """Return what identifies the account in unique ids: its Joulo id, else the entry's id."""
    return entry.unique_id or entry.entry_id


@callback
def async_setup_devices(hass: HomeAssistant, entry: JouloConfigEntry) -> None:
    """Register the account's device and the chargers', and keep them in step with the account."""
    account_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, account_key(entry))},
        name=ACCOUNT_DEVICE_NAME,
        manufacturer=MANUFACTURER,
        entry_type=dr.DeviceEntryType.SERVICE,
        configuration_url="https://joulo.nl",
    )
    sync = partial(_async_sync_chargers, hass, entry, account_device.id)
    sync()
    entry.async_on_unload(entry.runtime_data.chargers.async_add_listener(sync))


@callback
def async_charger_device(
    hass: HomeAssistant, entry_id: str, charger_id: str
) -> dr.DeviceEntry | None:
    """Return the device of a charger of the config entry `entry_id`."""
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
            if (DOMAIN, charger_id) in device.identifiers
        ),
        None,
    )


@callback
def _async_sync_chargers(
    hass: HomeAssistant, entry: JouloConfigEntry, account_device_id: str
) -> None:
    """Register or update each listed charger's device; remove those of chargers that left."""
    coordinator = entry.runtime_data.chargers
    if not coordinator.last_update_success:
        return
    registry = dr.async_get(hass)
    key = account_key(entry)
    known: dict[str, dr.DeviceEntry] = {}
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        charger_id = next((ident for domain, ident in device.identifiers if domain == DOMAIN), None)
        if charger_id is None or charger_id == key:
            continue
        if charger_id in coordinator.data:
            known[charger_id] = device
        else:
            registry.async_remove_device(device.id)
    for charger in coordinator.data.values():
        previous = known.get(charger.id)
        # A field missing from one answer keeps what the device shows, rather than flapping.
        name = charger.nickname or (previous.name if previous else None) or charger_name(charger)
        if charger.connection_type is None and previous is not None:
            manufacturer, model = previous.manufacturer, previous.model
        else:
            manufacturer = MANUFACTURERS.get(charger.connection_type or "", MANUFACTURER)
            model = _model(charger)
        device = registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, charger.id)},
            name=name,
            manufacturer=manufacturer,
            model=model,
        )
        if device.via_device_id != account_device_id:
            registry.async_update_device(device.id, via_device_id=account_device_id)


def charger_name(charger: Charger) -> str:
    """A charger's name: its nickname, else "Charger" and the start of its id."""
    return charger.nickname or f"Charger {charger.id[:8]}"


def _model(charger: Charger) -> str | None:
    """A connection type this version does not know names the model; known ones are manufacturers."""
    connection = charger.connection_type
    return None if connection is None or connection in MANUFACTURERS else str(connection)
