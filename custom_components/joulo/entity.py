"""Base entities of the Joulo integration, and adding them as chargers come and go."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Charger
from .const import DOMAIN
from .coordinator import JouloConfigEntry, JouloCoordinator
from .data import TOTALS, ChargersData
from .naming import account_key


class JouloCoordinatorEntity[CoordinatorT: JouloCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """An entity fed by one of the coordinators that writes its state only when what it shows changed.

    A changed charger's data changes few of its entities (a running session's energy and power,
    not its status or its last session): comparing what each shows keeps the others' states as
    they are, instead of writing them again unchanged.
    """

    _shown: tuple[Any, ...] | None = None

    def _what_is_shown(self) -> tuple[Any, ...]:
        if not self.available:
            return (False,)
        return (True, self.state, self.state_attributes, self.extra_state_attributes)

    async def async_added_to_hass(self) -> None:
        """Remember what the entity shows as it is added (the platform writes that first state)."""
        await super().async_added_to_hass()
        self._shown = self._what_is_shown()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state if what the entity shows differs from what it last wrote."""
        shown = self._what_is_shown()
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class JouloChargerEntity[CoordinatorT: JouloCoordinator[Any]](JouloCoordinatorEntity[CoordinatorT]):
    """An entity of one charger, fed by one of the coordinators.

    It listens with its charger's id as context: it hears only of refreshes that changed its
    charger's data (or of the API failing or recovering).
    """

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: CoordinatorT, charger: Charger, description: EntityDescription
    ) -> None:
        """Create the entity `description` describes for `charger`."""
        super().__init__(coordinator, context=charger.id)
        self.entity_description = description
        self.charger_id = charger.id
        key = account_key(coordinator.config_entry)
        self._attr_unique_id = f"{key}_{charger.id}_{description.key}"
        # The device itself is registered by devices.py; this only attaches the entity to it.
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, charger.id)})


class JouloChargersPollEntity(JouloChargerEntity[JouloCoordinator[ChargersData]]):
    """An entity of what the chargers poll (`/chargers`) says of a charger."""

    @property
    def available(self) -> bool:
        """Available while the charger is listed by a working API."""
        return super().available and self.charger_id in self.coordinator.data

    @property
    def charger(self) -> Charger:
        """The charger as last polled."""
        return self.coordinator.data[self.charger_id]


class JouloAccountEntity[CoordinatorT: JouloCoordinator[Any]](JouloCoordinatorEntity[CoordinatorT]):
    """An entity of the account's service device, fed by one of the coordinators."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: CoordinatorT,
        description: EntityDescription,
        *,
        context: str = TOTALS,
    ) -> None:
        """Create the entity `description` describes; it hears of changes to `context` only."""
        super().__init__(coordinator, context=context)
        self.entity_description = description
        key = account_key(coordinator.config_entry)
        self._attr_unique_id = f"{key}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, key)})


@callback
def async_add_charger_entities[DescriptionT: EntityDescription](
    entry: JouloConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Sequence[DescriptionT],
    create: Callable[[JouloCoordinator[ChargersData], Charger, DescriptionT], Entity | None],
) -> None:
    """Add each charger's entities now and whenever a charger, or a value it reports, appears.

    `create` (an entity class, or a function of the same arguments: the chargers coordinator, the
    charger, the description) returns None for an entity a charger does not (yet) support, e.g. a
    meter it has not reported; it is asked again after later refreshes (the refresh pipeline calls
    the adders). A charger that left the account is forgotten, so it gets its entities back if it
    returns; one only missing from `/chargers` for a while keeps them (they are unavailable).
    """
    coordinator = entry.runtime_data.chargers
    added: dict[str, set[str]] = {}

    @callback
    def add_new_entities() -> None:
        for charger_id in coordinator.data.left(added):
            del added[charger_id]
        # Only a charger whose data changed can have something new to add (a new charger has).
        changed = coordinator.changed_contexts
        chargers = coordinator.data
        candidates = (
            chargers.values()
            if changed is None
            else [chargers[charger_id] for charger_id in changed if charger_id in chargers]
        )
        new_entities: list[Entity] = []
        for charger in candidates:
            keys = added.setdefault(charger.id, set())
            for description in descriptions:
                if description.key in keys:
                    continue
                if (entity := create(coordinator, charger, description)) is not None:
                    keys.add(description.key)
                    new_entities.append(entity)
        if new_entities:
            async_add_entities(new_entities)

    add_new_entities()
    async_register_entity_adder(entry, add_new_entities)


@callback
def async_register_entity_adder(
    entry: JouloConfigEntry, add_new_entities: Callable[[], None]
) -> None:
    """Have the refresh pipeline call `add_new_entities` after each refresh, until unload."""
    adders = entry.runtime_data.entity_adders
    adders.append(add_new_entities)
    entry.async_on_unload(lambda: adders.remove(add_new_entities))
