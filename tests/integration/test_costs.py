"""What charging costs: each session priced at the entry's price source, as a user sees it.

The cost entities exist only with a price source in the options. A session's cost is worked out
once, when it is first seen completed, from the hours it charged (the readings taken while it ran,
else spread evenly) and kept; its `ended` announcement carries it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.core import HomeAssistant, State
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, mock_component
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.joulo.const import DOMAIN
from custom_components.joulo.curve import hourly_kwh
from custom_components.joulo.pricing import CONF_FIXED_PRICE, CONF_PRICE_ENTITY
from custom_components.joulo.session_costs import SAVE_DELAY
from custom_components.joulo.statistics import PAGE_DELAY
from custom_components.joulo.storage import EntryStore
from joulo_simulator import JouloSimulator, SimSession, SimulatorServer
from joulo_simulator.account import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID

from .common import (
    ONE_POLL,
    OPRIT_EVENT,
    Live,
    advance_time,
    async_restart_entry,
    entry_of,
    log_sessions,
    logbook_rows,
    net_euros,
    set_up_entry,
    start_session_and_poll,
    until_listed,
)
from .test_statistics import rows_of

pytestmark = pytest.mark.usefixtures("frozen_time", "quiet_database_log")

PRICE = 0.25
"""The fixed price of the tests' entries, EUR/kWh."""
NAMES = {GARAGE_ID: "garage", DRIVEWAY_ID: "oprit", CARPORT_ID: "carport"}
MINUTE = timedelta(minutes=1)
HISTORY_READ = timedelta(minutes=2)
"""Long enough for the session history to be read, a page every `PAGE_DELAY` seconds."""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration; the recorder's database must come before `hass`."""


@pytest.fixture
def mock_config_entry(
    simulator: JouloSimulator, simulator_server: SimulatorServer
) -> MockConfigEntry:
    """The simulator's account with a fixed price in its options."""
    return entry_of(simulator, simulator_server, {CONF_FIXED_PRICE: PRICE})


def sensor(hass: HomeAssistant, entity_id: str) -> State:
    """The state of a sensor that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state


def newest_completed(simulator: JouloSimulator, charger_id: str) -> SimSession:
    """A charger's newest completed session in the simulator."""
    return max(
        (
            session
            for session in simulator.account().sessions
            if session.charger_id == charger_id and session.ended_at is not None
        ),
        key=lambda session: session.started_at,
    )


def ere_euros(session: SimSession) -> float:
    """What a session's ERE are worth: nothing on a charger without MID."""
    return net_euros(session.ere_credits) if session.mid_certified else 0.0


def expected_cost(session: SimSession, basis: str) -> dict[str, Any]:
    """The cost of a session at `PRICE`, as the last session's cost sensor shows it."""
    cost = round(session.kwh * PRICE, 2)
    return {
        "state": str(cost),
        "price_per_kwh": PRICE if session.kwh else None,
        "net_cost": round(cost - ere_euros(session), 2),
        "basis": basis,
        "missing_hours": [],
    }


def shown_cost(hass: HomeAssistant, name: str) -> dict[str, Any]:
    """A charger's last session cost as its sensor shows it."""
    state = sensor(hass, f"sensor.{name}_last_session_cost")
    return {
        "state": state.state,
        **{
            key: state.attributes.get(key)
            for key in ("price_per_kwh", "net_cost", "basis", "missing_hours")
        },
    }


async def test_without_a_price_source_no_cost_entity_is_made(
    hass: HomeAssistant, simulator: JouloSimulator, simulator_server: SimulatorServer
) -> None:
    """An entry without a price in its options has no cost entity, and keeps no costs."""
    entry = entry_of(simulator, simulator_server, {})
    await set_up_entry(hass, entry)
    assert hass.states.get("sensor.garage_session_energy") is not None
    costly = [
        state.entity_id
        for state in hass.states.async_all("sensor")
        if "cost" in state.entity_id or "net_price" in state.entity_id
    ]
    assert costly == []
    assert not entry.runtime_data.costs.priced


async def test_a_fixed_price_prices_each_chargers_last_session(live: Live) -> None:
    """Each charger's last session: its kWh at the price, net of its ERE, spread (never seen)."""
    hass, _, simulator, _ = live
    for charger_id, name in NAMES.items():
        session = newest_completed(simulator, charger_id)
        assert shown_cost(hass, name) == expected_cost(session, "spread")
        state = sensor(hass, f"sensor.{name}_last_session_cost")
        assert state.attributes["unit_of_measurement"] == "EUR"
        assert state.attributes["device_class"] == "monetary"
        assert state.attributes["state_class"] == "total"


async def test_a_session_seen_running_is_priced_as_it_ends_and_announced_with_its_cost(
    live: Live,
) -> None:
    """The `ended` event and the sensor carry the cost of a session whose hours were observed."""
    hass, freezer, simulator, entry = live
    log = log_sessions(hass)
    session = await start_session_and_poll(hass, freezer, simulator, DRIVEWAY_ID)
    await advance_time(hass, freezer, timedelta(minutes=75), step=MINUTE)
    simulator.end_session(DRIVEWAY_ID)
    await until_listed(hass, freezer, simulator, session)

    cost = round(session.kwh * PRICE, 2)
    ended = {
        "cost_eur": cost,
        "net_cost_eur": round(cost - ere_euros(session), 2),
        "price_per_kwh": PRICE,
    }
    assert [{key: data[key] for key in ended} for data in log.bus("ended")] == [ended]
    started = log.bus("started")
    assert [{key: data[key] for key in ended} for data in started] == [dict.fromkeys(ended)]
    event = sensor(hass, OPRIT_EVENT)
    assert event.attributes[ATTR_EVENT_TYPE] == "ended"
    assert {key: event.attributes[key] for key in ended} == ended
    assert shown_cost(hass, "oprit") == expected_cost(session, "observed")
    # Its readings are gone once its statistics and cost are worked out (no recorder here: cost).
    readings = entry.runtime_data.readings
    assert readings is None or session.id not in readings


async def test_readings_kept_across_a_restart_still_draw_the_session(
    live: Live, hass_storage: dict[str, Any]
) -> None:
    """A restart in the middle of a session keeps its readings: it is still priced as observed."""
    hass, freezer, simulator, entry = live
    session = await start_session_and_poll(hass, freezer, simulator, GARAGE_ID)
    await advance_time(hass, freezer, timedelta(minutes=40), step=ONE_POLL)
    await async_restart_entry(hass, entry)
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.{EntryStore.READINGS}"]["data"]
    assert session.id in stored["sessions"]
    await advance_time(hass, freezer, timedelta(minutes=40), step=ONE_POLL)
    simulator.end_session(GARAGE_ID)
    await until_listed(hass, freezer, simulator, session)

    assert shown_cost(hass, "garage") == expected_cost(session, "observed")


async def test_a_cost_is_kept_and_not_worked_out_again_after_a_restart(
    live: Live, hass_storage: dict[str, Any]
) -> None:
    """The store keeps each cost with its basis: after a restart it is read, not priced again."""
    hass, freezer, simulator, entry = live
    session = await start_session_and_poll(hass, freezer, simulator, DRIVEWAY_ID)
    await advance_time(hass, freezer, timedelta(minutes=30), step=MINUTE)
    simulator.end_session(DRIVEWAY_ID)
    await until_listed(hass, freezer, simulator, session)
    before = shown_cost(hass, "oprit")
    assert before["basis"] == "observed"

    await async_restart_entry(hass, entry)
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.{EntryStore.COSTS}"]["data"]
    assert stored["source"] == f"fixed:{PRICE}"
    assert stored["sessions"][session.id]["cost"]["basis"] == "observed"
    # Readings of the session are gone, so were it priced again it would be spread.
    assert shown_cost(hass, "oprit") == before


async def test_the_month_adds_up_the_sessions_that_started_in_it(
    recorded: Live,
) -> None:
    """With the history read, the month's cost per charger and of the account, and the net price."""
    hass, freezer, simulator, entry = recorded
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    await set_up_entry(hass, entry)
    await advance_time(hass, freezer, HISTORY_READ, step=timedelta(seconds=PAGE_DELAY))

    month = dt_util.now().strftime("%Y-%m")
    this_month = [
        session
        for session in simulator.account().sessions
        if session.ended_at is not None
        and dt_util.as_local(session.started_at).strftime("%Y-%m") == month
    ]
    assert this_month
    costs = {session.id: round(session.kwh * PRICE, 2) for session in this_month}
    for charger_id, name in NAMES.items():
        mine = [session for session in this_month if session.charger_id == charger_id]
        state = sensor(hass, f"sensor.{name}_charging_cost_this_month")
        assert float(state.state) == pytest.approx(
            sum(costs[session.id] for session in mine), abs=0.005
        )
        assert state.attributes["last_reset"] == "2026-04-01T00:00:00+02:00"
        assert state.attributes["sessions"] == state.attributes["sessions_priced"] == len(mine)

    total = sum(costs.values())
    net = sum(costs[session.id] - ere_euros(session) for session in this_month)
    kwh = sum(session.kwh for session in this_month)
    account = sensor(hass, "sensor.joulo_charging_cost_this_month")
    assert float(account.state) == pytest.approx(total, abs=0.005)
    assert account.attributes["sessions_priced"] == len(this_month)
    assert float(sensor(hass, "sensor.joulo_net_charging_cost_this_month").state) == (
        pytest.approx(net, abs=0.005)
    )
    assert float(sensor(hass, "sensor.joulo_net_price_this_month").state) == pytest.approx(
        net / kwh, abs=0.0001
    )
    # A new session this month adds its cost to its charger and the account.
    session = await start_session_and_poll(hass, freezer, simulator, GARAGE_ID)
    await advance_time(hass, freezer, timedelta(minutes=30), step=ONE_POLL)
    simulator.end_session(GARAGE_ID)
    await until_listed(hass, freezer, simulator, session)
    assert float(sensor(hass, "sensor.joulo_charging_cost_this_month").state) == (
        pytest.approx(total + round(session.kwh * PRICE, 2), abs=0.005)
    )


async def test_the_activity_panel_tells_the_cost_with_an_icon(recorded: Live) -> None:
    """The logbook line: "Oprit charging session ended, … kWh, … ERE (€…), cost €…", with its own icon."""
    hass, freezer, simulator, entry = recorded
    mock_component(hass, "frontend")
    assert await async_setup_component(hass, "logbook", {})
    await set_up_entry(hass, entry)
    start = dt_util.utcnow()
    session = await start_session_and_poll(hass, freezer, simulator, DRIVEWAY_ID)
    await advance_time(hass, freezer, timedelta(minutes=20), step=MINUTE)
    simulator.end_session(DRIVEWAY_ID)
    await until_listed(hass, freezer, simulator, session)

    rows = await logbook_rows(hass, start)
    ended = [row for row in rows if "ended" in row["message"]]
    assert [row["message"].rsplit(", ", 1)[1] for row in ended] == [
        f"cost €{round(session.kwh * PRICE, 2):.2f}"
    ]
    assert {row["icon"] for row in rows} == {"mdi:ev-station", "mdi:ev-plug-type2"}


async def test_a_new_price_in_the_options_prices_the_sessions_again_without_a_restart(
    live: Live,
) -> None:
    """Changing the fixed price in the options reloads the entry: the costs start over at it."""
    hass, _, simulator, entry = live
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FIXED_PRICE: 0.4}
    )
    await hass.async_block_till_done()
    session = newest_completed(simulator, GARAGE_ID)
    state = sensor(hass, "sensor.garage_last_session_cost")
    assert float(state.state) == round(session.kwh * 0.4, 2)
    assert state.attributes["price_per_kwh"] == 0.4


async def test_the_energy_report_adds_up_the_costs(live: Live) -> None:
    """The report's groups and total carry the cost, net cost and sessions priced (fixed price)."""
    hass, _, simulator, entry = live
    start, end = dt_util.utcnow() - timedelta(days=60), dt_util.utcnow()
    sessions = [
        session
        for session in simulator.account().sessions
        if start <= session.started_at < end and session.ended_at is not None
    ]
    response = await hass.services.async_call(
        DOMAIN,
        "get_energy_report",
        {
            "config_entry_id": entry.entry_id,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "group_by": [],
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    total = response["total"]
    assert isinstance(total, dict)
    costs = [round(session.kwh * PRICE, 2) for session in sessions]
    assert total["sessions_priced"] == len(sessions) > 20  # more than the sessions poll lists
    assert total["cost_eur"] == pytest.approx(sum(costs), abs=0.005)
    assert total["net_cost_eur"] == pytest.approx(
        sum(cost - ere_euros(session) for cost, session in zip(costs, sessions, strict=True)),
        abs=0.005,
    )


PRICE_ENTITY = "sensor.electricity_price"
HOURLY_PRICES = (0.20, 0.40, 0.30, 0.10)
"""EUR/kWh from the hour the session starts in, one per hour."""


async def set_price(hass: HomeAssistant, price: float, unit: str = "EUR/kWh") -> None:
    """The price entity's state from now on, written by the recorder (as it is in seconds)."""
    hass.states.async_set(PRICE_ENTITY, str(price), {"unit_of_measurement": unit})
    await async_wait_recording_done(hass)


async def test_a_price_entity_prices_the_hours_the_car_charged(
    recorded: Live, simulator_server: SimulatorServer, hass_storage: dict[str, Any]
) -> None:
    """Each hour's kWh at the price entity's mean in that hour, read from the recorder."""
    hass, freezer, simulator, _ = recorded
    entry = entry_of(simulator, simulator_server, {CONF_PRICE_ENTITY: PRICE_ENTITY})
    log = log_sessions(hass)
    await set_price(hass, HOURLY_PRICES[0] * 1000, "EUR/MWh")  # read in its own unit
    await set_up_entry(hass, entry)
    await advance_time(hass, freezer, HISTORY_READ, step=timedelta(seconds=PAGE_DELAY))
    # The history was never priced: its hours have no price, so its costs are unknown.
    garage = sensor(hass, "sensor.garage_last_session_cost")
    assert garage.state == "unknown"
    assert garage.attributes["missing_hours"]

    session = await start_session_and_poll(hass, freezer, simulator, DRIVEWAY_ID)
    hour = session.started_at.replace(minute=0, second=0)
    for price in HOURLY_PRICES[1:3]:
        next_hour = hour + timedelta(hours=1)
        await advance_time(hass, freezer, next_hour - dt_util.utcnow(), step=MINUTE)
        await set_price(hass, price)
        hour = next_hour
    await advance_time(hass, freezer, timedelta(minutes=20), step=MINUTE)
    simulator.end_session(DRIVEWAY_ID)
    await until_listed(hass, freezer, simulator, session)
    assert session.ended_at is not None

    start = session.started_at.replace(minute=0, second=0)
    hours = [start + timedelta(hours=n) for n in range(3)]
    charged = [
        session.energy_until(min(hour + timedelta(hours=1), session.ended_at))
        - session.energy_until(max(hour, session.started_at))
        for hour in hours
    ]
    expected = round(
        sum(kwh * price for kwh, price in zip(charged, HOURLY_PRICES, strict=False)), 2
    )
    state = sensor(hass, "sensor.oprit_last_session_cost")
    assert float(state.state) == pytest.approx(expected, abs=0.02)
    assert state.attributes["basis"] == "observed"
    assert state.attributes["price_per_kwh"] == pytest.approx(expected / session.kwh, abs=0.002)
    # The `ended` announcement waited for the cost.
    assert [data["cost_eur"] for data in log.bus("ended")] == [float(state.state)]
    await advance_time(hass, freezer, timedelta(seconds=SAVE_DELAY))
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.{EntryStore.COSTS}"]["data"]
    assert stored["source"] == f"entity:{PRICE_ENTITY}"
    assert stored["sessions"][session.id]["cost"]["cost_eur"] == float(state.state)


def demo_price(hour: datetime) -> float:
    """A dynamic tariff (EUR/kWh) by local hour: cheap at night, dear from 17:00 to 21:00."""
    local = dt_util.as_local(hour).hour
    if local < 6:
        return 0.18
    if 17 <= local < 21:
        return 0.38
    return 0.27


async def test_a_car_that_charged_4_of_its_12_hours_is_in_those_hours_and_priced_at_them(
    recorded: Live, simulator_server: SimulatorServer
) -> None:
    """Plugged in at 18:30, full at 05:00 after the Garage's 01:00 schedule, unplugged at 06:45.

    The Energy dashboard's statistics hold its kWh in the four hours it drew power, not spread over
    twelve; its cost is those hours' (night) prices, not the evening's.
    """
    hass, freezer, simulator, _ = recorded
    freezer.move_to("2026-04-15 16:25:00+00:00")  # 18:25 in Amsterdam
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    entry = entry_of(simulator, simulator_server, {CONF_PRICE_ENTITY: PRICE_ENTITY})
    await set_price(hass, demo_price(dt_util.utcnow()))
    await set_up_entry(hass, entry)
    await advance_time(hass, freezer, timedelta(minutes=5), step=ONE_POLL)
    session = simulator.start_session(
        GARAGE_ID, kwh=44.0, duration=timedelta(hours=12, minutes=15), id_tag="CAFE0044"
    )
    hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    while session.ended_at is None or dt_util.utcnow() < session.ended_at + timedelta(minutes=20):
        hour += timedelta(hours=1)
        await advance_time(hass, freezer, hour - dt_util.utcnow(), step=ONE_POLL)
        await set_price(hass, demo_price(hour))
    await until_listed(hass, freezer, simulator, session)
    assert session.ended_at is not None

    rows = {
        row["start"]: row["state"]
        for row in await rows_of(hass, GARAGE_ID)
        if row["start"] >= session.started_at.replace(minute=0)
    }
    charged = {hour: kwh for hour, kwh in rows.items() if kwh}
    local_hours = sorted(dt_util.as_local(hour).hour for hour in charged)
    assert local_hours == [1, 2, 3, 4]
    assert sum(rows.values()) == pytest.approx(44.0)
    assert all(kwh == pytest.approx(11.0, abs=0.5) for kwh in charged.values())

    spread = hourly_kwh(session.started_at, session.ended_at, session.kwh, ())
    spread_cost = round(sum(kwh * demo_price(hour) for hour, kwh in spread), 2)
    state = sensor(hass, "sensor.garage_last_session_cost")
    assert state.attributes["basis"] == "observed"
    assert float(state.state) == pytest.approx(44.0 * 0.18, abs=0.02)
    assert float(state.state) < spread_cost
    print(  # noqa: T201 - the figures a reader of the test output compares
        "\nhour (local)  observed kWh  spread kWh  EUR/kWh\n"
        + "\n".join(
            f"{dt_util.as_local(hour):%H:%M}  {rows.get(hour, 0.0):12.3f}  {kwh:10.3f}"
            f"  {demo_price(hour):7.2f}"
            for hour, kwh in spread
        )
        + f"\ncost observed €{float(state.state):.2f}, spread evenly €{spread_cost:.2f}"
    )
