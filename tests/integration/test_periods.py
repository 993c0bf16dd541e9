"""Month and year figures start again at local midnight by themselves, with no new data read.

Home Assistant runs in Amsterdam time here. At 00:00 on the 1st the month sensors read the new month
(0 until something is charged), with `last_reset` at its start; on 1 January what a charger without
MID missed, and its repair, start the new year from nothing. Each test freezes the clock shortly
before midnight, before the simulator builds its year of history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import DOMAIN
from custom_components.joulo.statistics import PAGE_DELAY
from joulo_simulator import JouloSimulator
from joulo_simulator.account import CARPORT_ID, GARAGE_ID

from .common import (
    ONE_POLL,
    Live,
    advance_time,
    async_stop_entry,
    net_euros,
    set_up_entry,
    start_session_and_poll,
    state_of,
    until_listed,
)

AMSTERDAM = "Europe/Amsterdam"
MONTH_SENSORS = (
    "sensor.joulo_energy_this_month",
    "sensor.joulo_energy_this_month_all_chargers",
    "sensor.joulo_ere_credits_this_month",
)
MISSED = "sensor.carport_ere_missed_this_year"
SECOND = timedelta(seconds=1)

pytestmark = pytest.mark.usefixtures("quiet_database_log")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration; the recorder's database must come before `hass`."""


async def set_up_in_amsterdam(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set `entry` up with Home Assistant in Amsterdam time."""
    await hass.config.async_set_time_zone(AMSTERDAM)
    await set_up_entry(hass, entry)


def sensor(hass: HomeAssistant, entity_id: str) -> State:
    """The state of a sensor that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state


def written(hass: HomeAssistant, entity_id: str) -> tuple[str, Any, Any]:
    """A sensor's state and when it was last written, changed or not."""
    state = sensor(hass, entity_id)
    return state.state, state.last_updated, state.last_reported


def period_of(hass: HomeAssistant, entity_id: str) -> tuple[str, str, str]:
    """A period figure as a user sees it: its state, state class and last reset."""
    state = sensor(hass, entity_id)
    return state.state, state.attributes["state_class"], state.attributes["last_reset"]


def no_mid_issues(hass: HomeAssistant) -> dict[str, dict[str, str] | None]:
    """The `no_mid_meter` repair issues raised, by id, with their placeholders."""
    return {
        issue_id: issue.translation_placeholders
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "no_mid_meter"
    }


def missed(hass: HomeAssistant) -> dict[str, Any]:
    """What the Carport missed this year, as its sensor shows it."""
    state = sensor(hass, MISSED)
    return {"euros": state.state, **state.attributes}


@pytest.mark.freeze_time("2026-04-30 21:58:00+00:00")  # 23:58 in Amsterdam
async def test_the_month_starts_again_at_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """At 1 May 00:00 the month sensors read May (0), with nothing read: only they write a state."""
    await set_up_in_amsterdam(hass, mock_config_entry)
    april = {entity_id: period_of(hass, entity_id) for entity_id in MONTH_SENSORS}
    assert {figure[1:] for figure in april.values()} == {("total", "2026-04-01T00:00:00+02:00")}
    assert all(float(figure[0]) > 0 for figure in april.values())
    total = written(hass, "sensor.joulo_total_energy")
    requests = simulator.request_count()

    await advance_time(hass, freezer, timedelta(minutes=2) - SECOND, step=timedelta(seconds=7))
    assert dt_util.now().isoformat() == "2026-04-30T23:59:59+02:00"
    assert {entity_id: period_of(hass, entity_id) for entity_id in MONTH_SENSORS} == april

    await advance_time(hass, freezer, SECOND)
    may = ("0.0", "total", "2026-05-01T00:00:00+02:00")
    assert {entity_id: period_of(hass, entity_id) for entity_id in MONTH_SENSORS} == dict.fromkeys(
        MONTH_SENSORS, may
    )
    # Not a request between: the chargers polls, which changed nothing.
    assert {request.endpoint for request in simulator.requests[requests:]} == {"/chargers"}
    # The lifetime totals did not change, and were not written again.
    assert written(hass, "sensor.joulo_total_energy") == total

    # May's first session (from 02:00: Joulo's months here are those of UTC) is May's figure.
    await advance_time(hass, freezer, timedelta(hours=2), step=timedelta(minutes=5))
    session = await start_session_and_poll(hass, freezer, simulator, GARAGE_ID)
    await advance_time(hass, freezer, timedelta(minutes=30), step=ONE_POLL)
    simulator.end_session(GARAGE_ID)
    await until_listed(hass, freezer, simulator, session, then=timedelta(minutes=2))
    assert session.kwh > 0
    assert period_of(hass, "sensor.joulo_energy_this_month") == (
        str(session.kwh),
        "total",
        "2026-05-01T00:00:00+02:00",
    )


@pytest.mark.freeze_time("2026-12-31 22:50:00+00:00")  # 23:50 in Amsterdam
async def test_the_year_starts_again_for_what_a_charger_missed(recorded: Live) -> None:
    """On 1 January the Carport's missed euros and its repair go; a session of the new year is back.

    Its session that started on New Year's Eve and ended in the new year counts in neither year.
    """
    hass, freezer, simulator, entry = recorded
    await set_up_in_amsterdam(hass, entry)
    await advance_time(hass, freezer, timedelta(minutes=1), step=timedelta(seconds=PAGE_DELAY))
    last_year = missed(hass)
    assert last_year["sessions"] > 0
    assert (last_year["state_class"], last_year["last_reset"]) == (
        "total",
        "2026-01-01T00:00:00+01:00",
    )
    assert len(no_mid_issues(hass)) == 1
    simulator.set_charger_status(CARPORT_ID, "online")
    across = simulator.start_session(CARPORT_ID, power_kw=7.4, duration=timedelta(minutes=30))

    await advance_time(hass, freezer, timedelta(minutes=9))  # to 00:00 on 1 January
    assert dt_util.now().isoformat() == "2027-01-01T00:00:00+01:00"
    new_year = {"euros": "0.0", "energy_kwh": 0.0, "ere_credits": 0.0, "sessions": 0}
    assert missed(hass) == {**last_year, **new_year, "last_reset": "2027-01-01T00:00:00+01:00"}
    assert no_mid_issues(hass) == {}
    assert period_of(hass, "sensor.joulo_energy_this_month") == (
        "0.0",
        "total",
        "2027-01-01T00:00:00+01:00",
    )

    await advance_time(hass, freezer, timedelta(minutes=21), step=ONE_POLL)
    await until_listed(hass, freezer, simulator, across)
    assert across.ended_at is not None
    assert across.kwh > 0
    assert missed(hass)["sessions"] == 0
    assert no_mid_issues(hass) == {}

    session = simulator.start_session(CARPORT_ID, power_kw=7.4, duration=timedelta(hours=1))
    await advance_time(hass, freezer, timedelta(hours=1), step=timedelta(minutes=5))
    await until_listed(hass, freezer, simulator, session)
    assert missed(hass) == {
        **last_year,
        "euros": str(net_euros(session.ere_credits)),
        "energy_kwh": session.kwh,
        "ere_credits": session.ere_credits,
        "sessions": 1,
        "last_reset": "2027-01-01T00:00:00+01:00",
    }
    (placeholders,) = no_mid_issues(hass).values()
    assert placeholders == {
        "charger": "Carport",
        "kwh": f"{session.kwh:.2f}".rstrip("0").rstrip("."),
        "missed": f"{net_euros(session.ere_credits):.2f}",
    }


@pytest.mark.freeze_time("2026-12-31 22:59:55+00:00")  # 23:59:55 in Amsterdam
async def test_a_history_read_across_new_year(recorded: Live) -> None:
    """The history being read at midnight: unknown until it is read, then the new year's nothing."""
    hass, freezer, _, entry = recorded
    await set_up_in_amsterdam(hass, entry)
    assert state_of(hass, MISSED) == STATE_UNKNOWN

    await advance_time(hass, freezer, timedelta(seconds=5))
    assert dt_util.now().isoformat() == "2027-01-01T00:00:00+01:00"
    assert period_of(hass, MISSED) == (STATE_UNKNOWN, "total", "2027-01-01T00:00:00+01:00")

    await advance_time(hass, freezer, timedelta(minutes=1), step=timedelta(seconds=PAGE_DELAY))
    assert missed(hass)["sessions"] == 0
    assert state_of(hass, MISSED) == "0.0"
    assert no_mid_issues(hass) == {}


@pytest.mark.freeze_time("2026-12-31 22:59:00+00:00")  # 23:59 in Amsterdam
async def test_an_unloaded_entry_sees_no_new_year(recorded: Live) -> None:
    """Unloaded before midnight, nothing of the entry runs at the new year (its timer is gone)."""
    hass, freezer, _, entry = recorded
    await set_up_in_amsterdam(hass, entry)
    await advance_time(hass, freezer, timedelta(seconds=30))
    await async_stop_entry(hass, entry)
    stopped = written(hass, MISSED)

    await advance_time(hass, freezer, timedelta(minutes=1))
    assert dt_util.now().isoformat() == "2027-01-01T00:00:30+01:00"
    assert written(hass, MISSED) == stopped
