"""The restart buttons: what each answer of `POST /chargers/reboot` shows a user, and what was sent."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from joulo_simulator import FaultKind, JouloSimulator
from joulo_simulator.account import CARPORT_ID, DEMO_TOKEN, DRIVEWAY_ID, GARAGE_ID
from tests.integration.common import (
    NOW,
    ONE_POLL,
    advance_time,
    entry_state,
    registry_snapshot,
    state_of,
)

pytestmark = pytest.mark.usefixtures("frozen_time")

OPRIT_RESTART = "button.oprit_restart"
GARAGE_RESTART = "button.garage_restart"
OPRIT_HARD_RESTART = "button.oprit_hard_restart"
REBOOT = "/chargers/reboot"


async def press(hass: HomeAssistant, entity_id: str) -> None:
    """Press a button as the frontend does."""
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: entity_id}, blocking=True)


async def press_fails(hass: HomeAssistant, entity_id: str) -> HomeAssistantError:
    """Press a button whose command fails; return the error the user sees."""
    with pytest.raises(HomeAssistantError) as error:
        await press(hass, entity_id)
    return error.value


def sent(simulator: JouloSimulator) -> list[tuple[str, str, int]]:
    """The requests the simulator saw: method, endpoint and the status it answered."""
    return [(request.method, request.endpoint, request.status) for request in simulator.requests]


async def enable_hard_restarts(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Enable every hard restart button, as a user does in the entity settings, and reload."""
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.translation_key == "hard_restart":
            registry.async_update_entity(entity.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


def reauth_flows(hass: HomeAssistant) -> int:
    """How many reauthentication flows are in progress."""
    return sum(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress()
    )


async def test_buttons_snapshot(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Each charger has a restart and a hard restart button (here all enabled, to see both)."""
    await enable_hard_restarts(hass, init_integration)
    assert registry_snapshot(hass, init_integration.entry_id, "button") == snapshot


async def test_hard_restart_is_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Only the soft restart is there from the start; the hard one must be enabled first."""
    registry = er.async_get(hass)
    hard = registry.async_get(OPRIT_HARD_RESTART)
    assert hard is not None
    assert hard.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(OPRIT_HARD_RESTART) is None
    assert state_of(hass, OPRIT_RESTART) == STATE_UNKNOWN


async def test_restart_of_a_live_charger_shows_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An OCPP charger confirms (200); the refresh right after shows it restarting, then back."""
    simulator.clear_requests()

    await press(hass, OPRIT_RESTART)

    assert [(reboot.at, reboot.type) for reboot in simulator.charger(DRIVEWAY_ID).reboots] == [
        (NOW, "Soft")
    ]
    assert sent(simulator) == [("POST", REBOOT, 200), ("GET", "/chargers", 200)]
    assert state_of(hass, "sensor.oprit_status") == "offline"
    assert state_of(hass, OPRIT_RESTART) == NOW.isoformat()

    await advance_time(hass, freezer, 2 * ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "sensor.oprit_status") == "online"


async def test_restart_of_a_cloud_charger_is_sent_on(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A cloud charger's command is only passed on (202): accepted, and the chargers are polled."""
    simulator.clear_requests()

    await press(hass, GARAGE_RESTART)

    assert [reboot.type for reboot in simulator.charger(GARAGE_ID).reboots] == ["Soft"]
    assert sent(simulator) == [("POST", REBOOT, 202), ("GET", "/chargers", 200)]


async def test_hard_restart(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """The hard restart, once enabled, asks for a `Hard` reboot."""
    await enable_hard_restarts(hass, init_integration)
    await press(hass, OPRIT_HARD_RESTART)

    assert [reboot.type for reboot in simulator.charger(DRIVEWAY_ID).reboots] == ["Hard"]


async def test_restart_during_the_cooldown(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A second restart within five minutes is refused (409): the user is told to wait."""
    await press(hass, OPRIT_RESTART)
    await advance_time(hass, freezer, 2 * ONE_POLL, step=ONE_POLL)
    simulator.clear_requests()

    error = await press_fails(hass, OPRIT_RESTART)

    assert error.translation_key == "restart_cooldown"
    assert str(error) == (
        "The charger is already restarting; wait a few minutes before trying again"
    )
    assert sent(simulator) == [("POST", REBOOT, 409)]
    assert len(simulator.charger(DRIVEWAY_ID).reboots) == 1

    await advance_time(hass, freezer, timedelta(minutes=4), step=ONE_POLL)
    await press(hass, OPRIT_RESTART)
    assert len(simulator.charger(DRIVEWAY_ID).reboots) == 2


async def test_restart_of_an_offline_charger(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """An offline charger cannot be restarted (503): said so, not that Joulo is unreachable."""
    assert state_of(hass, "sensor.carport_status") == "offline"
    simulator.clear_requests()

    error = await press_fails(hass, "button.carport_restart")

    assert error.translation_key == "charger_offline"
    assert str(error) == (
        "The charger is offline, so it cannot be restarted. Check its power and internet connection"
    )
    assert sent(simulator) == [("POST", REBOOT, 503)]
    assert simulator.charger(CARPORT_ID).reboots == []


async def test_restart_with_a_read_only_token(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A token without the right to control chargers (403) is explained; no reauth, all else works."""
    simulator.set_token_can_control(DEMO_TOKEN, False)

    error = await press_fails(hass, OPRIT_RESTART)

    assert error.translation_key == "control_not_allowed"
    assert str(error) == (
        "This Joulo API token may read data but not control chargers. Create a token with the "
        "right to control chargers in the Joulo dashboard, and enter it with Reconfigure"
    )
    assert reauth_flows(hass) == 0
    assert entry_state(init_integration) is ConfigEntryState.LOADED
    assert simulator.charger(DRIVEWAY_ID).reboots == []


async def test_restart_with_a_refused_token_starts_reauth(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A token the API refuses altogether (401) asks the user to log in again."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint=REBOOT, status=401)

    error = await press_fails(hass, OPRIT_RESTART)

    assert error.translation_key == "authentication_failed"
    assert str(error) == "The Joulo API refused the token. Re-authenticate the integration"
    assert reauth_flows(hass) == 1


@pytest.mark.parametrize(
    ("status", "key", "message"),
    [
        (500, "cannot_connect", "Could not reach the Joulo API"),
        (404, "invalid_response", "The Joulo API answered with data that could not be read"),
    ],
)
async def test_restart_fails_otherwise(
    hass: HomeAssistant,
    *,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    status: int,
    key: str,
    message: str,
) -> None:
    """Any other failure of the command is a translated error too."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint=REBOOT, status=status)

    error = await press_fails(hass, OPRIT_RESTART)

    assert (error.translation_key, str(error)) == (key, message)


async def test_press_while_rate_limited_sends_nothing(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """While the shared rate-limit gate is closed a press sends nothing, and says when to retry.

    Here a calendar read met the 429; the chargers poll has not failed yet, so the button is still
    available (a failing poll makes it unavailable, and Home Assistant ignores presses then).
    """
    simulator.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/sessions", status=429, retry_after="300"
    )
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "calendar",
            "get_events",
            {ATTR_ENTITY_ID: "calendar.oprit_charging_sessions", "duration": {"days": 1}},
            blocking=True,
            return_response=True,
        )
    simulator.clear_requests()

    error = await press_fails(hass, OPRIT_RESTART)

    assert error.translation_key == "rate_limited"
    assert str(error) == (
        "The Joulo API asked to slow down, so nothing is sent to it for 300 seconds"
    )
    assert sent(simulator) == []
    assert simulator.charger(DRIVEWAY_ID).reboots == []
