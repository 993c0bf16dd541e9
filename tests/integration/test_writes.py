"""A poll costs what changed: only the entities whose own data changed write their state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.sensor import ACCOUNT_SENSORS
from joulo_simulator import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID

from .common import ONE_POLL, Live, advance_time

pytestmark = pytest.mark.usefixtures("frozen_time")


@contextmanager
def count_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The entity ids of every state write (changed or not) while the block runs."""
    written: list[str] = []
    write = Entity.async_write_ha_state

    def counting_write(entity: Entity) -> None:
        written.append(entity.entity_id)
        write(entity)

    with monkeypatch.context() as patch:
        patch.setattr(Entity, "async_write_ha_state", counting_write)
        yield written


def shows_state(state: State | None) -> tuple[object, ...] | None:
    """What a state shows a user: its value and attributes (not when it was written)."""
    return None if state is None else (state.state, dict(state.attributes))


def shows(hass: HomeAssistant, entity_id: str) -> tuple[object, ...] | None:
    """What `entity_id` shows now."""
    return shows_state(hass.states.get(entity_id))


def entities_of(hass: HomeAssistant, entry: MockConfigEntry, charger_id: str) -> set[str]:
    """The entity ids of one charger."""
    return {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if f"_{charger_id}_" in entity.unique_id
    }


async def test_unchanged_poll_writes_nothing(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """No charger changed: a chargers poll writes no state at all."""
    hass, freezer, _, _ = live
    with count_writes(monkeypatch) as written:
        await advance_time(hass, freezer, ONE_POLL)
    assert written == []


async def test_a_changed_charger_writes_only_its_own_entities(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running session's energy grows on one charger: only what it shows that changed writes."""
    hass, freezer, simulator, init_integration = live
    simulator.start_session(GARAGE_ID, power_kw=11.0)
    await advance_time(hass, freezer, ONE_POLL)
    # The sessions refresh that a new session triggers has run; from now on only energy grows.
    await advance_time(hass, freezer, ONE_POLL)
    garage = entities_of(hass, init_integration, GARAGE_ID)
    # Only the enabled entities have a state (the hard restart button is disabled by default).
    before = {entity_id: state for entity_id in garage if (state := hass.states.get(entity_id))}

    with count_writes(monkeypatch) as written:
        await advance_time(hass, freezer, ONE_POLL)

    changed = {
        entity_id
        for entity_id, state in before.items()
        if shows(hass, entity_id) != shows_state(state)
    }
    # The status, the charging flag, the session's start and tag stay as they were: not written.
    assert set(written) == changed
    assert "sensor.garage_status" not in written
    assert set(written) <= garage
    assert "sensor.garage_session_energy" in written
    assert "sensor.garage_charging_power" in written
    # Each entity wrote once; the other chargers' and the account's entities did not write.
    assert sorted(written) == sorted(set(written)), sorted(written)
    assert not set(written) & entities_of(hass, init_integration, DRIVEWAY_ID)
    assert not set(written) & entities_of(hass, init_integration, CARPORT_ID)


async def test_a_completed_session_writes_only_its_chargers_last_session(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session ends: of the last-session sensors only those of its own charger write."""
    hass, freezer, simulator, _ = live
    simulator.start_session(GARAGE_ID, power_kw=11.0)
    await advance_time(hass, freezer, 3 * ONE_POLL)
    simulator.end_session(GARAGE_ID)

    with count_writes(monkeypatch) as written:
        await advance_time(hass, freezer, ONE_POLL)

    last_session = {entity_id for entity_id in written if "_last_session_" in entity_id}
    assert last_session == {
        "sensor.garage_last_session_energy",
        "sensor.garage_last_session_ere_credits",
        "sensor.garage_last_session_ere_value",
        "sensor.garage_last_session_ended",
    }


async def test_unchanged_energy_writes_no_account_entity(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hourly energy poll reads the same totals: the totals' entities write nothing.

    (The ERE position's forecasts move with the date, so its sensors may write.)
    """
    hass, freezer, _, _ = live
    with count_writes(monkeypatch) as written:
        await advance_time(hass, freezer, timedelta(hours=1), step=ONE_POLL)
    totals = {f"sensor.joulo_{description.key}" for description in ACCOUNT_SENSORS}
    assert not set(written) & totals
