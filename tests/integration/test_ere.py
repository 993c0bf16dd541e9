"""ERE only where it counts, in euros: the demo account's chargers, the Carport without MID.

The simulator's Carport is a Wallbox without a MID meter: Joulo lists ERE credits for its sessions,
which never count. Each test reads what a user sees (states, attributes, repairs, the Activity panel)
and compares it with figures worked out here from the simulator's own data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.const import CONF_API_TOKEN, CONF_URL, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir, translation
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, mock_component

from custom_components.joulo.announcer import EVENT_SESSION_ENDED
from custom_components.joulo.const import DOMAIN
from custom_components.joulo.statistics import PAGE_DELAY
from joulo_simulator import FaultKind, JouloSimulator, SimSession, SimulatorServer
from joulo_simulator.account import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID

from .common import (
    Live,
    advance_time,
    logbook_messages,
    net_euros,
    set_up_entry,
    until_listed,
)

NOW = datetime(2026, 4, 9, 17, 30, tzinfo=UTC)
AMSTERDAM = "Europe/Amsterdam"
NAMES = {GARAGE_ID: "garage", DRIVEWAY_ID: "oprit", CARPORT_ID: "carport"}
BACKFILL_TIME = timedelta(minutes=1)
MINUTE = timedelta(minutes=1)


pytestmark = pytest.mark.usefixtures("quiet_database_log")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration; the recorder's database must come before `hass`."""


@pytest.fixture(autouse=True)
def frozen_at_evening(freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at `NOW` before the simulator builds its history."""
    freezer.move_to(NOW)


async def set_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Set up `entry` in Amsterdam time and let the session history be read."""
    await hass.config.async_set_time_zone(AMSTERDAM)
    await set_up_entry(hass, entry)
    await advance_time(hass, freezer, BACKFILL_TIME, step=timedelta(seconds=PAGE_DELAY))


def completed(simulator: JouloSimulator, charger_id: str) -> list[SimSession]:
    """A charger's completed sessions, oldest first."""
    return sorted(
        (
            session
            for session in simulator.account().sessions
            if session.charger_id == charger_id and session.ended_at is not None
        ),
        key=lambda session: session.started_at,
    )


def missed_this_year(simulator: JouloSimulator, charger_id: str) -> dict[str, Any]:
    """What a charger's completed sessions of this year (Amsterdam) would have earned."""
    year = dt_util.now().year
    sessions = [
        session
        for session in completed(simulator, charger_id)
        if dt_util.as_local(session.started_at).year == year
    ]
    credits_ = sum(session.ere_credits or 0.0 for session in sessions)
    return {
        "euros": round(credits_ * 0.87 * (1 - 12.5 / 100), 2),
        "energy_kwh": round(sum(session.kwh for session in sessions), 2),
        "ere_credits": round(credits_, 2),
        "sessions": len(sessions),
    }


def last_session_figures(hass: HomeAssistant, name: str) -> tuple[float, float, float, bool]:
    """A charger's last session as its sensors show it: kWh, ERE, EUR and whether it counts."""
    energy = hass.states.get(f"sensor.{name}_last_session_energy")
    credits_ = hass.states.get(f"sensor.{name}_last_session_ere_credits")
    value = hass.states.get(f"sensor.{name}_last_session_ere_value")
    assert energy is not None
    assert credits_ is not None
    assert value is not None
    return (
        float(energy.state),
        float(credits_.state),
        float(value.state),
        credits_.attributes["counts_for_ere"],
    )


def missed_state(hass: HomeAssistant, name: str = "carport") -> dict[str, Any]:
    """The `ere_missed_this_year` sensor: its euros and attributes."""
    state = hass.states.get(f"sensor.{name}_ere_missed_this_year")
    assert state is not None
    return {
        "euros": float(state.state),
        "energy_kwh": round(state.attributes["energy_kwh"], 2),
        "ere_credits": round(state.attributes["ere_credits"], 2),
        "sessions": state.attributes["sessions"],
    }


def no_mid_issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    """The `no_mid_meter` repair issues raised."""
    return [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "no_mid_meter"
    ]


async def test_the_demo_accounts_money(recorded: Live) -> None:
    """MID chargers show their last session's ERE and euros; the Carport 0 and what it missed.

    Every figure is worked out here from the simulator's sessions: a counting session's credits as
    Joulo gives them, euros at 0.87 EUR an ERE less the 12.5% fee.
    """
    hass, freezer, simulator, mock_config_entry = recorded
    await set_up(hass, freezer, mock_config_entry)

    figures: dict[str, tuple[float, float, float, bool]] = {}
    for charger_id, name in NAMES.items():
        last = completed(simulator, charger_id)[-1]
        figures[name] = last_session_figures(hass, name)
        if charger_id == CARPORT_ID:
            assert last.ere_credits  # Joulo lists credits, which do not count
            assert figures[name] == (last.kwh, 0.0, 0.0, False)
        else:
            assert figures[name] == (
                last.kwh,
                last.ere_credits,
                net_euros(last.ere_credits),
                True,
            )
    assert not hass.states.get("sensor.garage_ere_missed_this_year")
    assert not hass.states.get("sensor.oprit_ere_missed_this_year")

    expected = missed_this_year(simulator, CARPORT_ID)
    assert expected["sessions"] > 0
    assert missed_state(hass) == expected
    print(  # noqa: T201 - the demo's figures, for the record
        "demo figures:",
        {name: figure[:3] for name, figure in figures.items()},
        "Carport missed this year:",
        expected,
    )

    (issue,) = no_mid_issues(hass)
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "charger": "Carport",
        "kwh": f"{expected['energy_kwh']:.2f}".rstrip("0").rstrip("."),
        "missed": f"{expected['euros']:.2f}",
    }


@pytest.mark.usefixtures("recorder_mock")
async def test_a_store_from_before_the_tally_reads_the_history_again(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Statistics imported by an older version know nothing of what was missed: read it all once."""
    hass_storage[f"joulo.{mock_config_entry.entry_id}.statistics"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"joulo.{mock_config_entry.entry_id}.statistics",
        "data": {
            "seen_until": NOW.isoformat(),
            "chargers": {
                CARPORT_ID: {
                    "imported_until": NOW.isoformat(),
                    "last_session_id": "older",
                    "last_hour": None,
                    "last_hour_kwh": 0.0,
                    "sum": 0.0,
                }
            },
        },
    }
    await set_up(hass, freezer, mock_config_entry)

    assert missed_state(hass) == missed_this_year(simulator, CARPORT_ID)
    assert any(r.query.get("offset") == "100" for r in simulator.requests)


async def test_what_the_carport_misses_grows_with_each_session(recorded: Live) -> None:
    """A new Carport session adds to what it missed, after the sessions refresh; no history read."""
    hass, freezer, simulator, mock_config_entry = recorded
    await set_up(hass, freezer, mock_config_entry)
    before = missed_state(hass)
    history_pages = [r for r in simulator.requests if r.query.get("offset") not in (None, "0")]

    simulator.set_charger_status(CARPORT_ID, "online")
    session = simulator.start_session(CARPORT_ID, power_kw=7.4, duration=timedelta(hours=2))
    await advance_time(hass, freezer, timedelta(hours=2, minutes=2), step=MINUTE)
    await until_listed(hass, freezer, simulator, session)

    assert missed_state(hass) == missed_this_year(simulator, CARPORT_ID)
    assert missed_state(hass)["sessions"] == before["sessions"] + 1
    assert last_session_figures(hass, "carport") == (session.kwh, 0.0, 0.0, False)
    (issue,) = no_mid_issues(hass)
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["missed"] == f"{missed_state(hass)['euros']:.2f}"
    # Kept current from the sessions poll: no page of history was read again.
    assert [
        r for r in simulator.requests if r.query.get("offset") not in (None, "0")
    ] == history_pages


async def test_the_repair_goes_when_the_charger_counts_or_leaves(recorded: Live) -> None:
    """Upgraded to MID, the Carport's issue goes; back without, it returns; removed, it goes."""
    hass, freezer, simulator, mock_config_entry = recorded
    await set_up(hass, freezer, mock_config_entry)
    assert len(no_mid_issues(hass)) == 1

    simulator.charger(CARPORT_ID).mid_certified = True
    await advance_time(hass, freezer, timedelta(minutes=5), step=MINUTE)
    assert no_mid_issues(hass) == []

    simulator.charger(CARPORT_ID).mid_certified = False
    await advance_time(hass, freezer, timedelta(minutes=5), step=MINUTE)
    assert len(no_mid_issues(hass)) == 1

    simulator.remove_charger(CARPORT_ID)
    await advance_time(hass, freezer, timedelta(minutes=5), step=MINUTE)
    assert no_mid_issues(hass) == []

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert no_mid_issues(hass) == []


async def test_no_price_no_euros(recorded: Live) -> None:
    """Without `/me` and without an estimate basis no price is known: the euros read unknown.

    The ERE credits that count still show, and the repair issue says "?" for the euros.
    """
    hass, freezer, simulator, mock_config_entry = recorded
    simulator.account().me_available = False
    simulator.faults.inject(
        FaultKind.MISSING_FIELDS, fields=["estimate_basis"], endpoint="/sessions", times=None
    )
    await set_up(hass, freezer, mock_config_entry)

    last = completed(simulator, GARAGE_ID)[-1]
    assert float(hass.states.get("sensor.garage_last_session_ere_credits").state) == (  # type: ignore[union-attr]
        last.ere_credits
    )
    for entity_id in (
        "sensor.garage_last_session_ere_value",
        "sensor.carport_last_session_ere_value",
        "sensor.carport_ere_missed_this_year",
    ):
        assert hass.states.get(entity_id).state == STATE_UNKNOWN  # type: ignore[union-attr]
    (issue,) = no_mid_issues(hass)
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["missed"] == "?"


async def test_the_price_stays_when_an_answer_lacks_it(recorded: Live) -> None:
    """A `/sessions` answer without `estimate_basis` does not take the price away (no `/me` either).

    And a charger without MID that has not charged this year missed nothing: 0 EUR.
    """
    hass, freezer, simulator, mock_config_entry = recorded
    simulator.account().me_available = False
    await set_up(hass, freezer, mock_config_entry)
    value = hass.states.get("sensor.garage_last_session_ere_value")
    assert value is not None
    last = completed(simulator, GARAGE_ID)[-1]
    assert float(value.state) == net_euros(last.ere_credits)

    simulator.faults.inject(
        FaultKind.MISSING_FIELDS, fields=["estimate_basis"], endpoint="/sessions", times=None
    )
    schuur = simulator.add_charger(nickname="Schuur", connection_type="zaptec", mid_certified=False)
    session = simulator.start_session(GARAGE_ID, power_kw=11.0, duration=timedelta(hours=1))
    await advance_time(hass, freezer, timedelta(hours=1, minutes=2), step=MINUTE)
    await until_listed(hass, freezer, simulator, session)

    assert last_session_figures(hass, "garage") == (
        session.kwh,
        session.ere_credits,
        net_euros(session.ere_credits),
        True,
    )
    assert simulator.charger(schuur.id).sessions == []
    assert missed_state(hass, "schuur") == {
        "euros": 0.0,
        "energy_kwh": 0.0,
        "ere_credits": 0.0,
        "sessions": 0,
    }


async def test_the_activity_panel_describes_sessions_in_words(recorded: Live) -> None:
    """Started and ended, with kWh, ERE and euros; the Carport's "no ERE (no MID meter)"; in Dutch too."""
    hass, freezer, simulator, mock_config_entry = recorded
    # The Activity panel's own frontend is not installed here; the logbook needs only its name.
    mock_component(hass, "frontend")
    assert await async_setup_component(hass, "logbook", {})
    await set_up(hass, freezer, mock_config_entry)
    start = dt_util.utcnow()

    garage = simulator.start_session(GARAGE_ID, power_kw=11.0, duration=timedelta(hours=1))
    simulator.set_charger_status(CARPORT_ID, "online")
    carport = simulator.start_session(CARPORT_ID, power_kw=7.4, duration=timedelta(hours=1))
    await advance_time(hass, freezer, timedelta(hours=1, minutes=2), step=MINUTE)
    await until_listed(hass, freezer, simulator, garage)
    await until_listed(hass, freezer, simulator, carport)

    def number(value: float) -> str:
        return f"{value:.2f}".rstrip("0").rstrip(".")

    garage_ended = (
        f"Garage charging session ended, {number(garage.kwh)} kWh, "
        f"{number(garage.ere_credits or 0)} ERE (€{net_euros(garage.ere_credits):.2f})"
    )
    carport_ended = (
        f"Carport charging session ended, {number(carport.kwh)} kWh, no ERE (no MID meter)"
    )
    messages = await logbook_messages(hass, start)
    assert sorted(messages) == sorted(
        [
            "Garage charging session started",
            "Carport charging session started",
            garage_ended,
            carport_ended,
        ]
    )

    # An event recorded while no price was known: its credits, without euros.
    hass.bus.async_fire(
        EVENT_SESSION_ENDED,
        {
            "charger_name": "Garage",
            "energy_kwh": 27.84,
            "ere_credits": 9.26,
            "counts_for_ere": True,
            "ere_value_eur": None,
        },
    )
    assert "Garage charging session ended, 27.84 kWh, 9.26 ERE" in await logbook_messages(
        hass, start
    )

    await hass.config.async_update(language="nl")
    # What Home Assistant's startup sets up: the loaded integrations' texts follow the language.
    await translation.async_load_integrations(hass, {DOMAIN})
    dutch = await logbook_messages(hass, start)
    assert (
        f"Carport laadsessie beëindigd, {number(carport.kwh)} kWh, geen ERE (geen MID-meter)"
        in (dutch)
    )
    assert "Garage laadsessie gestart" in dutch


async def test_a_charger_upgraded_to_mid_counts_from_then_on(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
) -> None:
    """A Wallbox that got a MID meter 60 days ago: its later sessions count, its earlier ones not.

    It counts now, so it has no "missed" sensor and no repair; the report of the year splits its kWh.
    """
    account = simulator.add_account(mid_upgraded_days_ago=60)
    upgraded_at = NOW - timedelta(days=60)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=account.id,
        data={CONF_API_TOKEN: account.token, CONF_URL: simulator_server.base_url},
    )
    await set_up(hass, freezer, entry)
    wallbox = next(c for c in account.chargers.values() if c.connection_type == "wallbox")
    sessions = [s for s in wallbox.sessions if s.ended_at is not None]
    before = [s for s in sessions if s.started_at < upgraded_at]
    after = [s for s in sessions if s.started_at >= upgraded_at]
    assert before
    assert after

    name = wallbox.nickname.lower()
    last = max(after, key=lambda s: s.started_at)
    assert last_session_figures(hass, name) == (
        last.kwh,
        last.ere_credits,
        net_euros(last.ere_credits),
        True,
    )
    assert hass.states.get(f"sensor.{name}_ere_missed_this_year") is None
    assert no_mid_issues(hass) == []

    report = await hass.services.async_call(
        DOMAIN,
        "get_energy_report",
        {
            "config_entry_id": entry.entry_id,
            "from": (NOW - timedelta(days=365)).isoformat(),
            "to": NOW.isoformat(),
            "group_by": ["charger"],
        },
        blocking=True,
        return_response=True,
    )
    groups = cast("list[dict[str, Any]]", dict(report or {})["groups"])
    (group,) = [g for g in groups if g["charger_id"] == wallbox.id]
    in_year = [s for s in sessions if s.started_at >= NOW - timedelta(days=365)]
    counted = [s for s in in_year if s.started_at >= upgraded_at]
    assert group["kwh"] == pytest.approx(sum(s.kwh for s in in_year), abs=1e-6)
    assert group["ere_kwh"] == pytest.approx(sum(s.kwh for s in counted), abs=1e-6)
    assert group["ere_credits"] == pytest.approx(sum(s.ere_credits or 0 for s in counted), abs=1e-6)
