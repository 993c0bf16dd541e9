"""Charging history in long-term statistics: what the Energy dashboard gets from completed sessions.

Each test reads back what the recorder holds (the statistic's hourly `state` and `sum`, as the Energy
dashboard does) and counts the requests the simulator received for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import itertools
import logging
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
    statistics_during_period,
    valid_statistic_id,
)
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.joulo.api import MAX_SESSIONS_LIMIT
from custom_components.joulo.statistics import PAGE_DELAY
from joulo_simulator import FaultKind, JouloSimulator, SimSession
from joulo_simulator.account import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID

from .common import Live, advance_time, inject_failed_read, set_up_entry, state_of

NOW = datetime(2026, 4, 9, 17, 30, tzinfo=UTC)
"""A half hour, so the test sessions start in the middle of an hour."""
CHARGERS = (GARAGE_ID, DRIVEWAY_ID, CARPORT_ID)
GARAGE_STATISTIC = "joulo:5f0c1a2e_7b3d_4c8e_9a61_2d4f8b0e1c37_energy"
PAGE_STEP = timedelta(seconds=PAGE_DELAY)
BACKFILL_TIME = timedelta(minutes=1)
"""Long enough for the default account's history: one page every `PAGE_DELAY` seconds."""
POLL_STEP = timedelta(seconds=60)
SHORT = 5
"""Sessions per charger kept in tests that are not about reading history."""
TWO_PAGES = 40
"""Sessions per charger kept in tests about reading history: 120 in all, two pages."""

type Rows = list[dict[str, Any]]


pytestmark = pytest.mark.usefixtures("quiet_database_log")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Let Home Assistant load our integration; the recorder's database must come before `hass`."""


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """Record no entity states: these tests look at statistics only, and states slow them down."""
    return {"exclude": {"domains": ["binary_sensor", "event", "sensor"]}}


@pytest.fixture(autouse=True)
def frozen_at_evening(freezer: FrozenDateTimeFactory) -> None:
    """Freeze time at this module's `NOW`, an evening, before the simulator builds its history."""
    freezer.move_to(NOW)


def statistic_id(charger_id: str) -> str:
    """The statistic id of a charger, with the `-` a statistic id cannot hold as `_`."""
    return f"joulo:{charger_id.replace('-', '_')}_energy"


def completed_kwh(simulator: JouloSimulator, charger_id: str) -> float:
    """The kWh of a charger's completed sessions, as the simulator has them."""
    return sum(
        session.kwh
        for session in simulator.account().sessions
        if session.charger_id == charger_id and session.ended_at is not None
    )


def sessions_offsets(simulator: JouloSimulator) -> list[str | None]:
    """The `offset` of every `/sessions` request so far, in order (None: the first page)."""
    return [
        request.query.get("offset")
        for request in simulator.requests
        if request.endpoint == "/sessions"
    ]


def keep_newest_sessions(simulator: JouloSimulator, per_charger: int) -> None:
    """Shorten the default account's history to each charger's newest sessions: fewer rows to import."""
    account = simulator.account()
    kept: list[SimSession] = []
    for charger_id in CHARGERS:
        own = [session for session in account.sessions if session.charger_id == charger_id]
        kept += sorted(own, key=lambda session: session.started_at)[-per_charger:]
    account.sessions[:] = kept


async def rows_of(hass: HomeAssistant, charger_id: str) -> Rows:
    """The hourly rows (start, state, sum) of a charger's statistic, oldest first."""
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        NOW - timedelta(days=400),
        None,
        {statistic_id(charger_id)},
        "hour",
        None,
        {"state", "sum"},
    )
    return [
        {
            "start": datetime.fromtimestamp(row["start"], UTC),
            "state": row["state"],
            "sum": row["sum"],
        }
        for row in found.get(statistic_id(charger_id), [])
    ]


def total(rows: Rows) -> float:
    """The statistic's sum: what the Energy dashboard counts up to the last hour."""
    return rows[-1]["sum"] if rows else 0.0


def changed_hours(before: Rows, after: Rows) -> dict[datetime, float]:
    """How much each hour's state grew from `before` to `after` (new hours from 0)."""
    old = {row["start"]: row["state"] for row in before}
    return {
        row["start"]: round(row["state"] - old.get(row["start"], 0.0), 3)
        for row in after
        if row["state"] != old.get(row["start"])
    }


@dataclass
class History:
    """What a test here works with: Home Assistant with the recorder, its clock, the simulator, the entry."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    simulator: JouloSimulator
    entry: MockConfigEntry

    async def advance(self, duration: timedelta, *, step: timedelta = POLL_STEP) -> None:
        """Move the clock by `duration`, one poll (or `step`) at a time."""
        await advance_time(self.hass, self.freezer, duration, step=step)

    async def rows(self, charger_id: str) -> Rows:
        """The hourly rows of a charger's statistic, oldest first."""
        return await rows_of(self.hass, charger_id)

    def offsets(self) -> list[str | None]:
        """The `offset` of every `/sessions` request so far."""
        return sessions_offsets(self.simulator)

    async def set_up(self, per_charger: int | None = None) -> None:
        """Keep `per_charger` sessions a charger (all when None) and set the entry up."""
        if per_charger is not None:
            keep_newest_sessions(self.simulator, per_charger)
        await set_up_entry(self.hass, self.entry)

    async def backfill(self, per_charger: int | None = SHORT) -> None:
        """Set the entry up and let the history be read."""
        await self.set_up(per_charger)
        await self.advance(BACKFILL_TIME, step=PAGE_STEP)

    async def reload_setup(self) -> None:
        """Set the unloaded entry up again."""
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)

    async def unload(self) -> None:
        """Unload the entry."""
        assert await self.hass.config_entries.async_unload(self.entry.entry_id)

    async def assert_whole_history(self) -> None:
        """Each charger's statistic sums up exactly the kWh of its completed sessions."""
        for charger_id in CHARGERS:
            rows = await self.rows(charger_id)
            assert total(rows) == pytest.approx(completed_kwh(self.simulator, charger_id), abs=1e-6)


@pytest.fixture
def history(recorded: Live) -> History:
    """The account's history with the recorder running; nothing set up yet."""
    return History(*recorded)


async def test_backfill_imports_the_whole_history(history: History) -> None:
    """After first setup each charger's statistic holds its whole history, for a few extra pages."""
    await history.backfill(per_charger=None)

    sessions = len(history.simulator.account().sessions)
    assert sessions > 3 * MAX_SESSIONS_LIMIT  # the history takes four pages
    # The sessions poll read the first page; the history only the others, until a short one.
    assert history.offsets() == [None, "100", "200", "300"]
    assert math.ceil(sessions / MAX_SESSIONS_LIMIT) == len(history.offsets())
    await history.assert_whole_history()
    for charger_id in CHARGERS:
        rows = await history.rows(charger_id)
        assert math.fsum(row["state"] for row in rows) == pytest.approx(total(rows), abs=1e-6)
        # Hourly: every row starts on the hour, and each adds its state to the sum.
        assert all(row["start"].minute == row["start"].second == 0 for row in rows)
        sums = [0.0] + [row["sum"] for row in rows]
        assert [round(b - a, 3) for a, b in itertools.pairwise(sums)] == [
            row["state"] for row in rows
        ]

    # Nothing is read twice: the next hours only poll.
    await history.advance(timedelta(hours=1))
    assert history.offsets()[4:] == [None] * 6


async def test_session_over_three_hours_lands_in_the_hours_it_charged(history: History) -> None:
    """17:30-19:15 at 8 kW: 4 kWh at 17:00, 8 at 18:00, 2 at 19:00; counted once it has ended.

    The Garage is a cloud charger: its readings are taken at the polls after Joulo's syncs, so an
    hour may be off by the few Wh drawn between a sync and the poll that read it.
    """
    await history.set_up(SHORT)
    history.simulator.start_session(GARAGE_ID, power_kw=8, duration=timedelta(hours=1, minutes=45))
    await history.advance(BACKFILL_TIME, step=PAGE_STEP)
    before = await history.rows(GARAGE_ID)

    await history.advance(timedelta(hours=1, minutes=43))
    assert await history.rows(GARAGE_ID) == before  # running: not counted yet

    await history.advance(timedelta(minutes=2))
    after = await history.rows(GARAGE_ID)
    day = NOW.replace(minute=0)
    assert changed_hours(before, after) == pytest.approx(
        {day: 4.0, day + timedelta(hours=1): 8.0, day + timedelta(hours=2): 2.0}, abs=0.005
    )
    assert total(after) == pytest.approx(total(before) + 14.0)


async def test_new_sessions_are_added_and_share_an_hour(history: History) -> None:
    """Two sessions in one hour, each imported after the sessions refresh that lists it completed."""
    await history.backfill()
    before = await history.rows(DRIVEWAY_ID)
    garage_before = await history.rows(GARAGE_ID)
    hour = NOW.replace(minute=0)

    first = history.simulator.start_session(DRIVEWAY_ID, power_kw=6, duration=timedelta(minutes=10))
    await history.advance(timedelta(minutes=12))
    assert first.kwh == 1.0
    middle = await history.rows(DRIVEWAY_ID)
    assert changed_hours(before, middle) == {hour: 1.0}
    assert total(middle) == pytest.approx(total(before) + 1.0)

    second = history.simulator.start_session(DRIVEWAY_ID, power_kw=6, duration=timedelta(minutes=5))
    await history.advance(timedelta(minutes=7))
    assert second.kwh == 0.5
    after = await history.rows(DRIVEWAY_ID)
    assert changed_hours(middle, after) == {hour: 0.5}
    assert after[-1] == {"start": hour, "state": 1.5, "sum": pytest.approx(total(before) + 1.5)}
    assert await history.rows(GARAGE_ID) == garage_before  # other chargers keep theirs


async def test_restart_counts_nothing_twice_and_catches_up(history: History) -> None:
    """A reload keeps every sum; a session that ended while unloaded is added after setup."""
    simulator = history.simulator
    await history.backfill()
    simulator.start_session(GARAGE_ID, power_kw=11, duration=timedelta(minutes=30))
    await history.advance(timedelta(minutes=32))
    rows = {charger_id: await history.rows(charger_id) for charger_id in CHARGERS}
    assert total(rows[GARAGE_ID]) == pytest.approx(completed_kwh(simulator, GARAGE_ID))

    simulator.clear_requests()
    assert await history.hass.config_entries.async_reload(history.entry.entry_id)
    await history.advance(BACKFILL_TIME, step=PAGE_STEP)
    assert {charger_id: await history.rows(charger_id) for charger_id in CHARGERS} == rows
    assert history.offsets() == [None]  # the history is not read again

    await history.unload()
    missed = simulator.start_session(GARAGE_ID, power_kw=11, duration=timedelta(minutes=20))
    await history.advance(timedelta(minutes=30))
    await history.reload_setup()
    await history.hass.async_block_till_done()

    after = await history.rows(GARAGE_ID)
    assert total(after) == pytest.approx(total(rows[GARAGE_ID]) + missed.kwh)
    assert total(after) == pytest.approx(completed_kwh(simulator, GARAGE_ID))


async def test_long_downtime_reads_back_to_what_was_seen(history: History) -> None:
    """More new sessions than one page while unloaded: older pages are read until they meet the known."""
    await history.backfill()
    await history.unload()
    history.simulator.clear_requests()
    for _ in range(MAX_SESSIONS_LIMIT + 5):
        history.simulator.start_session(CARPORT_ID, power_kw=6, duration=timedelta(minutes=10))
        await history.advance(timedelta(minutes=11), step=timedelta(minutes=11))

    await history.reload_setup()
    await history.advance(BACKFILL_TIME, step=PAGE_STEP)

    assert history.offsets() == [None, "100"]
    await history.assert_whole_history()


async def test_session_without_duration_counts_once_in_its_start_hour(history: History) -> None:
    """A session listed with the same start and end puts its kWh in that hour, once."""
    await history.backfill()
    before = await history.rows(GARAGE_ID)
    moment = NOW + timedelta(minutes=5)
    history.simulator.account().sessions.append(
        SimSession(
            id="zero-length",
            charger_id=GARAGE_ID,
            charger_nickname="Garage",
            started_at=moment,
            ended_at=moment,
            mid_certified=True,
            kwh=2.5,
        )
    )
    # Two sessions refreshes list it.
    await history.advance(timedelta(minutes=20))
    after = await history.rows(GARAGE_ID)
    assert changed_hours(before, after) == {NOW.replace(minute=0): 2.5}
    assert total(after) == pytest.approx(total(before) + 2.5)


async def test_rate_limit_pauses_the_history_until_retry_after(history: History) -> None:
    """A 429 on a history page holds the reading for its Retry-After; then it completes."""
    await history.set_up(TWO_PAGES)
    history.simulator.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/sessions", status=429, retry_after="120"
    )

    await history.advance(timedelta(minutes=2), step=PAGE_STEP)
    assert history.offsets() == [None, "100"]  # refused, then nothing
    assert await history.rows(GARAGE_ID) == []

    await history.advance(BACKFILL_TIME, step=PAGE_STEP)
    assert history.offsets() == [None, "100", "100"]
    await history.assert_whole_history()


async def test_a_failed_history_page_is_read_again_seconds_later(history: History) -> None:
    """One failed page is read again 1 to 3 s later, a timer on Home Assistant's clock; then on."""
    await history.set_up(TWO_PAGES)
    history.simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=503)
    await history.advance(PAGE_STEP, step=PAGE_STEP)
    assert history.offsets() == [None, "100"]

    await history.advance(timedelta(seconds=3), step=timedelta(seconds=1))
    failed, retried = [r for r in history.simulator.requests if r.query.get("offset") == "100"]
    assert (failed.status, retried.status) == (503, 200)
    assert timedelta(seconds=1) <= retried.at - failed.at <= timedelta(seconds=3)
    assert history.offsets() == [None, "100", "100"]
    await history.assert_whole_history()


async def test_server_error_pauses_the_history_until_the_next_sessions_poll(
    history: History,
) -> None:
    """A page that fails again when read again waits for the sessions poll's next turn (10 min).

    A session that starts and ends meanwhile is counted once, with the history.
    """
    await history.set_up(TWO_PAGES)
    inject_failed_read(history.simulator, FaultKind.HTTP_ERROR, endpoint="/sessions", status=503)
    await history.advance(timedelta(minutes=1), step=PAGE_STEP)
    assert history.offsets() == [None, "100", "100"]  # the page, and its retry

    history.simulator.start_session(GARAGE_ID, power_kw=11, duration=timedelta(minutes=5))
    await history.advance(timedelta(minutes=8))
    # The sessions poll saw the session start and end; the history waits.
    assert history.offsets() == [None, "100", "100", None, None]
    assert await history.rows(GARAGE_ID) == []

    await history.advance(timedelta(minutes=2), step=PAGE_STEP)
    assert history.offsets() == [None, "100", "100", None, None, "100"]
    await history.assert_whole_history()


async def test_unload_while_reading_the_history_stops_it(history: History) -> None:
    """An entry unloaded before it read the history asks nothing more; set up again, it reads it."""
    await history.set_up(TWO_PAGES)
    await history.advance(PAGE_STEP / 2, step=timedelta(seconds=10))
    await history.unload()
    await history.advance(BACKFILL_TIME, step=PAGE_STEP)
    assert history.offsets() == [None]

    await history.reload_setup()
    await history.advance(BACKFILL_TIME, step=PAGE_STEP)
    assert history.offsets() == [None, None, "100"]
    await history.assert_whole_history()


async def test_refused_token_stops_the_history(history: History) -> None:
    """A 401 on a history page stops the reading; re-authentication is asked for."""
    await history.set_up(TWO_PAGES)
    history.simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=401)

    await history.advance(timedelta(minutes=1), step=PAGE_STEP)
    await history.advance(timedelta(minutes=15))

    assert history.offsets() == [None, "100"]
    flows = history.hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert await history.rows(GARAGE_ID) == []


async def test_statistics_are_listed_in_kwh(history: History) -> None:
    """One valid statistic per charger, in kWh, named after the charger, for the Energy dashboard."""
    await history.backfill()
    await async_wait_recording_done(history.hass)

    listed = await get_instance(history.hass).async_add_executor_job(
        list_statistic_ids, history.hass
    )
    joulo = {item["statistic_id"]: item for item in listed if item["source"] == "joulo"}
    assert set(joulo) == {statistic_id(charger_id) for charger_id in CHARGERS}
    assert GARAGE_STATISTIC in joulo
    assert all(valid_statistic_id(statistic) for statistic in joulo)
    assert {item["name"] for item in joulo.values()} == {
        "Garage charging energy",
        "Oprit charging energy",
        "Carport charging energy",
    }
    for item in joulo.values():
        assert item["statistics_unit_of_measurement"] == UnitOfEnergy.KILO_WATT_HOUR
        assert item["has_sum"] is True


async def test_removing_the_entry_keeps_the_history(
    history: History, hass_storage: dict[str, Any]
) -> None:
    """Deleting the entry forgets its progress; adding the account again counts nothing twice.

    No store of the entry is left behind; its statistics stay.
    """
    hass, entry = history.hass, history.entry
    await history.backfill()
    await history.advance(timedelta(seconds=30), step=PAGE_STEP)  # the stores are written
    key = f"joulo.{entry.entry_id}.statistics"
    assert set(hass_storage[key]["data"]["chargers"]) == set(CHARGERS)
    assert f"joulo.{entry.entry_id}.sessions" in hass_storage
    rows = await history.rows(GARAGE_ID)

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert [key for key in hass_storage if key.startswith(f"joulo.{entry.entry_id}.")] == []
    assert await history.rows(GARAGE_ID) == rows

    history.entry = MockConfigEntry(
        domain=entry.domain, unique_id=entry.unique_id, data=dict(entry.data)
    )
    await history.backfill(per_charger=None)
    assert await history.rows(GARAGE_ID) == rows
    assert total(rows) == pytest.approx(completed_kwh(history.simulator, GARAGE_ID), abs=1e-6)


async def test_without_recorder_nothing_is_imported_or_requested(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Without the recorder the history is never read."""
    await advance_time(hass, freezer, timedelta(minutes=5), step=POLL_STEP)
    assert "recorder" not in hass.config.components
    assert Counter(sessions_offsets(simulator)) == {None: 1}
    assert f"joulo.{init_integration.entry_id}.statistics" not in hass_storage


TEN_YEARS_AHEAD = NOW + timedelta(days=3652)
LAST_UNIX_SECOND = datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC)
"""The last moment an unsigned 32-bit clock can count to: 87 years of hours to spread kWh over."""


def carport_missed(hass: HomeAssistant) -> dict[str, Any]:
    """What the Carport (no MID) missed this year, as its sensor's attributes show it."""
    state = hass.states.get("sensor.carport_ere_missed_this_year")
    assert state is not None
    return {key: state.attributes[key] for key in ("energy_kwh", "ere_credits", "sessions")}


def warnings_naming(caplog: pytest.LogCaptureFixture, session_id: str) -> list[str]:
    """The WARNING records that name the session."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and session_id in record.getMessage()
    ]


@pytest.mark.parametrize(
    ("listed_start", "listed_end"),
    [
        (None, TEN_YEARS_AHEAD),
        (None, LAST_UNIX_SECOND),
        (None, NOW - timedelta(hours=1)),  # before it started
        (TEN_YEARS_AHEAD, TEN_YEARS_AHEAD + timedelta(minutes=30)),
    ],
    ids=["ends-ten-years-ahead", "ends-in-2106", "ends-before-it-starts", "starts-ten-years-ahead"],
)
async def test_a_session_with_impossible_times_counts_nowhere(
    history: History,
    caplog: pytest.LogCaptureFixture,
    listed_start: datetime | None,
    listed_end: datetime,
) -> None:
    """A Carport session listed with times that cannot be is left out, and holds nothing back.

    No statistics row in the future, no kWh or session in what the Carport missed, not its last
    session; the Carport's next session is counted in all three; one WARNING names the session,
    however many polls list it.
    """
    hass, simulator = history.hass, history.simulator
    await history.backfill()
    before = await history.rows(CARPORT_ID)
    missed_before = carport_missed(hass)
    simulator.set_charger_status(CARPORT_ID, "online")

    broken = simulator.start_session(CARPORT_ID, power_kw=11, duration=timedelta(minutes=20))
    broken.listed_started_at, broken.listed_ended_at = listed_start, listed_end
    await history.advance(timedelta(minutes=40))  # listed completed by several sessions polls
    assert broken.ended_at is not None
    assert await history.rows(CARPORT_ID) == before
    assert carport_missed(hass) == missed_before

    later = simulator.start_session(CARPORT_ID, power_kw=6, duration=timedelta(minutes=10))
    await history.advance(timedelta(minutes=30))

    after = await history.rows(CARPORT_ID)
    assert changed_hours(before, after) == {later.started_at.replace(minute=0): 1.0}
    assert total(after) == pytest.approx(total(before) + later.kwh)
    assert all(row["start"] <= dt_util.utcnow() for row in after)
    assert state_of(hass, "sensor.carport_last_session_energy") == str(later.kwh)
    assert carport_missed(hass) == {
        "energy_kwh": pytest.approx(missed_before["energy_kwh"] + later.kwh),
        "ere_credits": pytest.approx(missed_before["ere_credits"] + (later.ere_credits or 0.0)),
        "sessions": missed_before["sessions"] + 1,
    }
    (warning,) = warnings_naming(caplog, broken.id)
    assert f"of charger {CARPORT_ID} with times that cannot be" in warning


async def test_the_history_read_leaves_out_a_session_with_impossible_times(
    history: History, caplog: pytest.LogCaptureFixture
) -> None:
    """An old session listed with an end ten years ahead, in the history read at first setup.

    It is the Garage's oldest: every later Garage session is imported, nothing beyond now; one
    WARNING names it.
    """
    simulator = history.simulator
    keep_newest_sessions(simulator, TWO_PAGES)
    garage = sorted(
        (s for s in simulator.account().sessions if s.charger_id == GARAGE_ID),
        key=lambda s: s.started_at,
    )
    broken = garage[0]
    broken.listed_ended_at = TEN_YEARS_AHEAD

    await history.backfill(per_charger=None)

    assert history.offsets() == [None, "100"]
    rows = await history.rows(GARAGE_ID)
    assert total(rows) == pytest.approx(completed_kwh(simulator, GARAGE_ID) - broken.kwh)
    assert all(row["start"] <= dt_util.utcnow() for row in rows)
    assert len(warnings_naming(caplog, broken.id)) == 1


async def test_an_api_that_ignores_offset_ends_the_history_at_its_second_page(
    history: History,
) -> None:
    """`/sessions` answers every page with the first: the history ends at the page with nothing new.

    The 100 sessions it read are imported; for the next half hour only the sessions polls ask.
    """
    simulator = history.simulator
    simulator.faults.inject(FaultKind.IGNORED_OFFSET, endpoint="/sessions", times=None)
    await history.set_up(TWO_PAGES)
    first_page = sorted(
        simulator.account().sessions, key=lambda s: (s.started_at, s.id), reverse=True
    )[:MAX_SESSIONS_LIMIT]
    assert len(simulator.account().sessions) > MAX_SESSIONS_LIMIT

    await history.advance(timedelta(minutes=30), step=PAGE_STEP)

    assert history.offsets() == [None, "100", None, None, None]
    for charger_id in CHARGERS:
        read = [s for s in first_page if s.charger_id == charger_id and s.ended_at is not None]
        rows = await history.rows(charger_id)
        assert total(rows) == pytest.approx(sum(s.kwh for s in read), abs=1e-6)
