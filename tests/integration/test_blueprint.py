"""The blueprint `joulo/notify_session_ended.yaml`: an automation built from it notifies a phone.

The blueprint is loaded from this repository's `blueprints/automation/joulo/` folder, as Home
Assistant loads it from its configuration folder after an import. The phone is a Mobile App device
whose notify action is a mock, so the tests see every notification it would get.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math
from pathlib import Path
from typing import NamedTuple
from unittest.mock import Mock, PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.blueprint import models
from homeassistant.const import CONF_DEVICE_ID, CONF_TYPE
from homeassistant.core import Context, CoreState, HomeAssistant, ServiceCall
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    template,
)
from homeassistant.helpers.typing import ConfigType, TemplateVarsType
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
    mock_platform,
)
import voluptuous as vol

from custom_components.joulo.const import SESSIONS_INTERVAL
from joulo_simulator import FaultKind, JouloSimulator, SimSession, SimulatorServer
from joulo_simulator.account import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID
from tests.integration.common import (
    GARAGE_EVENT,
    advance_time,
    async_restart_entry,
    async_start_entry,
    async_stop_entry,
    until_listed,
)
from tests.integration.test_statement import (
    LEASE_CAR,
    PRICE,
    RATE,
    async_set_up_priced,
    at_price,
    lease_car_sessions,
)

pytestmark = [pytest.mark.usefixtures("frozen_time"), pytest.mark.live_and_synced]

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation"
BLUEPRINT = "joulo/notify_session_ended.yaml"
MOBILE_APP = "mobile_app"
PHONE = "Pixel van Sanne"
NOTIFY_SERVICE = "mobile_app_pixel_van_sanne"
MINUTE = timedelta(minutes=1)
STEP = timedelta(seconds=30)


class Home(NamedTuple):
    """What a blueprint test works with."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    simulator: JouloSimulator
    init_integration: MockConfigEntry
    phone: Phone


@pytest.fixture
def home(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    phone: Phone,
) -> Home:
    """Home Assistant with the account set up, its clock, the simulator and the phone to notify."""
    return Home(hass, freezer, simulator, init_integration, phone)


@pytest.fixture(autouse=True)
def blueprint_folder() -> Iterator[None]:
    """Home Assistant's automation blueprints are this repository's."""
    with patch.object(
        models.DomainBlueprints,
        "blueprint_folder",
        new_callable=PropertyMock,
        return_value=BLUEPRINTS,
    ):
        yield


async def _async_notify_action(
    hass: HomeAssistant,
    config: ConfigType,
    variables: TemplateVarsType,
    context: Context | None,
) -> None:
    """Mobile App's notify device action: the phone's `notify.mobile_app_<name>` action."""
    registry = dr.async_get(hass)
    entry = next(
        entry
        for entry in hass.config_entries.async_entries(MOBILE_APP)
        if any(
            device.id == config[CONF_DEVICE_ID]
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        )
    )
    data = {"target": entry.data["webhook_id"]}
    for key in ("message", "title", "data"):
        if key in config:
            data[key] = template.render_complex(config[key], variables)
    await hass.services.async_call(
        "notify",
        f"mobile_app_{slugify(entry.data['device_name'])}",
        data,
        blocking=True,
        context=context,
    )


@dataclass(frozen=True)
class Phone:
    """A phone with the Home Assistant app, and the notifications it got."""

    device_id: str
    notifications: list[ServiceCall]

    def messages(self) -> list[str]:
        """The messages of the notifications, in order."""
        return [call.data["message"] for call in self.notifications]


@pytest.fixture
def phone(hass: HomeAssistant) -> Phone:
    """A phone with the Home Assistant app: a Mobile App device with its notify device action.

    Mobile App itself cannot be loaded here (its imports need packages the test environments do
    not have), so its device action platform stands in: the same schema, and the same call of the
    phone's notify action with the rendered title and message.
    """
    mock_platform(
        hass,
        f"{MOBILE_APP}.device_action",
        Mock(
            spec=["ACTION_SCHEMA", "async_call_action_from_config"],
            ACTION_SCHEMA=cv.DEVICE_ACTION_BASE_SCHEMA.extend(
                {
                    vol.Required(CONF_TYPE): "notify",
                    vol.Required("message"): cv.template,
                    vol.Optional("title"): cv.template,
                    vol.Optional("data"): cv.template_complex,
                }
            ),
            async_call_action_from_config=_async_notify_action,
        ),
    )
    entry = MockConfigEntry(
        domain=MOBILE_APP,
        source="registration",
        title=PHONE,
        data={
            "app_data": {"push_token": "PUSH_TOKEN", "push_url": "https://push.invalid/push"},
            "app_id": "io.homeassistant.companion.android",
            "app_name": "Home Assistant",
            "device_id": "pixel-1",
            "device_name": PHONE,
            "manufacturer": "Google",
            "model": "Pixel 9",
            "webhook_id": "pixel-webhook",
        },
    )
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(MOBILE_APP, "pixel-1")},
        manufacturer="Google",
        model="Pixel 9",
        name=PHONE,
    )
    notifications: list[ServiceCall] = async_mock_service(hass, "notify", NOTIFY_SERVICE)
    return Phone(device_id=device.id, notifications=notifications)


async def async_setup_automation(
    hass: HomeAssistant, phone: Phone, entity_id: str = GARAGE_EVENT, **extra: str
) -> None:
    """An automation from the blueprint, for a charger's event entity and the phone."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Charging finished",
                "use_blueprint": {
                    "path": BLUEPRINT,
                    "input": {
                        "charging_session": entity_id,
                        "notify_device": phone.device_id,
                        **extra,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()


def expected_message(session: SimSession, duration: str) -> str:
    """The message of a session's notification: its credits and their euros at the account's price.

    The simulator's account values an ERE at 0.87 EUR with a 12.5% fee.
    """
    euros = round((session.ere_credits or 0) * 0.87 * (1 - 12.5 / 100), 2)
    return (
        f"Garage: {session.kwh} kWh charged in {duration}, "
        f"{session.ere_credits} ERE credits earned (€{euros:.2f})."
    )


async def run_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    charger_id: str,
    duration: timedelta,
) -> SimSession:
    """Charge at 11 kW for `duration` and give the integration time to see the end.

    Joulo lists a cloud charger's end only at the charger's next sync.
    """
    await advance_time(hass, freezer, STEP, step=STEP)
    session = simulator.start_session(charger_id, power_kw=11.0)
    await advance_time(hass, freezer, duration, step=MINUTE)
    simulator.end_session(charger_id)
    await advance_time(hass, freezer, 2 * MINUTE, step=STEP)
    await until_listed(hass, freezer, simulator, session)
    return session


async def test_notifies_once_per_session(home: Home) -> None:
    """Each session of the charger gives one notification with its kWh, credits and duration."""
    hass, freezer, simulator, _, phone = home
    await async_setup_automation(hass, phone)

    first = await run_session(hass, freezer, simulator, GARAGE_ID, timedelta(minutes=125))
    assert [call.data for call in phone.notifications] == [
        {
            "title": "Charging finished",
            "message": expected_message(first, "2 h 5 min"),
            "target": "pixel-webhook",
        }
    ]
    assert first.kwh == 22.92  # 125 minutes at 11 kW

    second = await run_session(hass, freezer, simulator, GARAGE_ID, timedelta(minutes=40))
    await advance_time(hass, freezer, timedelta(hours=1), step=MINUTE)
    assert phone.messages() == [
        expected_message(first, "2 h 5 min"),
        expected_message(second, "40 min"),
    ]


async def test_a_charger_without_mid_earns_no_ere(home: Home) -> None:
    """The Carport has no MID meter: its message says it earned no ERE, though Joulo lists credits."""
    hass, freezer, simulator, _, phone = home
    await async_setup_automation(hass, phone, entity_id="event.carport_charging_session")
    simulator.set_charger_status(CARPORT_ID, "online")
    session = await run_session(hass, freezer, simulator, CARPORT_ID, timedelta(minutes=90))
    assert session.ere_credits
    assert phone.messages() == [
        f"Carport: {session.kwh} kWh charged in 1 h 30 min, no ERE (no MID meter)."
    ]


async def test_other_chargers_and_restarts_do_not_notify(home: Home) -> None:
    """After the last session: another charger's session, a rename, a restart, an outage: no message."""
    hass, freezer, simulator, init_integration, phone = home
    await async_setup_automation(hass, phone, title="Laden klaar")
    session = await run_session(hass, freezer, simulator, GARAGE_ID, timedelta(hours=3))
    assert [(call.data["title"], call.data["message"]) for call in phone.notifications] == [
        ("Laden klaar", expected_message(session, "3 h"))
    ]

    await run_session(hass, freezer, simulator, DRIVEWAY_ID, timedelta(minutes=30))
    er.async_get(hass).async_update_entity(GARAGE_EVENT, name="Garage laden")
    await hass.async_block_till_done()
    await async_restart_entry(hass, init_integration)
    simulator.faults.inject(FaultKind.HTTP_ERROR, status=500, times=None)
    await advance_time(hass, freezer, timedelta(minutes=10), step=MINUTE)
    simulator.faults.clear()
    await advance_time(hass, freezer, timedelta(minutes=10), step=MINUTE)

    assert len(phone.notifications) == 1


async def test_session_ended_during_a_restart_notifies_once(home: Home) -> None:
    """A session that ends while Home Assistant restarts is notified once it has started.

    On the way up the integration is set up before the automation, and both wait for the start.
    """
    hass, freezer, simulator, init_integration, phone = home
    await advance_time(hass, freezer, STEP, step=STEP)
    session = simulator.start_session(GARAGE_ID, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(minutes=45), step=MINUTE)
    await async_stop_entry(hass, init_integration)
    simulator.end_session(GARAGE_ID)
    await advance_time(hass, freezer, timedelta(minutes=5), step=MINUTE)

    hass.set_state(CoreState.not_running)
    await async_start_entry(hass, init_integration)
    await async_setup_automation(hass, phone)
    assert phone.notifications == []

    await hass.async_start()
    await hass.async_block_till_done()
    await advance_time(hass, freezer, timedelta(minutes=30), step=MINUTE)

    assert phone.messages() == [expected_message(session, "45 min")]


async def test_session_between_two_polls_notifies(home: Home) -> None:
    """A session too short for any chargers poll to see is notified from the sessions poll."""
    hass, freezer, simulator, _, phone = home
    await async_setup_automation(hass, phone)
    await advance_time(hass, freezer, timedelta(seconds=5), step=timedelta(seconds=5))
    session = simulator.start_session(GARAGE_ID, power_kw=11.0, duration=timedelta(seconds=50))
    await advance_time(hass, freezer, timedelta(minutes=12), step=MINUTE)
    # Only a sessions poll (every ten minutes) sees it, once Joulo lists it.
    await until_listed(hass, freezer, simulator, session, then=SESSIONS_INTERVAL)

    assert phone.messages() == [expected_message(session, "1 min")]


async def test_two_sessions_announced_together_notify_twice(home: Home) -> None:
    """Two sessions of the charger that ended while Home Assistant was down: two notifications.

    Both are announced at once, so the event entity's state (the event's time) may not change
    between them; the event's session does.
    """
    hass, freezer, simulator, init_integration, phone = home
    await async_setup_automation(hass, phone)
    await async_stop_entry(hass, init_integration)
    first = await run_session(hass, freezer, simulator, GARAGE_ID, timedelta(minutes=60))
    second = await run_session(hass, freezer, simulator, GARAGE_ID, timedelta(minutes=90))

    await async_start_entry(hass, init_integration)
    await advance_time(hass, freezer, timedelta(minutes=10), step=MINUTE)

    assert phone.messages() == [
        expected_message(first, "1 h"),
        expected_message(second, "1 h 30 min"),
    ]


# The monthly statement

STATEMENT_BLUEPRINT = "joulo/monthly_statement.yaml"
STATEMENT_AUTOMATION = "automation.charging_statement"


@pytest.fixture
def first_of_april(frozen_time: None, freezer: FrozenDateTimeFactory) -> None:
    """Half a minute before 08:00 on 1 April 2026 in Amsterdam, before the simulator's history is built."""
    freezer.move_to(datetime(2026, 4, 1, 5, 59, 30, tzinfo=UTC))


@pytest.mark.usefixtures("first_of_april")
async def test_monthly_statement_notifies_last_months_figures(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    phone: Phone,
    tmp_path: Path,
) -> None:
    """At 08:00 on the 1st: March's kWh, cost and what is reimbursed of the car; not on the 2nd."""
    hass.config.config_dir = str(tmp_path)
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    account = await async_set_up_priced(hass, simulator, simulator_server, LEASE_CAR)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Charging statement",
                "use_blueprint": {
                    "path": STATEMENT_BLUEPRINT,
                    "input": {"vehicle": account.vehicle, "notify_device": phone.device_id},
                },
            }
        },
    )
    await hass.async_block_till_done()

    await advance_time(hass, freezer, MINUTE)

    march = lease_car_sessions(simulator)
    assert march
    kwh = round(math.fsum(session.kwh for session in march), 3)
    cost = math.fsum(at_price(session.kwh, PRICE) for session in march)
    reimbursed = math.fsum(at_price(session.kwh, RATE) for session in march)
    assert [call.data for call in phone.notifications] == [
        {
            "title": "Charging statement",
            "message": (
                f"Lease car, 2026-03: {kwh} kWh in {len(march)} sessions, cost €{cost:.2f}, "
                f"reimbursed €{reimbursed:.2f}."
            ),
            "target": "pixel-webhook",
        }
    ]
    assert (tmp_path / "joulo" / "statements" / "lease_car-2026-03.csv").is_file()

    await advance_time(hass, freezer, timedelta(days=1), step=timedelta(hours=1))
    assert len(phone.notifications) == 1
    # Its time trigger waits for tomorrow's 08:00: switching it off ends that wait with the test.
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": STATEMENT_AUTOMATION}, blocking=True
    )
