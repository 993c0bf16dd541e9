"""The binary sensors as a user sees them: charging, online and MID certification of each charger."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from joulo_simulator import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID, FaultKind, JouloSimulator
from tests.integration.common import (
    ONE_POLL,
    advance_time,
    registry_snapshot,
    state_of,
)

# Every test starts at `NOW`, before the simulator builds its history.
pytestmark = pytest.mark.usefixtures("frozen_time")


async def test_binary_sensors_snapshot(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Every binary sensor of the default account, with its registry entry and state, as recorded."""
    assert registry_snapshot(hass, init_integration.entry_id, "binary_sensor") == snapshot


async def test_charging_follows_the_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Charging turns on within one poll of a session starting, and off within one of it ending."""
    assert state_of(hass, "binary_sensor.garage_charging") == STATE_OFF

    simulator.start_session(GARAGE_ID, duration=timedelta(minutes=30))
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "binary_sensor.garage_charging") == STATE_ON
    assert state_of(hass, "binary_sensor.oprit_charging") == STATE_OFF

    await advance_time(hass, freezer, timedelta(minutes=29), step=ONE_POLL)
    assert state_of(hass, "binary_sensor.garage_charging") == STATE_OFF


async def test_online_follows_the_status(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Online is off only for `offline`: `active` and statuses nobody knows yet count as online."""
    assert state_of(hass, "binary_sensor.carport_online") == STATE_OFF
    assert state_of(hass, "binary_sensor.garage_online") == STATE_ON

    simulator.set_charger_status(CARPORT_ID, "active")
    simulator.set_charger_status(GARAGE_ID, "offline")
    simulator.set_charger_status(DRIVEWAY_ID, "maintenance")
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert state_of(hass, "binary_sensor.carport_online") == STATE_ON
    assert state_of(hass, "binary_sensor.garage_online") == STATE_OFF
    assert state_of(hass, "binary_sensor.oprit_online") == STATE_ON


async def test_mid_certified(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """MID certification shows per charger, and reads unknown when the API leaves it out."""
    simulator.add_charger(nickname="Schuur", mid_certified=False)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "binary_sensor.garage_mid_certified") == STATE_ON
    assert state_of(hass, "binary_sensor.carport_mid_certified") == STATE_OFF
    assert state_of(hass, "binary_sensor.schuur_mid_certified") == STATE_OFF

    simulator.faults.inject(
        FaultKind.MISSING_FIELDS, endpoint="/chargers", fields=["mid_certified"], times=None
    )
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "binary_sensor.garage_mid_certified") == STATE_UNKNOWN
    assert state_of(hass, "binary_sensor.schuur_mid_certified") == STATE_UNKNOWN
