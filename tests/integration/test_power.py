"""The charging power sensor against the simulator with Joulo's upstream sync on.

OCPP chargers report their meter live (a reading a minute); cloud chargers change only at Joulo's
15-minute syncs, so their power is the average between two syncs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from joulo_simulator import DRIVEWAY_ID, GARAGE_ID, JouloSimulator
from joulo_simulator.sync import next_sync

from .common import ONE_POLL, advance_time, state_of

# A fixed moment: where Joulo's sync falls between two polls decides what a cloud session reads
# before its second sync (see `test_cloud_charger_reads_its_power_after_the_second_sync`).
pytestmark = [pytest.mark.upstream_sync, pytest.mark.freeze_time("2026-04-09T10:00:00+00:00")]

STEP = timedelta(seconds=30)


async def _readings(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_id: str, duration: timedelta
) -> list[tuple[datetime, str]]:
    """The sensor's state after every step of `duration`."""
    readings = []
    end = dt_util.utcnow() + duration
    while dt_util.utcnow() < end:
        await advance_time(hass, freezer, STEP)
        readings.append((dt_util.utcnow(), state_of(hass, entity_id)))
    return readings


async def test_idle_chargers_read_zero(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Nothing charges: every charger's power is 0 W."""
    for name in ("garage", "oprit", "carport"):
        assert state_of(hass, f"sensor.{name}_charging_power") == "0.0"


async def test_ocpp_charger_reads_its_power_from_the_second_meter_reading(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An OCPP session at 11 kW: unknown at first, 11 kW (±5%) from its second meter reading on."""
    simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await advance_time(hass, freezer, ONE_POLL)
    assert state_of(hass, "sensor.oprit_charging_power") == STATE_UNKNOWN

    readings = await _readings(hass, freezer, "sensor.oprit_charging_power", timedelta(hours=1))
    values = [float(state) for _, state in readings[2:]]
    assert all(abs(value - 11_000) <= 550 for value in values), values

    simulator.end_session(DRIVEWAY_ID)
    await advance_time(hass, freezer, 2 * ONE_POLL)
    assert state_of(hass, "sensor.oprit_charging_power") == "0.0"


async def test_cloud_charger_reads_its_power_after_the_second_sync(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A cloud session at 7.4 kW: 7.4 kW (±5%) after its second sync, never 10% above in between."""
    session = simulator.start_session(GARAGE_ID, power_kw=7.4)
    second_sync = next_sync(GARAGE_ID, next_sync(GARAGE_ID, session.started_at))

    readings = await _readings(hass, freezer, "sensor.garage_charging_power", timedelta(hours=2))

    values = [(at, state) for at, state in readings if state != STATE_UNKNOWN]
    assert all(float(state) <= 7400 * 1.1 for _, state in values), values
    settled = [float(state) for at, state in values if at >= second_sync + ONE_POLL + STEP]
    assert settled
    assert all(abs(value - 7400) <= 370 for value in settled), settled
    # Never negative, and 0 once the session is over.
    assert all(float(state) >= 0 for _, state in values)
    simulator.end_session(GARAGE_ID)
    await advance_time(hass, freezer, timedelta(minutes=16), step=STEP)
    assert state_of(hass, "sensor.garage_charging_power") == "0.0"
