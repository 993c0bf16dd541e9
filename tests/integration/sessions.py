"""Helpers of the session tests: what the event entities and the bus announce, sessions, restarts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.announcer import EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from joulo_simulator import JouloSimulator, SimSession
from tests.integration.conftest import advance_time

GARAGE_EVENT = "event.garage_charging_session"
OPRIT_EVENT = "event.oprit_charging_session"
EVENT_ENTITIES = (GARAGE_EVENT, OPRIT_EVENT, "event.carport_charging_session")

ATTRIBUTES = (
    "session_id",
    "energy_kwh",
    "ere_credits",
    "started_at",
    "ended_at",
    "duration_minutes",
    "id_tag",
)
"""The attributes of every announcement, on the event entity and on the bus."""
HALF_MINUTE = timedelta(seconds=30)


def is_new_event(old: State | None, new: State | None) -> bool:
    """Whether a state change of an event entity is an event it fired.

    Not: the entity appearing (with its restored last event), going or coming back from unavailable,
    or an attribute change without a new event. Two events in the same millisecond (the tests' clock
    stands still) keep the state (their time) but change the event's type or session.
    """
    if old is None or new is None or STATE_UNAVAILABLE in (old.state, new.state):
        return False
    if new.state == STATE_UNKNOWN:
        return False
    return (new.state, _event_key(new)) != (old.state, _event_key(old))


def _event_key(state: State) -> tuple[Any, Any]:
    return state.attributes.get(ATTR_EVENT_TYPE), state.attributes.get("session_id")


@dataclass
class SessionLog:
    """Every announcement, as the event entities showed it and as the bus carried it."""

    entity_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(entity id, the new state's attributes) of each event an event entity fired."""
    bus_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(event type, data) of each `joulo_session_*` event on the bus."""

    def entity(self, event_type: str, entity_id: str | None = None) -> list[dict[str, Any]]:
        """The attributes of the entity events of one type (of one entity)."""
        return [
            attributes
            for fired_by, attributes in self.entity_events
            if attributes[ATTR_EVENT_TYPE] == event_type and entity_id in (None, fired_by)
        ]

    def bus(self, event_type: str) -> list[dict[str, Any]]:
        """The data of the bus events of one type (`started` or `ended`)."""
        name = EVENT_SESSION_STARTED if event_type == "started" else EVENT_SESSION_ENDED
        return [data for fired, data in self.bus_events if fired == name]

    def ended_ids(self) -> list[str]:
        """The session ids of the `ended` bus events, in order."""
        return [data["session_id"] for data in self.bus("ended")]

    def counts(self) -> dict[str, int]:
        """How many of each were seen: entity and bus, started and ended."""
        return {
            "entity_started": len(self.entity("started")),
            "entity_ended": len(self.entity("ended")),
            "bus_started": len(self.bus("started")),
            "bus_ended": len(self.bus("ended")),
        }


def log_sessions(hass: HomeAssistant) -> SessionLog:
    """Start recording the announcements of every Joulo event entity and on the bus."""
    log = SessionLog()

    @callback
    def state_changed(event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        new_state = event.data["new_state"]
        if entity_id.startswith("event.") and is_new_event(event.data["old_state"], new_state):
            assert new_state is not None
            log.entity_events.append((entity_id, dict(new_state.attributes)))

    @callback
    def announced(event: Event[dict[str, Any]]) -> None:
        log.bus_events.append((str(event.event_type), dict(event.data)))

    hass.bus.async_listen(EVENT_STATE_CHANGED, state_changed)
    hass.bus.async_listen(EVENT_SESSION_STARTED, announced)
    hass.bus.async_listen(EVENT_SESSION_ENDED, announced)
    return log


async def async_stop_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry, as Home Assistant does when it stops (what was announced is stored)."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def async_start_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up again from the stored announcements, as after a restart."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def async_restart_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry and set it up again: a restart of Home Assistant, for the integration."""
    await async_stop_entry(hass, entry)
    await async_start_entry(hass, entry)


async def start_session_and_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    charger_id: str,
    *,
    power_kw: float = 11.0,
    id_tag: str | None = None,
) -> SimSession:
    """Start a session half a minute from now, then let two minutes of chargers polls see it run."""
    await advance_time(hass, freezer, HALF_MINUTE, step=HALF_MINUTE)
    session = simulator.start_session(charger_id, power_kw=power_kw, id_tag=id_tag)
    await advance_time(hass, freezer, timedelta(minutes=2), step=HALF_MINUTE)
    return session
