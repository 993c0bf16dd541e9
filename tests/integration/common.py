"""Helpers of the integration tests: states, entries, flows, devices and registry snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.json import json_dumps
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import DOMAIN

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
"""Where `frozen_time` stops the clock: mid-month (in UTC and in US/Pacific), on a whole minute."""
ONE_POLL = timedelta(seconds=60)
"""The chargers cadence: one step of this length runs exactly one chargers poll."""


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of `entity_id`, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state.state


def entry_state(entry: ConfigEntry[Any]) -> ConfigEntryState:
    """The entry's state now (a function, so that type checkers do not hold on to an earlier one)."""
    state: ConfigEntryState = entry.state
    return state


async def set_up_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add `entry` and set it up; it must load."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def try_set_up_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add `entry` and try to set it up: it may fail, or be retried later."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def submit_form(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any]
) -> ConfigFlowResult:
    """Submit a flow's form with `user_input`, and let what it starts finish."""
    result = await hass.config_entries.flow.async_configure(flow_id, user_input)
    await hass.async_block_till_done()
    return result


def device_of(
    hass: HomeAssistant, entry: MockConfigEntry, identifier: str
) -> dr.DeviceEntry | None:
    """The entry's device with a Joulo identifier (a charger id, or the account's), if there is one."""
    devices = [
        device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if (DOMAIN, identifier) in device.identifiers
    ]
    assert len(devices) <= 1
    return devices[0] if devices else None


def device_id_of(hass: HomeAssistant, entry: MockConfigEntry, identifier: str) -> str:
    """The id of the entry's device with a Joulo identifier, which must exist."""
    device = device_of(hass, entry, identifier)
    assert device is not None, f"no device {identifier}"
    return device.id


def registry_snapshot(hass: HomeAssistant, entry_id: str, domain: str) -> dict[str, Any]:
    """The registry entries and states of an entry's entities of one domain, version-independent.

    Only plain JSON values, of the fields that matter to a user, so the snapshot is the same on every
    supported Home Assistant version. Only sensors have a unit: other domains leave the field out.
    """
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
        if domain == "sensor":
            result[entry.entity_id]["unit_of_measurement"] = entry.unit_of_measurement
    converted: dict[str, Any] = json.loads(json_dumps(result))
    return converted
