"""The device registry side of the integration: the account's device, and one per charger and vehicle.

Devices are registered here, not through entities' device info, so that every charger device is linked
to the account's device by registry id (Home Assistant deprecates linking by identifiers) and is renamed
or removed as the account changes: removed once its charger has left the account, not while it is
only missing from `/chargers` for a while. The charger devices are kept by charger id, so finding one
is a lookup, not a scan of the registry. A vehicle's device belongs to the vehicle's config subentry:
Home Assistant removes it (and its entities) with the subentry.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .api import Charger, ConnectionType
from .const import ACCOUNT_DEVICE_NAME, DOMAIN, MANUFACTURER
from .coordinator import JouloConfigEntry
from .naming import account_key, charger_name, is_vehicle_key, vehicle_key
from .vehicles import Vehicle

VEHICLE_MODEL = "Vehicle"

MANUFACTURERS: dict[str, str] = {
    ConnectionType.EASEE: "Easee",
    ConnectionType.WALLBOX: "Wallbox",
    ConnectionType.ZAPTEC: "Zaptec",
    ConnectionType.ENPHASE: "Enphase",
    ConnectionType.OCPP: "OCPP",
    ConnectionType.SMAPPEE: "Smappee",
    ConnectionType.V2C: "V2C",
}


class ChargerDevices:
    """The devices of one config entry, in step with the chargers the account lists."""

    def __init__(self, hass: HomeAssistant, entry: JouloConfigEntry) -> None:
        """Register the account's device and find the chargers' devices registered before."""
        self._hass = hass
        self._entry = entry
        registry = dr.async_get(hass)
        key = account_key(entry)
        self.account_device_id = registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, key)},
            name=ACCOUNT_DEVICE_NAME,
            manufacturer=MANUFACTURER,
            entry_type=dr.DeviceEntryType.SERVICE,
            configuration_url="https://joulo.nl",
        ).id
        self._device_ids = async_registered_chargers(hass, entry)
        self._synced: dict[str, tuple[str | None, str | None]] = {}
        """What each device was last registered from: the charger's nickname and connection type."""

    @callback
    def async_device(self, charger_id: str) -> dr.DeviceEntry | None:
        """The device of a charger of this entry."""
        device_id = self._device_ids.get(charger_id)
        device = None if device_id is None else dr.async_get(self._hass).async_get(device_id)
        # Newer Home Assistant versions also know child devices; a charger's device is none of those.
        return device if isinstance(device, dr.DeviceEntry) else None

    @callback
    def async_sync(self) -> None:
        """Register or update each listed charger's device; remove those of chargers that left."""
        chargers = self._entry.runtime_data.chargers.data
        registry = dr.async_get(self._hass)
        for charger_id in chargers.left(self._device_ids):
            registry.async_remove_device(self._device_ids.pop(charger_id))
            self._synced.pop(charger_id, None)
        for charger in chargers.values():
            shown = (charger.nickname, charger.connection_type)
            previous = self.async_device(charger.id)
            # Most polls change no charger's name or type: registering it again would cost a
            # registry look-up per charger and poll.
            if previous is not None and self._synced.get(charger.id) == shown:
                continue
            self._synced[charger.id] = shown
            # A field missing from one answer keeps what the device shows, rather than flapping.
            name = charger_name(charger.id, charger.nickname, previous.name if previous else None)
            if charger.connection_type is None and previous is not None:
                manufacturer, model = previous.manufacturer, previous.model
            else:
                manufacturer = MANUFACTURERS.get(charger.connection_type or "", MANUFACTURER)
                model = _model(charger)
            device = registry.async_get_or_create(
                config_entry_id=self._entry.entry_id,
                identifiers={(DOMAIN, charger.id)},
                name=name,
                manufacturer=manufacturer,
                model=model,
            )
            self._device_ids[charger.id] = device.id
            self._async_link_to_account(device)

    @callback
    def async_sync_vehicles(self) -> None:
        """Register or rename each vehicle's device, in its subentry, under the account's device."""
        registry = dr.async_get(self._hass)
        for vehicle in self._entry.runtime_data.vehicles:
            device = registry.async_get_or_create(
                config_entry_id=self._entry.entry_id,
                config_subentry_id=vehicle.subentry_id,
                **vehicle_device_info(vehicle),
            )
            self._async_link_to_account(device)

    @callback
    def _async_link_to_account(self, device: dr.DeviceEntry) -> None:
        """Link a device to the account's device (by registry id: linking by identifiers is deprecated)."""
        if device.via_device_id != self.account_device_id:
            dr.async_get(self._hass).async_update_device(
                device.id, via_device_id=self.account_device_id
            )


def vehicle_device_info(vehicle: Vehicle) -> DeviceInfo:
    """The device of a vehicle, named as the vehicle: what its entities attach to."""
    return DeviceInfo(
        identifiers={(DOMAIN, vehicle_key(vehicle.subentry_id))},
        name=vehicle.name,
        model=VEHICLE_MODEL,
    )


@callback
def async_registered_chargers(hass: HomeAssistant, entry: JouloConfigEntry) -> dict[str, str]:
    """The device ids of the entry's charger devices in the registry, by charger id."""
    key = account_key(entry)
    return {
        identifier: device.id
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        for domain, identifier in device.identifiers
        if domain == DOMAIN and identifier != key and not is_vehicle_key(identifier)
    }


def _model(charger: Charger) -> str | None:
    """A connection type this version does not know names the model; known ones are manufacturers."""
    connection = charger.connection_type
    return None if connection is None or connection in MANUFACTURERS else str(connection)
