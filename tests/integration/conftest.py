"""Fixtures of the integration tests: the simulator on HA's clock, its account's entry, frozen time."""

from __future__ import annotations

from collections.abc import Iterator
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.joulo.const import DOMAIN
from joulo_simulator import DEMO_TOKEN, JouloSimulator, SimulatorServer
from tests.integration.common import NOW, Live, set_up_entry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration in every test."""


DEPRECATION_REPORT = "Detected that custom integration 'joulo'"
"""How Home Assistant begins its report of an integration on a deprecated or private path."""


@pytest.fixture(autouse=True)
def no_deprecated_paths(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail any test in which Home Assistant reports the integration on a deprecated path."""
    yield
    reports = [
        record.getMessage()
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
        if DEPRECATION_REPORT in record.getMessage()
    ]
    assert reports == []


@pytest.fixture
def frozen_time(freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at `NOW`, for the modules that ask for it before any other fixture.

    A module asks with `pytestmark = pytest.mark.usefixtures("frozen_time")`, so the clock stands at
    `NOW` before the simulator fixture builds its history: the account is the same on every run.
    """
    freezer.move_to(NOW)


@pytest.fixture
def upstream_sync(request: pytest.FixtureRequest) -> bool:
    """Whether cloud chargers change only at their 15-minute syncs, as Joulo's do.

    Off (every charger live) unless the test is marked ``upstream_sync``, or ``live_and_synced``
    (which runs it both ways).
    """
    synced: bool = getattr(
        request, "param", request.node.get_closest_marker("upstream_sync") is not None
    )
    return synced


@pytest.fixture
def autopilot(request: pytest.FixtureRequest) -> bool:
    """Whether online chargers start and end sessions by themselves: for tests marked ``autopilot``."""
    return request.node.get_closest_marker("autopilot") is not None


@pytest.fixture
def simulator(upstream_sync: bool, autopilot: bool) -> JouloSimulator:
    """A simulator of the default account on Home Assistant's clock, which the tests move."""
    # Looked up on every call: the test plugin swaps `dt_util.utcnow` when it freezes time.
    return JouloSimulator(
        clock=lambda: dt_util.utcnow(),  # noqa: PLW0108
        upstream_sync=upstream_sync,
        autopilot=autopilot,
    )


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


@pytest.fixture
def quiet_database_log() -> Iterator[None]:
    """Do not log every SQL statement (the test plugin does), which slows tests with the recorder."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture
def live(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> Live:
    """The fixtures most tests take, as one: the account set up, the clock and the simulator."""
    return Live(hass, freezer, simulator, init_integration)


@pytest.fixture
def recorded(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> Live:
    """The same with the recorder running and the entry not set up yet."""
    return Live(hass, freezer, simulator, mock_config_entry)
