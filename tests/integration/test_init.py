"""Setting up, unloading and reloading a Joulo entry, and keeping its devices in step with the account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.joulo as joulo_init
from custom_components.joulo.const import DOMAIN
from joulo_simulator import FaultKind, JouloSimulator, SimulatorServer
from joulo_simulator.account import DEMO_TOKEN, GARAGE_ID
from tests.integration.common import (
    advance_time,
    entry_state,
    state_of,
    time_out_the_next_chargers_read,
    try_set_up_entry,
)

ENDPOINTS = ("/chargers", "/sessions", "/energy", "/me")
EURO_SENSORS = ("sensor.joulo_ere_value", "sensor.joulo_ere_price", "sensor.joulo_platform_fee")
"""The account sensors that need `/me`."""
TOTAL_SENSORS = (
    "sensor.joulo_total_energy",
    "sensor.joulo_total_ere_credits",
    "sensor.joulo_total_sessions",
    "sensor.joulo_energy_this_month",
    "sensor.joulo_ere_credits_this_month",
)
"""The account sensors that `/energy` alone feeds."""
CHARGER_ENTITIES = (
    "sensor.garage_status",
    "binary_sensor.garage_charging",
    "sensor.oprit_energy_meter",
    "sensor.carport_last_session_energy",
    "event.garage_charging_session",
)
"""A few entities of each charger and coordinator."""


def _reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[Any]:
    """The reauth flows in progress for `entry`."""
    return list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))


def _entities_and_devices(
    hass: HomeAssistant, entry: MockConfigEntry
) -> tuple[dict[str, str], set[str]]:
    """The entry's entities (entity id → unique id) and the ids of its devices."""
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return (
        {entity.entity_id: entity.unique_id for entity in entities},
        {device.id for device in devices},
    )


def _is_number(value: str) -> bool:
    """Whether a state is a number."""
    try:
        float(value)
    except ValueError:
        return False
    return True


# Setup


async def test_setup_loads_every_coordinator(
    hass: HomeAssistant, simulator: JouloSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Setup reads each endpoint once and gives every kind of entity a value."""
    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert {endpoint: simulator.request_count(endpoint) for endpoint in ENDPOINTS} == dict.fromkeys(
        ENDPOINTS, 1
    )
    for entity_id in (*TOTAL_SENSORS, *EURO_SENSORS):
        assert _is_number(state_of(hass, entity_id)), entity_id
    assert state_of(hass, "sensor.garage_status") == "online"
    assert state_of(hass, "binary_sensor.garage_charging") == "off"


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param([{"status": 500}], id="500 everywhere"),
        pytest.param([{"status": 503, "endpoint": "/chargers"}], id="503 on chargers"),
        pytest.param([{"status": 502, "endpoint": "/sessions"}], id="502 on sessions"),
        pytest.param([{"status": 500, "endpoint": "/energy"}], id="500 on energy"),
        pytest.param([{"status": 429, "endpoint": "/chargers"}], id="429 on chargers"),
        pytest.param(
            [{"kind": FaultKind.MALFORMED_JSON, "endpoint": "/energy"}], id="malformed energy"
        ),
    ],
)
async def test_api_failure_at_setup_retries(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    faults: list[dict[str, Any]],
) -> None:
    """An API that fails (not on the token) makes setup retry later, without asking for a new token."""
    for fault in faults:
        simulator.faults.inject(fault.pop("kind", FaultKind.HTTP_ERROR), times=None, **fault)

    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert _reauth_flows(hass, mock_config_entry) == []
    assert hass.states.get("sensor.garage_status") is None


async def test_setup_retry_recovers_when_the_api_is_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """After a failed setup, the entry loads by itself once the API answers again."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, status=500, times=None)
    await try_set_up_entry(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY

    simulator.faults.clear()
    await advance_time(hass, freezer, timedelta(seconds=60), step=timedelta(seconds=30))

    assert entry_state(mock_config_entry) is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.garage_status") == "online"


async def test_stopped_server_at_setup_retries(
    hass: HomeAssistant, simulator_server: SimulatorServer, mock_config_entry: MockConfigEntry
) -> None:
    """An API that cannot be reached at all makes setup retry later."""
    await simulator_server.stop()

    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert _reauth_flows(hass, mock_config_entry) == []


async def test_timeout_at_setup_retries(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An API that does not answer within the client's timeout makes setup retry later."""
    time_out_the_next_chargers_read(monkeypatch, joulo_init, simulator)

    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert simulator.faults.active == []


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param([], id="revoked token"),
        pytest.param([{"status": 401}], id="401 everywhere"),
        pytest.param([{"status": 403}], id="403 everywhere"),
        pytest.param([{"status": 401, "endpoint": "/me"}], id="401 on me"),
        pytest.param(
            [{"status": 500, "endpoint": "/chargers"}, {"status": 401, "endpoint": "/sessions"}],
            id="500 on chargers, 401 on sessions",
        ),
    ],
)
async def test_refused_token_at_setup_asks_for_a_new_one(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    faults: list[dict[str, Any]],
) -> None:
    """A refused token fails setup (whatever else failed) and starts re-authentication."""
    if faults:
        for fault in faults:
            simulator.faults.inject(FaultKind.HTTP_ERROR, times=None, **fault)
    else:
        simulator.revoke_token(DEMO_TOKEN)

    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = _reauth_flows(hass, mock_config_entry)
    assert flow["step_id"] == "reauth_confirm"
    assert hass.states.get("sensor.garage_status") is None


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(None, id="404 (no /me)"),
        pytest.param({"status": 500}, id="500"),
        pytest.param({"status": 503}, id="503"),
        pytest.param({"status": 403}, id="403"),
        pytest.param({"kind": FaultKind.MALFORMED_JSON}, id="malformed"),
    ],
)
async def test_failing_me_leaves_only_the_euro_sensors_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    fault: dict[str, Any] | None,
) -> None:
    """Without `/me` the entry loads; the euro sensors wait for it, everything else has values."""
    if fault is None:
        simulator.default_account.me_available = False
    else:
        simulator.faults.inject(
            fault.pop("kind", FaultKind.HTTP_ERROR), endpoint="/me", times=None, **fault
        )

    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert _reauth_flows(hass, mock_config_entry) == []
    for entity_id in EURO_SENSORS:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    for entity_id in TOTAL_SENSORS:
        assert _is_number(state_of(hass, entity_id)), entity_id
    for entity_id in CHARGER_ENTITIES:
        assert state_of(hass, entity_id) != STATE_UNAVAILABLE, entity_id

    # `/me` comes back: the next hourly refresh gives the euro sensors their values.
    simulator.default_account.me_available = True
    simulator.faults.clear()
    await advance_time(hass, freezer, timedelta(hours=1), step=timedelta(minutes=10))

    assert state_of(hass, "sensor.joulo_ere_price") == "0.87"
    assert state_of(hass, "sensor.joulo_platform_fee") == "12.5"
    assert _is_number(state_of(hass, "sensor.joulo_ere_value"))


# Unload and reload


async def test_unload_makes_entities_unavailable_and_stops_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An unloaded entry's entities are unavailable and nothing is requested any more."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.NOT_LOADED
    for entity_id in (*CHARGER_ENTITIES, *TOTAL_SENSORS, *EURO_SENSORS):
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id

    simulator.clear_requests()
    await advance_time(hass, freezer, timedelta(hours=2), step=timedelta(minutes=10))
    assert simulator.request_count() == 0


async def test_reload_sets_the_entry_up_again(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A reload reads the API anew and keeps every entity and device."""
    registered = _entities_and_devices(hass, init_integration)
    simulator.start_session(GARAGE_ID, power_kw=11.0)
    simulator.clear_requests()

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    assert {endpoint: simulator.request_count(endpoint) for endpoint in ENDPOINTS} == dict.fromkeys(
        ENDPOINTS, 1
    )
    assert state_of(hass, "binary_sensor.garage_charging") == "on"
    assert _entities_and_devices(hass, init_integration) == registered


async def test_removing_the_entry_removes_its_entities_and_devices(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """Deleting the account's entry takes its entities, devices and stores with it; polling stops.

    The store of what was announced holds TAG ids: it goes with the entry too.
    """
    entry_id = init_integration.entry_id
    assert er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    await advance_time(hass, freezer, timedelta(minutes=1))  # what was announced is stored
    assert f"joulo.{entry_id}.sessions" in hass_storage

    assert await hass.config_entries.async_remove(entry_id)
    await hass.async_block_till_done()

    assert [key for key in hass_storage if key.startswith(f"joulo.{entry_id}.")] == []
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert er.async_entries_for_config_entry(er.async_get(hass), entry_id) == []
    assert dr.async_entries_for_config_entry(dr.async_get(hass), entry_id) == []
    assert hass.states.get("sensor.garage_status") is None
    simulator.clear_requests()
    await advance_time(hass, freezer, timedelta(hours=1), step=timedelta(minutes=10))
    assert simulator.request_count() == 0
