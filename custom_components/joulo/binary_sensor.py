"""Binary sensors of the Joulo integration: charging, online and MID certification per charger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Charger, ChargerStatus
from .coordinator import JouloConfigEntry
from .entity import JouloChargersPollEntity, async_add_charger_entities

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


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JouloConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of each charger."""
    async_add_charger_entities(entry, async_add_entities, BINARY_SENSORS, JouloBinarySensor)


class JouloBinarySensor(JouloChargersPollEntity, BinarySensorEntity):
    """A binary sensor of what the chargers poll says of a charger."""

    entity_description: JouloBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The charger's value."""
        return self.entity_description.value_fn(self.charger)
