"""Each vehicle's device and entities, as a user sees them: charging now, and this month's figures.

A session is a vehicle's when the vehicle lists its TAG id, or, without a TAG id, when the vehicle
claims its charger. The month figures add up the kept sessions that started this month (Home
Assistant's time zone); costs come from the entry's price source (unknown without one).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.pricing import CONF_FIXED_PRICE
from custom_components.joulo.statistics import PAGE_DELAY
from joulo_simulator import JouloSimulator, SimSession, SimulatorServer
from joulo_simulator.account import CARPORT_ID, DEFAULT_ID_TAG, DRIVEWAY_ID

from .common import (
    ONE_POLL,
    Live,
    advance_time,
    entry_of,
    net_euros,
    set_up_entry,
    start_session_and_poll,
    until_listed,
)

pytestmark = pytest.mark.usefixtures("frozen_time", "quiet_database_log")

PRICE = 0.3
RATE = 0.35
LEASE: dict[str, Any] = {
    "name": "Lease car",
    "id_tags": [f" {DEFAULT_ID_TAG.lower()} "],  # as typed: other case, spaces around
    "chargers": [],
    "reimbursement": "fixed_rate",
    "rate": RATE,
}
"""The lease car: its card is the Oprit's sessions' TAG id; paid back at a fixed rate."""
SECOND_CAR: dict[str, Any] = {
    "name": "Second car",
    "id_tags": [],
    "chargers": [CARPORT_ID],
    "reimbursement": "net_cost",
}
"""A car without a card, whose sessions are the Carport's without a TAG id."""
MONTH_KEYS = ("energy_this_month", "charging_cost_this_month", "ere_value_this_month")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration; the recorder's database must come before `hass`."""


async def add_vehicle(hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any]) -> str:
    """Add a vehicle through "Add vehicle"; its subentry id."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "vehicle"), context={"source": SOURCE_USER}
    )
    answer = {key: value for key, value in data.items() if value not in ([], None)}
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], answer)
    await hass.async_block_till_done()
    assert result["type"] == "create_entry", result
    return next(
        str(subentry_id)
        for subentry_id, subentry in entry.subentries.items()
        if subentry.title == data["name"]
    )


def sensor(hass: HomeAssistant, entity_id: str) -> State:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state


def this_month(simulator: JouloSimulator, belongs: Any) -> list[SimSession]:
    """The simulator's completed sessions that started this month (local) and `belongs`."""
    month = dt_util.now().strftime("%Y-%m")
    return [
        session
        for session in simulator.account().sessions
        if session.ended_at is not None
        and dt_util.as_local(session.started_at).strftime("%Y-%m") == month
        and belongs(session)
    ]


async def set_up_with_history(live: Live, entry: MockConfigEntry) -> None:
    """Set the entry up in Amsterdam time and let its session history be read."""
    hass, freezer, _, _ = live
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    await set_up_entry(hass, entry)
    await advance_time(hass, freezer, timedelta(minutes=2), step=timedelta(seconds=PAGE_DELAY))


def lease_session(session: SimSession) -> bool:
    """Whether a session is the lease car's: its card."""
    return session.id_tag == DEFAULT_ID_TAG


def second_car_session(session: SimSession) -> bool:
    """Whether a session is the second car's: the Carport's without a card."""
    return session.charger_id == CARPORT_ID and not session.id_tag


async def test_each_vehicle_adds_up_its_sessions_this_month(
    recorded: Live, simulator_server: SimulatorServer
) -> None:
    """kWh, cost, ERE value and reimbursement of each vehicle's sessions that started this month."""
    hass, _, simulator, _ = recorded
    entry = entry_of(simulator, simulator_server, {CONF_FIXED_PRICE: PRICE})
    await set_up_with_history(recorded, entry)
    await add_vehicle(hass, entry, LEASE)
    await add_vehicle(hass, entry, SECOND_CAR)

    lease = this_month(simulator, lease_session)
    assert lease
    kwh = round(sum(session.kwh for session in lease), 3)
    cost = round(sum(round(session.kwh * PRICE, 2) for session in lease), 2)
    ere = net_euros(round(sum(session.ere_credits or 0 for session in lease), 3))
    assert float(sensor(hass, "sensor.lease_car_energy_this_month").state) == kwh
    assert float(sensor(hass, "sensor.lease_car_charging_cost_this_month").state) == cost
    assert float(sensor(hass, "sensor.lease_car_ere_value_this_month").state) == ere
    assert float(sensor(hass, "sensor.lease_car_reimbursement_this_month").state) == round(
        kwh * RATE, 2
    )
    for key in MONTH_KEYS:
        state = sensor(hass, f"sensor.lease_car_{key}")
        assert state.attributes["last_reset"] == "2026-04-01T00:00:00+02:00"
        assert state.attributes["state_class"] == "total"

    second = this_month(simulator, second_car_session)
    second_cost = round(sum(round(session.kwh * PRICE, 2) for session in second), 2)
    assert float(sensor(hass, "sensor.second_car_energy_this_month").state) == round(
        sum(session.kwh for session in second), 3
    )
    # The Carport has no MID meter: its sessions earn no ERE, so the net cost is the cost.
    assert float(sensor(hass, "sensor.second_car_ere_value_this_month").state) == 0.0
    assert float(sensor(hass, "sensor.second_car_reimbursement_this_month").state) == second_cost

    newest = max(
        (session for session in simulator.account().sessions if lease_session(session)),
        key=lambda session: session.started_at,
    )
    assert float(sensor(hass, "sensor.lease_car_last_session_energy").state) == newest.kwh
    assert float(sensor(hass, "sensor.lease_car_last_session_cost").state) == round(
        newest.kwh * PRICE, 2
    )


async def test_a_vehicle_is_charging_while_a_charger_runs_its_session(
    live: Live, simulator_server: SimulatorServer
) -> None:
    """`Charging` follows the chargers poll, with the charger it charges at; off when it ends."""
    hass, freezer, simulator, entry = live
    await add_vehicle(hass, entry, LEASE)
    charging = "binary_sensor.lease_car_charging"
    assert sensor(hass, charging).state == "off"
    assert sensor(hass, charging).attributes["charger"] is None

    session = await start_session_and_poll(
        hass, freezer, simulator, DRIVEWAY_ID, id_tag=DEFAULT_ID_TAG
    )
    assert sensor(hass, charging).state == "on"
    assert sensor(hass, charging).attributes["charger"] == "Oprit"

    await advance_time(hass, freezer, timedelta(minutes=20), step=ONE_POLL)
    simulator.end_session(DRIVEWAY_ID)
    await until_listed(hass, freezer, simulator, session)
    assert sensor(hass, charging).state == "off"
    # Without a price source: no cost, and no reimbursement of a cost.
    assert float(sensor(hass, "sensor.lease_car_last_session_energy").state) == session.kwh
    assert sensor(hass, "sensor.lease_car_last_session_cost").state == "unknown"
    assert sensor(hass, "sensor.lease_car_charging_cost_this_month").state == "unknown"


async def test_a_session_with_another_card_is_not_the_vehicles(live: Live) -> None:
    """Another card on the lease car's charger: not the lease car's, and it is not charging."""
    hass, freezer, simulator, entry = live
    await add_vehicle(hass, entry, {**LEASE, "chargers": [DRIVEWAY_ID]})
    await start_session_and_poll(hass, freezer, simulator, DRIVEWAY_ID, id_tag="CAFEBABE")
    assert sensor(hass, "binary_sensor.lease_car_charging").state == "off"


async def test_changing_a_vehicle_changes_its_figures_and_entities_at_once(
    recorded: Live, simulator_server: SimulatorServer
) -> None:
    """A reimbursement of `none` has no reimbursement entity; another kind brings it back."""
    hass, _, simulator, _ = recorded
    entry = entry_of(simulator, simulator_server, {CONF_FIXED_PRICE: PRICE})
    await set_up_with_history(recorded, entry)
    subentry_id = await add_vehicle(hass, entry, LEASE)
    reimbursement = "sensor.lease_car_reimbursement_this_month"
    assert hass.states.get(reimbursement) is not None

    async def reconfigure(changes: dict[str, Any]) -> None:
        result = await hass.config_entries.subentries.async_init(
            (entry.entry_id, "vehicle"),
            context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
        )
        answer = {**LEASE, **changes}
        answer = {key: value for key, value in answer.items() if value not in ([], None)}
        result = await hass.config_entries.subentries.async_configure(result["flow_id"], answer)
        await hass.async_block_till_done()
        assert result["type"] == "abort", result

    await reconfigure({"reimbursement": "none", "rate": None})
    assert hass.states.get(reimbursement) is None
    await reconfigure({"reimbursement": "cost"})
    lease_cost = sensor(hass, "sensor.lease_car_charging_cost_this_month").state
    assert sensor(hass, reimbursement).state == lease_cost

    # The Carport's untagged sessions become the lease car's once it claims the Carport.
    before = float(sensor(hass, "sensor.lease_car_energy_this_month").state)
    await reconfigure({"reimbursement": "cost", "chargers": [CARPORT_ID]})
    carport = this_month(simulator, second_car_session)
    assert float(sensor(hass, "sensor.lease_car_energy_this_month").state) == round(
        before + sum(session.kwh for session in carport), 3
    )


async def test_a_vehicles_month_starts_again_at_local_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
) -> None:
    """At 00:00 on 1 May (Amsterdam) the month figures read May: 0, with `last_reset` then."""
    freezer.move_to("2026-04-30 21:58:00+00:00")  # 23:58 in Amsterdam
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    entry = entry_of(simulator, simulator_server, {CONF_FIXED_PRICE: PRICE})
    await set_up_entry(hass, entry)
    await add_vehicle(hass, entry, LEASE)
    april = sensor(hass, "sensor.lease_car_energy_this_month")
    assert float(april.state) > 0
    assert april.attributes["last_reset"] == "2026-04-01T00:00:00+02:00"

    await advance_time(hass, freezer, timedelta(minutes=2), step=ONE_POLL)
    for key in (*MONTH_KEYS, "reimbursement_this_month"):
        may = sensor(hass, f"sensor.lease_car_{key}")
        assert (may.state, may.attributes["last_reset"]) == ("0.0", "2026-05-01T00:00:00+02:00")
    # The last session is not a month's figure: it stays.
    assert float(sensor(hass, "sensor.lease_car_last_session_energy").state) > 0
