"""Binary sensors of the Joulo integration: per charger, and whether each vehicle is charging."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Charger, ChargerStatus
from .coordinator import JouloConfigEntry, JouloCoordinator
from .data import ChargersData
from .entity import (
    JouloChargersPollEntity,
    JouloVehicleEntity,
    async_add_charger_entities,
    async_add_vehicle_entities,
)
from .naming import charger_name
from .vehicles import vehicle_of

# Coordinators do all the I/O; entities only read their data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class JouloBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor of what the chargers poll says of a charger."""

    value_fn: Callable[[Charger], bool | None]


BINARY_SENSORS: tuple[JouloBinarySensorDescription, ...] = (
    JouloBinarySensorDescription(
        key="charging",
        translation_key="charging",
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        value_fn=lambda charger: charger.is_charging,
    ),
    JouloBinarySensorDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda charger: (
            None if charger.status is None else charger.status != ChargerStatus.OFFLINE
        ),
    ),
    JouloBinarySensorDescription(
        key="mid_certified",
        translation_key="mid_certified",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda charger: charger.mid_certified,
    ),
)


VEHICLE_CHARGING = BinarySensorEntityDescription(
    key="vehicle_charging",
    translation_key="vehicle_charging",
    device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JouloConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of each charger and each vehicle."""
    async_add_charger_entities(entry, async_add_entities, BINARY_SENSORS, JouloBinarySensor)
    chargers = entry.runtime_data.chargers
    async_add_vehicle_entities(
        entry,
        async_add_entities,
        (VEHICLE_CHARGING,),
        lambda vehicle, description: JouloVehicleChargingSensor(chargers, vehicle, description),
    )


class JouloBinarySensor(JouloChargersPollEntity, BinarySensorEntity):
    """A binary sensor of what the chargers poll says of a charger."""

    entity_description: JouloBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The charger's value."""
        return self.entity_description.value_fn(self.charger)


class JouloVehicleChargingSensor(
    JouloVehicleEntity[JouloCoordinator[ChargersData]], BinarySensorEntity
):
    """Whether a vehicle is charging: a charger's running session is its (by TAG id or charger).

    It follows the chargers poll; attribute `charger`: the charger it charges at.
    """

    def _charger(self) -> Charger | None:
        runtime = self._runtime
        vehicle = self.vehicle
        return next(
            (
                charger
                for charger in self.coordinator.data.values()
                if charger.is_charging
                and (running := charger.current_session) is not None
                and vehicle_of(running.id_tag, charger.id, runtime.vehicles) == vehicle
            ),
            None,
        )

    @property
    def is_on(self) -> bool:
        """Whether one of the chargers charges the vehicle now."""
        return self._charger() is not None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The name of the charger it charges at (None while it does not charge)."""
        charger = self._charger()
        return {"charger": None if charger is None else charger_name(charger.id, charger.nickname)}
