"""The sensors as a user sees them: registry entries, live charging values, sessions and account totals.

Every test starts at the same frozen instant, before the simulator builds its seeded history, so the
default account (and the snapshot of its sensors) is the same on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
import logging
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN, CONF_URL, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_registry import RegistryEntryDisabler
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.joulo.const import DOMAIN
from joulo_simulator import FaultKind, JouloSimulator, SimulatorServer, ere_credits_for
from joulo_simulator.account import DEFAULT_ID_TAG, DRIVEWAY_ID, GARAGE_ID
from tests.integration.common import (
    NOW,
    ONE_POLL,
    advance_time,
    registry_snapshot,
    set_up_entry,
    state_of,
)

# Every test starts at `NOW`, before the simulator builds its history.
pytestmark = pytest.mark.usefixtures("frozen_time")

EMPTY_TOKEN = "joulo_emptyaccount00000000000000000000"
"""The token of an account without chargers or history."""

ACCOUNT_TOTALS = (
    "sensor.joulo_total_energy",
    "sensor.joulo_total_ere_credits",
    "sensor.joulo_total_sessions",
    "sensor.joulo_energy_this_month",
    "sensor.joulo_ere_credits_this_month",
)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Register every entity enabled, also those that are disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


def _number(hass: HomeAssistant, entity_id: str) -> float:
    """The numeric state of an entity that must exist."""
    return float(state_of(hass, entity_id))


def _totals(hass: HomeAssistant) -> dict[str, float]:
    """The account's totals as the sensors show them."""
    return {entity_id: _number(hass, entity_id) for entity_id in ACCOUNT_TOTALS}


async def test_sensors_snapshot(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor of the default account, with its registry entry and state, as recorded."""
    assert registry_snapshot(hass, init_integration.entry_id, "sensor") == snapshot


async def test_meter_updated_is_disabled_by_default(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, init_integration: MockConfigEntry
) -> None:
    """The meter's update time is a diagnostic a user enables; until then it has no state."""
    entry = entity_registry.async_get("sensor.oprit_meter_updated")
    assert entry is not None
    assert entry.disabled_by is RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.oprit_meter_updated") is None
    # The meter itself is enabled, and only the charger that reports one has it.
    assert state_of(hass, "sensor.oprit_energy_meter") != STATE_UNAVAILABLE
    account_id = init_integration.unique_id
    oprit_meter = f"{account_id}_{DRIVEWAY_ID}_energy_meter"
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, oprit_meter) is not None
    garage_meter = f"{account_id}_{GARAGE_ID}_energy_meter"
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, garage_meter) is None
    assert hass.states.get("sensor.garage_energy_meter") is None
    assert hass.states.get("sensor.carport_energy_meter") is None


async def test_session_starts_grows_and_ends(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Sessions on Oprit (OCPP, TAG id) and Garage: live values while they run, final ones after."""
    meter_before = _number(hass, "sensor.oprit_energy_meter")
    totals_before = _totals(hass)
    assert state_of(hass, "binary_sensor.oprit_charging") == "off"
    assert _number(hass, "sensor.oprit_session_energy") == 0.0
    assert state_of(hass, "sensor.oprit_session_started") == STATE_UNKNOWN

    simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    garage_car = simulator.start_session(GARAGE_ID, power_kw=7.4).id_tag
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    started = NOW.isoformat()
    for charger in ("oprit", "garage"):
        assert state_of(hass, f"binary_sensor.{charger}_charging") == "on"
        assert state_of(hass, f"sensor.{charger}_session_started") == started
    assert _number(hass, "sensor.oprit_session_energy") == round(11.0 / 60, 2)  # 0.18
    assert _number(hass, "sensor.garage_session_energy") == round(7.4 / 60, 2)  # 0.12
    assert state_of(hass, "sensor.oprit_active_tag_id") == DEFAULT_ID_TAG
    # The Garage (Easee) sends its car's TAG id too.
    assert state_of(hass, "sensor.garage_active_tag_id") == garage_car

    await advance_time(hass, freezer, timedelta(minutes=29), step=ONE_POLL)

    assert _number(hass, "sensor.oprit_session_energy") == 5.5  # 11 kW for 30 minutes
    assert _number(hass, "sensor.garage_session_energy") == 3.7  # 7.4 kW for 30 minutes
    assert _number(hass, "sensor.oprit_energy_meter") == round(meter_before + 5.5, 3)
    # Running sessions do not count in the account's totals yet.
    assert _totals(hass) == totals_before

    oprit = simulator.end_session(DRIVEWAY_ID)
    assert oprit.ended_at == NOW + timedelta(minutes=30)
    assert oprit.ere_credits == ere_credits_for(5.5)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    # Within one chargers poll: idle, and the completed session's final values.
    assert state_of(hass, "binary_sensor.oprit_charging") == "off"
    assert _number(hass, "sensor.oprit_session_energy") == 0.0
    assert state_of(hass, "sensor.oprit_session_started") == STATE_UNKNOWN
    assert state_of(hass, "sensor.oprit_active_tag_id") == STATE_UNKNOWN
    assert _number(hass, "sensor.oprit_energy_meter") == round(meter_before + 5.5, 3)
    assert _number(hass, "sensor.oprit_last_session_energy") == 5.5
    assert _number(hass, "sensor.oprit_last_session_ere_credits") == 1.83  # 5.5 x 0.505 x 0.6588
    assert state_of(hass, "sensor.oprit_last_session_ended") == oprit.ended_at.isoformat()
    _assert_totals_grew(hass, totals_before, kwh=5.5, ere_credits=1.83, sessions=1)
    # Garage charges on.
    assert state_of(hass, "binary_sensor.garage_charging") == "on"
    assert _number(hass, "sensor.garage_session_energy") == round(7.4 * 31 / 60, 2)

    totals_between = _totals(hass)
    await advance_time(hass, freezer, timedelta(minutes=14), step=ONE_POLL)
    garage = simulator.end_session(GARAGE_ID)
    assert garage.kwh == 5.55  # 7.4 kW for 45 minutes
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert state_of(hass, "binary_sensor.garage_charging") == "off"
    assert _number(hass, "sensor.garage_session_energy") == 0.0
    assert state_of(hass, "sensor.garage_session_started") == STATE_UNKNOWN
    assert _number(hass, "sensor.garage_last_session_energy") == 5.55
    assert _number(hass, "sensor.garage_last_session_ere_credits") == ere_credits_for(5.55)
    assert (
        state_of(hass, "sensor.garage_last_session_ended")
        == (NOW + timedelta(minutes=45)).isoformat()
    )
    _assert_totals_grew(
        hass, totals_between, kwh=5.55, ere_credits=ere_credits_for(5.55) or 0.0, sessions=1
    )
    # Oprit's last session is still the one it had.
    assert _number(hass, "sensor.oprit_last_session_energy") == 5.5


def _assert_totals_grew(
    hass: HomeAssistant, before: dict[str, float], *, kwh: float, ere_credits: float, sessions: int
) -> None:
    """Assert the account's totals grew by exactly one session's values."""
    assert _totals(hass) == {
        "sensor.joulo_total_energy": round(before["sensor.joulo_total_energy"] + kwh, 2),
        "sensor.joulo_total_ere_credits": round(
            before["sensor.joulo_total_ere_credits"] + ere_credits, 2
        ),
        "sensor.joulo_total_sessions": before["sensor.joulo_total_sessions"] + sessions,
        "sensor.joulo_energy_this_month": round(before["sensor.joulo_energy_this_month"] + kwh, 2),
        "sensor.joulo_ere_credits_this_month": round(
            before["sensor.joulo_ere_credits_this_month"] + ere_credits, 2
        ),
    }


async def test_session_on_a_charger_without_mid(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A session on a charger without MID shows as its last session, earning no ERE and no euros.

    Joulo lists its ERE credits all the same; they count nowhere, not in the ERE totals either.
    """
    schuur = simulator.add_charger(nickname="Schuur", connection_type="zaptec", mid_certified=False)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "sensor.schuur_last_session_energy") == STATE_UNKNOWN
    assert state_of(hass, "sensor.schuur_last_session_ended") == STATE_UNKNOWN
    totals_before = _totals(hass)

    simulator.start_session(schuur.id, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(hours=1), step=timedelta(minutes=5))
    assert _number(hass, "sensor.schuur_session_energy") == 11.0
    energy_requests = simulator.request_count("/energy")
    simulator.end_session(schuur.id)
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert _number(hass, "sensor.schuur_session_energy") == 0.0
    assert _number(hass, "sensor.schuur_last_session_energy") == 11.0
    credits_state = hass.states.get("sensor.schuur_last_session_ere_credits")
    assert credits_state is not None
    assert (credits_state.state, credits_state.attributes["counts_for_ere"]) == ("0.0", False)
    assert _number(hass, "sensor.schuur_last_session_ere_value") == 0.0
    assert simulator.default_account.sessions[-1].ere_credits == ere_credits_for(11.0)
    # The energy totals were read again after the session completed, and did not change.
    assert simulator.request_count("/energy") == energy_requests + 1
    assert _totals(hass) == totals_before


async def test_session_without_energy(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A session that delivered nothing has no ERE credits in the API: its sensor reads 0."""
    simulator.start_session(GARAGE_ID, power_kw=0.0)
    await advance_time(hass, freezer, timedelta(minutes=10), step=ONE_POLL)
    session = simulator.end_session(GARAGE_ID)
    assert session.ere_credits is None
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert _number(hass, "sensor.garage_last_session_energy") == 0.0
    assert _number(hass, "sensor.garage_last_session_ere_credits") == 0.0
    assert (
        state_of(hass, "sensor.garage_last_session_ended")
        == (NOW + timedelta(minutes=10)).isoformat()
    )


async def test_euro_sensors(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The ERE value is the credits at the mid price minus the platform fee; it follows `/me`."""
    account = simulator.default_account
    total = _number(hass, "sensor.joulo_total_ere_credits")
    assert total > 0
    assert _number(hass, "sensor.joulo_ere_price") == account.ere_price_mid == 0.87
    assert _number(hass, "sensor.joulo_platform_fee") == account.effective_fee_pct == 12.5
    assert _number(hass, "sensor.joulo_ere_value") == round(total * 0.87 * (1 - 12.5 / 100), 2)

    account.ere_price_mid = 1.12
    account.effective_fee_pct = 10.0
    await advance_time(hass, freezer, timedelta(hours=1), step=timedelta(minutes=5))

    assert _number(hass, "sensor.joulo_ere_price") == 1.12
    assert _number(hass, "sensor.joulo_platform_fee") == 10.0
    assert _number(hass, "sensor.joulo_ere_value") == round(total * 1.12 * 0.9, 2)


@pytest.mark.parametrize(
    ("missing", "price", "fee", "factor"),
    [
        ("ere_price_mid", STATE_UNKNOWN, "12.5", None),
        ("effective_fee_pct", "0.87", STATE_UNKNOWN, 0.87),
    ],
)
async def test_euro_sensors_with_a_partial_account(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    *,
    missing: str,
    price: str,
    fee: str,
    factor: float | None,
) -> None:
    """Without a price the value is unknown; without a fee the whole value counts."""
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/me", fields=[missing])
    await set_up_entry(hass, mock_config_entry)

    total = _number(hass, "sensor.joulo_total_ere_credits")
    assert state_of(hass, "sensor.joulo_ere_price") == price
    assert state_of(hass, "sensor.joulo_platform_fee") == fee
    expected = STATE_UNKNOWN if factor is None else str(round(total * factor, 2))
    assert state_of(hass, "sensor.joulo_ere_value") == expected


async def test_this_month(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """This month's sensors show this month's entry: MID sessions that started in April 2026."""
    april = [
        session
        for session in simulator.default_account.sessions
        if session.mid_certified
        and not session.is_active
        and (session.started_at.year, session.started_at.month) == (NOW.year, NOW.month)
    ]
    # The year of history also holds an April 2025 that must not be taken for this month.
    assert any(
        (session.started_at.year, session.started_at.month) == (2025, 4) and session.mid_certified
        for session in simulator.default_account.sessions
    )
    assert april
    assert _number(hass, "sensor.joulo_energy_this_month") == round(
        sum(session.kwh for session in april), 2
    )
    assert _number(hass, "sensor.joulo_ere_credits_this_month") == round(
        sum(session.ere_credits or 0.0 for session in april), 2
    )


async def test_account_without_history(
    hass: HomeAssistant, simulator: JouloSimulator, simulator_server: SimulatorServer
) -> None:
    """An account without sessions has no entry for this month: this month's sensors read 0."""
    account = simulator.add_account(EMPTY_TOKEN, empty=True)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=account.id,
        data={CONF_API_TOKEN: EMPTY_TOKEN, CONF_URL: simulator_server.base_url},
    )
    await set_up_entry(hass, entry)

    assert _totals(hass) == dict.fromkeys(ACCOUNT_TOTALS, 0.0)
    assert _number(hass, "sensor.joulo_ere_value") == 0.0


async def test_unknown_charger_status(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A status the integration does not know reads unknown and is logged once; the charger is online."""
    # A running session changes the charger's data on every poll, so every poll writes its state.
    simulator.start_session(GARAGE_ID, power_kw=11.0)
    simulator.set_charger_status(GARAGE_ID, "maintenance")
    caplog.set_level(logging.WARNING, logger="custom_components.joulo")
    session_energy: list[str] = []
    for _ in range(3):
        await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
        session_energy.append(state_of(hass, "sensor.garage_session_energy"))
        assert state_of(hass, "sensor.garage_status") == STATE_UNKNOWN
        assert state_of(hass, "binary_sensor.garage_online") == "on"
    assert session_energy == ["0.18", "0.37", "0.55"]

    simulator.set_charger_status(GARAGE_ID, "online")
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "sensor.garage_status") == "online"
    simulator.set_charger_status(GARAGE_ID, "maintenance")
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert state_of(hass, "sensor.garage_status") == STATE_UNKNOWN

    warnings = [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and "maintenance" in record.getMessage()
    ]
    assert len(warnings) == 1
    assert GARAGE_ID in warnings[0].getMessage()
    # Other chargers kept their known status.
    assert state_of(hass, "sensor.oprit_status") == "online"
    assert state_of(hass, "sensor.carport_status") == "offline"


async def test_missing_charger_fields(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Fields the API leaves out read unknown; a charging session without energy is not 0 kWh."""
    simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(minutes=10), step=ONE_POLL)
    assert _number(hass, "sensor.oprit_session_energy") == round(11.0 / 6, 2)

    simulator.faults.inject(
        FaultKind.MISSING_FIELDS,
        endpoint="/chargers",
        fields=["status", "kwh_so_far", "started_at", "id_tag", "is_charging"],
        times=None,
    )
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)

    assert state_of(hass, "sensor.oprit_status") == STATE_UNKNOWN
    assert state_of(hass, "binary_sensor.oprit_online") == STATE_UNKNOWN
    # Still charging (it has a current session), but how much so far is not known.
    assert state_of(hass, "binary_sensor.oprit_charging") == "on"
    assert state_of(hass, "sensor.oprit_session_energy") == STATE_UNKNOWN
    assert state_of(hass, "sensor.oprit_session_started") == STATE_UNKNOWN
    assert state_of(hass, "sensor.oprit_active_tag_id") == STATE_UNKNOWN
    # Idle chargers still read 0 kWh.
    assert _number(hass, "sensor.garage_session_energy") == 0.0

    simulator.faults.clear()
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert _number(hass, "sensor.oprit_session_energy") == round(11.0 * 12 / 60, 2)
    assert state_of(hass, "sensor.oprit_status") == "online"
    assert state_of(hass, "sensor.oprit_active_tag_id") == DEFAULT_ID_TAG


async def test_energy_of_all_chargers_only_when_joulo_gives_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """`/energy` without `total_kwh_all` gives no all-chargers sensors; they come once it has it.

    Then they count the Carport's energy too, which the ERE totals leave out.
    """
    simulator.faults.inject(
        FaultKind.MISSING_FIELDS, fields=["total_kwh_all", "kwh_all"], endpoint="/energy"
    )
    await set_up_entry(hass, mock_config_entry)
    assert hass.states.get("sensor.joulo_total_energy_all_chargers") is None
    assert hass.states.get("sensor.joulo_energy_this_month_all_chargers") is None

    await advance_time(hass, freezer, timedelta(hours=1), step=timedelta(minutes=10))

    energy = simulator.account().sessions
    total_all = round(sum(session.kwh for session in energy if session.ended_at), 2)
    assert _number(hass, "sensor.joulo_total_energy_all_chargers") == total_all
    assert _number(hass, "sensor.joulo_total_energy_all_chargers") > _number(
        hass, "sensor.joulo_total_energy"
    )
    month = NOW.strftime("%Y-%m")
    assert _number(hass, "sensor.joulo_energy_this_month_all_chargers") == round(
        sum(
            session.kwh
            for session in energy
            if session.ended_at and session.started_at.strftime("%Y-%m") == month
        ),
        2,
    )
