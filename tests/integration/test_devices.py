"""Devices as a user sees them: one per charger under the account's service device, kept in step.

Chargers that appear get their device and entities within one chargers poll, without a reload;
chargers missing from `/chargers` for 5 minutes lose them, not sooner; renamed ones are renamed.
Every test starts at the same frozen instant.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType
from homeassistant.helpers.entity_registry import RegistryEntryDisabler
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.joulo.const import CHARGER_GONE_AFTER
from joulo_simulator import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID, FaultKind, JouloSimulator
from tests.integration.common import (
    NOW,
    ONE_POLL,
    Live,
    advance_time,
    async_restart_entry,
    device_id_of,
    device_of,
    fail_chargers_past_the_ride_out,
    set_up_entry,
    state_of,
)

# Every test starts at `NOW`, before the simulator builds its history.
pytestmark = pytest.mark.usefixtures("frozen_time")

NEW_ID = "0d6e2f4a-8c1b-4d3e-9f5a-7b9c1d3e5f70"
"""A charger the tests link to the account later."""
CHARGER_ENTITIES = {
    "binary_sensor": ("charging", "online", "mid_certified"),
    "button": ("restart", "hard_restart"),
    "calendar": ("charging_sessions",),
    "event": ("charging_session",),
    "sensor": (
        "status",
        "charging_power",
        "session_energy",
        "session_started",
        "active_tag_id",
        "last_session_energy",
        "last_session_ere_credits",
        "last_session_ere_value",
        "last_session_ended",
    ),
}
"""The entities every charger has, by platform (key as in the unique id)."""


def _charger_entity_ids(hass: HomeAssistant, entry: MockConfigEntry, charger_id: str) -> set[str]:
    """The entity ids registered for a charger's unique ids."""
    registry = er.async_get(hass)
    return {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if f"_{charger_id}_" in entity.unique_id
    }


def _expected_entity_ids(name: str) -> set[str]:
    """The entity ids of the entities every charger has, for a charger named `name`."""
    return {
        f"{platform}.{name}_{key}" for platform, keys in CHARGER_ENTITIES.items() for key in keys
    }


def _friendly_name(hass: HomeAssistant, entity_id: str) -> str:
    """The name a user sees for an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return str(state.attributes["friendly_name"])


async def test_devices_snapshot(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """The account's service device and one device per charger linked to it, as recorded."""
    registry = dr.async_get(hass)
    devices: dict[str, Any] = {}
    for device in dr.async_entries_for_config_entry(registry, init_integration.entry_id):
        via = registry.async_get(device.via_device_id) if device.via_device_id else None
        devices[str(device.name)] = {
            "identifiers": sorted(list(identifier) for identifier in device.identifiers),
            "manufacturer": device.manufacturer,
            "model": device.model,
            "entry_type": device.entry_type.value if device.entry_type else None,
            "configuration_url": device.configuration_url,
            "via_device": via.name if via else None,
        }
    assert dict(sorted(devices.items())) == snapshot

    account = device_of(hass, init_integration, str(init_integration.unique_id))
    assert account is not None
    assert account.entry_type is DeviceEntryType.SERVICE
    for charger_id in (GARAGE_ID, DRIVEWAY_ID, CARPORT_ID):
        charger = device_of(hass, init_integration, charger_id)
        assert charger is not None
        assert charger.via_device_id == account.id


async def test_charger_added_later(live: Live) -> None:
    """A charger linked later gets its device and entities within one poll, without a reload."""
    hass, freezer, simulator, init_integration = live
    runtime_data = init_integration.runtime_data
    simulator.add_charger(charger_id=NEW_ID, nickname="Schuur", connection_type="zaptec")
    assert device_of(hass, init_integration, NEW_ID) is None

    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    device = device_of(hass, init_integration, NEW_ID)
    assert device is not None
    assert (device.name, device.manufacturer, device.model) == ("Schuur", "Zaptec", None)
    assert device.via_device_id == device_id_of(
        hass, init_integration, str(init_integration.unique_id)
    )
    assert _charger_entity_ids(hass, init_integration, NEW_ID) == _expected_entity_ids("schuur")
    assert state_of(hass, "sensor.schuur_status") == "online"
    assert state_of(hass, "binary_sensor.schuur_charging") == "off"
    # Without a meter it has no meter sensors.
    assert hass.states.get("sensor.schuur_energy_meter") is None
    # Not reloaded: the same coordinators serve the new charger.
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is runtime_data


async def test_meter_appears_later(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A charger that starts reporting a meter gets its meter sensors on that poll."""
    charger = simulator.add_charger(charger_id=NEW_ID, nickname="Schuur")
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert hass.states.get("sensor.schuur_energy_meter") is None

    charger.meter_wh = 1_234_567.0
    charger.meter_updated_at = NOW
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert float(state_of(hass, "sensor.schuur_energy_meter")) == 1234.567
    meter_updated = entity_registry.async_get("sensor.schuur_meter_updated")
    assert meter_updated is not None
    assert meter_updated.disabled_by is RegistryEntryDisabler.INTEGRATION
    # Added once: further polls add nothing.
    entity_ids = _charger_entity_ids(hass, init_integration, NEW_ID)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert _charger_entity_ids(hass, init_integration, NEW_ID) == entity_ids
    assert entity_ids == _expected_entity_ids("schuur") | {
        "sensor.schuur_energy_meter",
        "sensor.schuur_meter_updated",
    }


async def test_charger_removed_and_back(live: Live) -> None:
    """A charger unlinked from the account loses its device and entities once missing 5 minutes.

    Until then they stay, unavailable; linked again later, it has them back.
    """
    hass, freezer, simulator, init_integration = live
    garage_entities = _expected_entity_ids("garage")
    assert _charger_entity_ids(hass, init_integration, GARAGE_ID) == garage_entities

    garage = device_of(hass, init_integration, GARAGE_ID)
    assert garage is not None
    simulator.remove_charger(GARAGE_ID)
    # The first answer without it, then every minute (the other chargers report live) until the
    # one that comes 5 minutes after that first answer.
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    await advance_time(hass, freezer, CHARGER_GONE_AFTER - ONE_POLL, step=ONE_POLL)
    assert device_of(hass, init_integration, GARAGE_ID) == garage
    assert _charger_entity_ids(hass, init_integration, GARAGE_ID) == garage_entities
    assert state_of(hass, "sensor.garage_status") == STATE_UNAVAILABLE

    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert dr.async_get(hass).async_get(garage.id) is None
    assert device_of(hass, init_integration, GARAGE_ID) is None
    assert _charger_entity_ids(hass, init_integration, GARAGE_ID) == set()
    for entity_id in garage_entities:
        assert hass.states.get(entity_id) is None, entity_id
    # The others stay.
    for charger_id in (DRIVEWAY_ID, CARPORT_ID):
        assert device_of(hass, init_integration, charger_id) is not None
    assert state_of(hass, "sensor.oprit_status") == "online"
    assert device_of(hass, init_integration, str(init_integration.unique_id)) is not None

    simulator.add_charger(charger_id=GARAGE_ID, nickname="Garage", connection_type="easee")
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    device = device_of(hass, init_integration, GARAGE_ID)
    assert device is not None
    assert device.name == "Garage"
    assert _charger_entity_ids(hass, init_integration, GARAGE_ID) == garage_entities
    assert state_of(hass, "sensor.garage_status") == "online"
    # Its session history is the account's, so its last session is known again.
    assert state_of(hass, "sensor.garage_last_session_energy") != STATE_UNAVAILABLE


async def test_charger_renamed(live: Live, device_registry: dr.DeviceRegistry) -> None:
    """A nickname changed in Joulo renames the device; entity ids and a user's own name stay."""
    hass, freezer, simulator, init_integration = live
    oprit = device_of(hass, init_integration, DRIVEWAY_ID)
    assert oprit is not None
    device_registry.async_update_device(oprit.id, name_by_user="Voordeur")
    simulator.charger(GARAGE_ID).nickname = "Schuur"
    simulator.charger(DRIVEWAY_ID).nickname = "Oprit links"
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    garage = device_of(hass, init_integration, GARAGE_ID)
    assert garage is not None
    assert (garage.name, garage.manufacturer) == ("Schuur", "Easee")
    assert _friendly_name(hass, "sensor.garage_status") == "Schuur Status"
    assert _friendly_name(hass, "sensor.garage_last_session_energy") == "Schuur Last session energy"
    oprit = device_of(hass, init_integration, DRIVEWAY_ID)
    assert oprit is not None
    assert (oprit.name, oprit.name_by_user) == ("Oprit links", "Voordeur")
    assert _friendly_name(hass, "sensor.oprit_status") == "Voordeur Status"
    assert _charger_entity_ids(hass, init_integration, GARAGE_ID) == _expected_entity_ids("garage")


@pytest.mark.parametrize(
    ("connection_type", "manufacturer", "model"),
    [
        ("ocpp", "OCPP", None),
        ("v2c", "V2C", None),
        ("other", "Joulo", "other"),
        ("tesla", "Joulo", "tesla"),
    ],
)
async def test_connection_type_changed(
    live: Live, *, connection_type: str, manufacturer: str, model: str | None
) -> None:
    """A charger connected another way gets the manufacturer (and model) of its new connection."""
    hass, freezer, simulator, init_integration = live
    simulator.add_charger(charger_id=NEW_ID, nickname="Schuur", connection_type="tesla")
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    device = device_of(hass, init_integration, NEW_ID)
    assert device is not None
    assert (device.manufacturer, device.model) == ("Joulo", "tesla")

    simulator.charger(NEW_ID).connection_type = connection_type
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    device = device_of(hass, init_integration, NEW_ID)
    assert device is not None
    assert (device.manufacturer, device.model) == (manufacturer, model)


async def test_chargers_without_nickname(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A charger without a nickname is "Charger" and the start of its id, until it gets one."""
    simulator.faults.inject(
        FaultKind.MISSING_FIELDS, endpoint="/chargers", fields=["nickname"], times=None
    )
    await set_up_entry(hass, mock_config_entry)

    garage = device_of(hass, mock_config_entry, GARAGE_ID)
    assert garage is not None
    assert garage.name == "Charger 5f0c1a2e"
    assert _friendly_name(hass, "sensor.charger_5f0c1a2e_status") == "Charger 5f0c1a2e Status"
    oprit = device_of(hass, mock_config_entry, DRIVEWAY_ID)
    assert oprit is not None
    assert oprit.name == "Charger 9b2e4d6f"

    simulator.faults.clear()
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    garage = device_of(hass, mock_config_entry, GARAGE_ID)
    assert garage is not None
    assert garage.name == "Garage"
    assert _friendly_name(hass, "sensor.charger_5f0c1a2e_status") == "Garage Status"


async def test_fields_missing_from_one_answer_keep_the_device_as_it_is(live: Live) -> None:
    """A poll without nicknames or connection types leaves known devices' names and makers alone."""
    hass, freezer, simulator, init_integration = live
    simulator.faults.inject(
        FaultKind.MISSING_FIELDS, endpoint="/chargers", fields=["nickname", "connection_type"]
    )
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert simulator.faults.active == []  # the partial answer was served

    garage = device_of(hass, init_integration, GARAGE_ID)
    assert garage is not None
    assert (garage.name, garage.manufacturer, garage.model) == ("Garage", "Easee", None)
    oprit = device_of(hass, init_integration, DRIVEWAY_ID)
    assert oprit is not None
    assert (oprit.name, oprit.manufacturer) == ("Oprit", "OCPP")


async def test_devices_survive_an_outage(live: Live) -> None:
    """While `/chargers` fails, no device is removed: its entities are only unavailable.

    A rename in Joulo meanwhile reaches the device once the poll works again.
    """
    hass, freezer, simulator, init_integration = live
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers", status=502, times=None)
    simulator.charger(GARAGE_ID).nickname = "Schuur"
    await fail_chargers_past_the_ride_out(
        hass, freezer, ("sensor.garage_status", "sensor.oprit_status", "sensor.carport_status")
    )

    for charger_id, name in (
        (GARAGE_ID, "garage"),
        (DRIVEWAY_ID, "oprit"),
        (CARPORT_ID, "carport"),
    ):
        assert device_of(hass, init_integration, charger_id) is not None
        assert _charger_entity_ids(hass, init_integration, charger_id) >= _expected_entity_ids(name)
        assert state_of(hass, f"sensor.{name}_status") == STATE_UNAVAILABLE
    garage = device_of(hass, init_integration, GARAGE_ID)
    assert garage is not None
    assert garage.name == "Garage"

    simulator.faults.clear()
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "sensor.garage_status") == "online"
    garage = device_of(hass, init_integration, GARAGE_ID)
    assert garage is not None
    assert garage.name == "Schuur"


async def test_other_devices_of_the_entry_are_left_alone(
    live: Live, device_registry: dr.DeviceRegistry
) -> None:
    """A device of the entry that is not a Joulo charger is neither renamed nor removed.

    Not even when it bears the id of a charger that leaves the account.
    """
    hass, freezer, simulator, init_integration = live
    other = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={("other_domain", CARPORT_ID)},
        name="Something else",
    )
    simulator.remove_charger(CARPORT_ID)
    await advance_time(hass, freezer, ONE_POLL + CHARGER_GONE_AFTER, step=ONE_POLL)

    assert device_of(hass, init_integration, CARPORT_ID) is None
    device = device_registry.async_get(other.id)
    assert device is not None
    assert device.name == "Something else"
    entry_devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert device in entry_devices
    assert device_of(hass, init_integration, GARAGE_ID) is not None


def _unlist_chargers(simulator: JouloSimulator) -> Callable[[], None]:
    """Have `/chargers` answer an empty list; return what lists the same chargers again."""
    chargers = simulator.account().chargers
    unlisted = dict(chargers)
    chargers.clear()
    return lambda: chargers.update(unlisted)


def _registry_removals(hass: HomeAssistant) -> list[str]:
    """The devices and entities removed from the registries from now on (their ids), as seen."""
    removed: list[str] = []

    @callback
    def device_removed(event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        if event.data["action"] == "remove":
            removed.append(event.data["device_id"])

    @callback
    def entity_removed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        if event.data["action"] == "remove":
            removed.append(event.data["entity_id"])

    hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, device_removed)
    hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, entity_removed)
    return removed


def _charger_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """The state of every entity of the entry's chargers, by entity id."""
    return {
        entity_id: state_of(hass, entity_id)
        for charger_id in (GARAGE_ID, DRIVEWAY_ID, CARPORT_ID)
        for entity_id in _charger_entity_ids(hass, entry, charger_id)
        if hass.states.get(entity_id) is not None  # not those disabled by default
    }


async def test_one_empty_answer_removes_nothing(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """One `/chargers` answer without any charger leaves every device and entity where it was.

    The entities are unavailable while their chargers are missing, and show what they showed
    before once the chargers are listed again (the same entities: none is added twice); nothing is
    removed from the registries.
    """
    hass, freezer, simulator, init_integration = live
    states = _charger_states(hass, init_integration)
    assert states["sensor.garage_status"] == "online"
    devices = {cid: device_of(hass, init_integration, cid) for cid in (GARAGE_ID, DRIVEWAY_ID)}
    removed = _registry_removals(hass)

    list_again = _unlist_chargers(simulator)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "sensor.garage_status") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.oprit_charging") == STATE_UNAVAILABLE
    list_again()
    # With no charger listed, the next poll comes 5 minutes after the empty answer.
    await advance_time(hass, freezer, CHARGER_GONE_AFTER, step=ONE_POLL)

    assert removed == []
    assert [record.message for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert _charger_states(hass, init_integration) == states
    assert {cid: device_of(hass, init_integration, cid) for cid in devices} == devices
    assert _charger_entity_ids(hass, init_integration, GARAGE_ID) == _expected_entity_ids("garage")


async def test_empty_answers_for_five_minutes_remove_the_chargers(live: Live) -> None:
    """Chargers missing from every answer for 5 minutes lose their devices and entities.

    The answer 5 minutes after the first empty one is the same empty list: it still removes them.
    The account's device stays.
    """
    hass, freezer, simulator, init_integration = live
    garage = device_of(hass, init_integration, GARAGE_ID)
    assert garage is not None
    _unlist_chargers(simulator)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    requests = simulator.request_count("/chargers")
    await advance_time(hass, freezer, CHARGER_GONE_AFTER - ONE_POLL, step=ONE_POLL)
    assert simulator.request_count("/chargers") == requests  # no answer since the first empty one
    assert device_of(hass, init_integration, GARAGE_ID) == garage

    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert simulator.request_count("/chargers") == requests + 1
    for charger_id in (GARAGE_ID, DRIVEWAY_ID, CARPORT_ID):
        assert device_of(hass, init_integration, charger_id) is None
        assert _charger_entity_ids(hass, init_integration, charger_id) == set()
    assert hass.states.get("sensor.garage_status") is None
    assert device_of(hass, init_integration, str(init_integration.unique_id)) is not None


async def test_charger_missing_after_a_restart(live: Live) -> None:
    """A charger the first answer after a restart does not list keeps its device for 5 minutes."""
    hass, freezer, simulator, init_integration = live
    garage = device_of(hass, init_integration, GARAGE_ID)
    assert garage is not None
    simulator.remove_charger(GARAGE_ID)

    await async_restart_entry(hass, init_integration)

    assert device_of(hass, init_integration, GARAGE_ID) == garage
    assert _charger_entity_ids(hass, init_integration, GARAGE_ID) == _expected_entity_ids("garage")
    await advance_time(hass, freezer, CHARGER_GONE_AFTER, step=ONE_POLL)
    assert device_of(hass, init_integration, GARAGE_ID) is None
    assert _charger_entity_ids(hass, init_integration, GARAGE_ID) == set()
