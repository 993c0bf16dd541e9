"""Fixtures of the integration tests: an entry of the simulator's default account, a frozen clock."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.joulo.const import DOMAIN
from joulo_simulator import DEMO_TOKEN, JouloSimulator, SimulatorServer
from tests.integration.common import NOW, set_up_entry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration in every test."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in `snapshots/` in Home Assistant's format, on every version.

    The newest test plugin's own override of `snapshot` does not take effect, so ask for it here.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def frozen_time(freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at `NOW`, for the modules that ask for it before any other fixture.

    A module asks with `pytestmark = pytest.mark.usefixtures("frozen_time")`, so the clock stands at
    `NOW` before the simulator fixture builds its history: the account is the same on every run.
    """
    freezer.move_to(NOW)


@pytest.fixture
def mock_config_entry(
    simulator: JouloSimulator, simulator_server: SimulatorServer
) -> MockConfigEntry:
    """A config entry of the simulator's default account, as the config flow makes it."""
    account = simulator.account()
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Joulo ({account.name})",
        unique_id=account.id,
        data={CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: simulator_server.base_url},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The default account's entry, set up."""
    await set_up_entry(hass, mock_config_entry)
    return mock_config_entry
