"""The charging session event entity and the `joulo_session_*` bus events of a full session."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.event import ATTR_EVENT_TYPE, ATTR_EVENT_TYPES
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import SESSIONS_INTERVAL
from joulo_simulator import FaultKind
from joulo_simulator.account import CARPORT_ID, DEFAULT_ID_TAG, DRIVEWAY_ID, GARAGE_ID
from tests.integration.common import (
    ATTRIBUTES,
    GARAGE_EVENT,
    OPRIT_EVENT,
    Live,
    advance_time,
    async_restart_entry,
    device_id_of,
    fail_chargers_past_the_ride_out,
    log_sessions,
    net_euros,
    start_session_and_poll,
    until_listed,
)

pytestmark = [pytest.mark.usefixtures("frozen_time"), pytest.mark.live_and_synced]

MINUTE = timedelta(minutes=1)
HALF_MINUTE = timedelta(seconds=30)


async def test_event_entities_before_any_session(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Every charger has a charging session event entity with two event types and no event yet."""
    registry = er.async_get(hass)
    for entity_id, charger_id in (
        (GARAGE_EVENT, GARAGE_ID),
        (OPRIT_EVENT, DRIVEWAY_ID),
    ):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == STATE_UNKNOWN
        assert state.attributes[ATTR_EVENT_TYPES] == ["started", "ended"]
        entry = registry.async_get(entity_id)
        assert entry is not None
        assert entry.translation_key == "charging_session"
        assert entry.unique_id.endswith(f"_{charger_id}_charging_session")


async def test_full_session_fires_started_then_ended(live: Live) -> None:
    """A session fires `started` then `ended`, once each, on the event entity and the bus.

    `ended` carries the final kWh from `/sessions`, more than the last `kwh_so_far` the chargers
    poll saw; the bus events add the charger's device, id and name.
    """
    hass, freezer, simulator, init_integration = live
    log = log_sessions(hass)
    session = await start_session_and_poll(hass, freezer, simulator, DRIVEWAY_ID, power_kw=11.0)

    started = hass.states.get(OPRIT_EVENT)
    assert started is not None
    assert started.attributes[ATTR_EVENT_TYPE] == "started"
    started_seen = dt_util.parse_datetime(started.state)
    assert started_seen is not None
    assert session.started_at < started_seen <= session.started_at + 2 * MINUTE
    assert {key: started.attributes[key] for key in ATTRIBUTES} == {
        "session_id": session.id,
        "energy_kwh": session.energy_at(started_seen),  # the kWh so far of the poll that saw it
        "ere_credits": None,
        "counts_for_ere": True,
        "ere_value_eur": None,
        "started_at": session.started_at.isoformat(),
        "ended_at": None,
        "duration_minutes": None,
        "id_tag": DEFAULT_ID_TAG,
        "cost_eur": None,
        "net_cost_eur": None,
        "price_per_kwh": None,
    }

    await advance_time(hass, freezer, timedelta(minutes=90), step=MINUTE)
    last_seen = hass.states.get("sensor.oprit_session_energy")
    assert last_seen is not None
    await advance_time(hass, freezer, timedelta(seconds=50), step=timedelta(seconds=50))
    simulator.end_session(DRIVEWAY_ID)
    await advance_time(hass, freezer, MINUTE, step=MINUTE)

    ended = hass.states.get(OPRIT_EVENT)
    assert ended is not None
    assert ended.attributes[ATTR_EVENT_TYPE] == "ended"
    assert session.ended_at is not None
    expected_ended = {
        "session_id": session.id,
        "energy_kwh": session.kwh,
        "ere_credits": session.ere_credits,
        "counts_for_ere": True,
        "ere_value_eur": net_euros(session.ere_credits),
        "started_at": session.started_at.isoformat(),
        "ended_at": session.ended_at.isoformat(),
        "duration_minutes": 92.8,  # 2 + 90 minutes and 50 seconds
        "id_tag": DEFAULT_ID_TAG,
        "cost_eur": None,  # no price source in the options
        "net_cost_eur": None,
        "price_per_kwh": None,
    }
    assert {key: ended.attributes[key] for key in ATTRIBUTES} == expected_ended
    assert session.kwh == round(11.0 * (92 + 50 / 60) / 60, 2)
    assert session.kwh > float(last_seen.state)

    device_id = device_id_of(hass, init_integration, DRIVEWAY_ID)
    charger = {"device_id": device_id, "charger_id": DRIVEWAY_ID, "charger_name": "Oprit"}
    assert log.bus("started") == [
        {**{key: started.attributes[key] for key in ATTRIBUTES}, **charger}
    ]
    assert log.bus("ended") == [{**expected_ended, **charger}]
    assert [(entity_id, attrs[ATTR_EVENT_TYPE]) for entity_id, attrs in log.entity_events] == [
        (OPRIT_EVENT, "started"),
        (OPRIT_EVENT, "ended"),
    ]

    await advance_time(hass, freezer, timedelta(hours=2), step=MINUTE)
    assert log.counts() == {
        "entity_started": 1,
        "entity_ended": 1,
        "bus_started": 1,
        "bus_ended": 1,
    }


async def test_a_session_without_mid_earns_nothing(live: Live) -> None:
    """The Carport has no MID meter: its sessions end with 0 ERE and 0.0 EUR, not counting.

    Joulo lists ERE credits for them all the same.
    """
    hass, freezer, simulator, _ = live
    log = log_sessions(hass)
    simulator.set_charger_status(CARPORT_ID, "online")
    session = simulator.start_session(CARPORT_ID, power_kw=7.4, duration=timedelta(minutes=60))
    await advance_time(hass, freezer, timedelta(minutes=62), step=MINUTE)
    await until_listed(hass, freezer, simulator, session)

    assert session.ere_credits
    ended = log.bus("ended")
    assert [
        {key: event[key] for key in ("ere_credits", "counts_for_ere", "ere_value_eur")}
        for event in ended
    ] == [{"ere_credits": 0.0, "counts_for_ere": False, "ere_value_eur": 0.0}]
    assert log.bus("started")[0]["counts_for_ere"] is False
    state = hass.states.get("event.carport_charging_session")
    assert state is not None
    assert (state.attributes["ere_credits"], state.attributes["counts_for_ere"]) == (0.0, False)


async def test_last_event_is_restored_without_firing_again(live: Live) -> None:
    """After a restart the event entity shows its last event again, which is not a new event."""
    hass, freezer, simulator, init_integration = live
    await advance_time(hass, freezer, HALF_MINUTE, step=HALF_MINUTE)
    session = simulator.start_session(GARAGE_ID, duration=timedelta(minutes=30))
    await advance_time(hass, freezer, timedelta(minutes=32), step=MINUTE)
    await until_listed(hass, freezer, simulator, session)
    before = hass.states.get(GARAGE_EVENT)
    assert before is not None
    assert before.attributes[ATTR_EVENT_TYPE] == "ended"
    log = log_sessions(hass)

    await async_restart_entry(hass, init_integration)
    await advance_time(hass, freezer, timedelta(minutes=15), step=MINUTE)

    after = hass.states.get(GARAGE_EVENT)
    assert after is not None
    assert (after.state, dict(after.attributes)) == (before.state, dict(before.attributes))
    assert log.entity_events == []
    assert log.bus_events == []


async def test_event_entity_stays_available_while_the_api_fails(live: Live) -> None:
    """An outage delays announcements but keeps the last event: the entity stays available.

    The session ends while `/chargers` fails and `/sessions` works: its `ended` still reaches the
    entity at once, as a change from the previous event, not from `unavailable`.
    """
    hass, freezer, simulator, _ = live
    await advance_time(hass, freezer, HALF_MINUTE, step=HALF_MINUTE)
    running = simulator.start_session(GARAGE_ID)
    await advance_time(hass, freezer, 2 * MINUTE, step=MINUTE)
    await until_listed(hass, freezer, simulator, running)
    log = log_sessions(hass)
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers", status=503, times=None)
    await fail_chargers_past_the_ride_out(hass, freezer, ("sensor.garage_status",))
    started = hass.states.get(GARAGE_EVENT)
    assert started is not None
    assert started.attributes[ATTR_EVENT_TYPE] == "started"

    session = simulator.end_session(GARAGE_ID)
    await advance_time(hass, freezer, timedelta(minutes=10), step=MINUTE)
    # Only the sessions poll (every ten minutes) can see it, after Joulo lists it.
    await until_listed(hass, freezer, simulator, session, then=SESSIONS_INTERVAL)

    ended = hass.states.get(GARAGE_EVENT)
    assert ended is not None
    assert ended.attributes[ATTR_EVENT_TYPE] == "ended"
    assert ended.attributes["energy_kwh"] == session.kwh
    assert [attrs["session_id"] for _, attrs in log.entity_events] == [session.id]
    assert log.ended_ids() == [session.id]
