"""The binary sensors as a user sees them: charging, online and MID certification of each charger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.json import json_dumps
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from joulo_simulator import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID, FaultKind, JouloSimulator
from tests.integration.conftest import advance_time

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
"""When every test starts, on a whole minute."""
ONE_POLL = timedelta(seconds=60)
"""The chargers cadence: one step of this length runs exactly one chargers poll."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in `snapshots/` in Home Assistant's format, on every version.

    The newest test plugin's own override of `snapshot` does not take effect, so ask for it here.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def frozen_time(freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at `NOW`; autouse, so it runs before the simulator fixture builds its history."""
    freezer.move_to(NOW)


def _state(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state.state


def _registry_snapshot(hass: HomeAssistant, entry_id: str, domain: str) -> dict[str, Any]:
    """The registry entries and states of an entry's entities of one domain, version-independent."""
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    entries = er.async_entries_for_config_entry(entity_registry, entry_id)
    result: dict[str, Any] = {}
    for entry in sorted(entries, key=lambda entry: entry.entity_id):
        if entry.domain != domain:
            continue
        state = hass.states.get(entry.entity_id)
        assert state is not None, f"{entry.entity_id} has no state"
        device = device_registry.async_get(entry.device_id) if entry.device_id else None
        result[entry.entity_id] = {
            "unique_id": entry.unique_id,
            "device": device.name if device else None,
            "has_entity_name": entry.has_entity_name,
            "translation_key": entry.translation_key,
            "original_name": entry.original_name,
            "device_class": entry.device_class,
            "original_device_class": entry.original_device_class,
            "entity_category": entry.entity_category,
            "disabled_by": entry.disabled_by,
            "capabilities": entry.capabilities,
            "state": state.state,
            "attributes": dict(state.attributes),
        }
    converted: dict[str, Any] = json.loads(json_dumps(result))
    return converted


async def test_binary_sensors_snapshot(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every binary sensor of the default account, with its registry entry and state, as recorded."""
    assert _registry_snapshot(hass, init_integration.entry_id, "binary_sensor") == snapshot


async def test_charging_follows_the_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Charging turns on within one poll of a session starting, and off within one of it ending."""
    assert _state(hass, "binary_sensor.garage_charging") == STATE_OFF

    simulator.start_session(GARAGE_ID, duration=timedelta(minutes=30))
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert _state(hass, "binary_sensor.garage_charging") == STATE_ON
    assert _state(hass, "binary_sensor.oprit_charging") == STATE_OFF

    await advance_time(hass, freezer, timedelta(minutes=29), step=ONE_POLL)
    assert _state(hass, "binary_sensor.garage_charging") == STATE_OFF


async def test_online_follows_the_status(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Online is off only for `offline`: `active` and statuses nobody knows yet count as online."""
    assert _state(hass, "binary_sensor.carport_online") == STATE_OFF
    assert _state(hass, "binary_sensor.garage_online") == STATE_ON

    simulator.set_charger_status(CARPORT_ID, "active")
    simulator.set_charger_status(GARAGE_ID, "offline")
    simulator.set_charger_status(DRIVEWAY_ID, "maintenance")
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert _state(hass, "binary_sensor.carport_online") == STATE_ON
    assert _state(hass, "binary_sensor.garage_online") == STATE_OFF
    assert _state(hass, "binary_sensor.oprit_online") == STATE_ON


async def test_mid_certified(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """MID certification shows per charger, and reads unknown when the API leaves it out."""
    simulator.add_charger(nickname="Schuur", mid_certified=False)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert _state(hass, "binary_sensor.garage_mid_certified") == STATE_ON
    assert _state(hass, "binary_sensor.carport_mid_certified") == STATE_OFF
    assert _state(hass, "binary_sensor.schuur_mid_certified") == STATE_OFF

    simulator.faults.inject(
        FaultKind.MISSING_FIELDS, endpoint="/chargers", fields=["mid_certified"], times=None
    )
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert _state(hass, "binary_sensor.garage_mid_certified") == STATE_UNKNOWN
    assert _state(hass, "binary_sensor.schuur_mid_certified") == STATE_UNKNOWN


async def test_unavailable_while_chargers_fail(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Every binary sensor is unavailable while `/chargers` fails, and has its value back after."""
    binary_sensors = sorted(
        entity_id
        for entity_id in hass.states.async_entity_ids("binary_sensor")
        if entity_id.startswith(
            ("binary_sensor.garage_", "binary_sensor.oprit_", "binary_sensor.carport_")
        )
    )
    assert len(binary_sensors) == 9
    before = {entity_id: _state(hass, entity_id) for entity_id in binary_sensors}

    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers", status=500, times=None)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert {_state(hass, entity_id) for entity_id in binary_sensors} == {STATE_UNAVAILABLE}

    simulator.faults.clear()
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert {entity_id: _state(hass, entity_id) for entity_id in binary_sensors} == before
