"""The coordinators through bad times: outages, timeouts, broken answers and a missing account.

Whatever the API does, no exception escapes a coordinator: entities go unavailable (or unknown, for
values the API left out or did not know), the log says once that fetching failed and once that it
recovered, and the values come back when the API does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.joulo.const import (
    CHARGERS_INTERVAL,
    ENERGY_INTERVAL,
    SESSIONS_INTERVAL,
)
from joulo_simulator import GARAGE_ID, Fault, JouloSimulator, RecordedRequest, SimulatorServer

from .common import advance_time, state_of, try_set_up_entry

pytestmark = pytest.mark.freeze_time("2026-04-09T10:00:00+00:00")

MINUTE = timedelta(minutes=1)
COORDINATORS = ("chargers", "sessions", "energy")

CHARGER_ENTITIES = (
    "sensor.garage_status",
    "binary_sensor.garage_charging",
    "binary_sensor.carport_online",
    "binary_sensor.oprit_mid_certified",
    "sensor.oprit_energy_meter",
)
SESSION_ENTITIES = (
    "sensor.garage_last_session_energy",
    "sensor.oprit_last_session_ended",
)
ENERGY_ENTITIES = ("sensor.joulo_total_energy", "sensor.joulo_total_sessions")
ACCOUNT_ENTITIES = ("sensor.joulo_ere_value", "sensor.joulo_ere_price", "sensor.joulo_platform_fee")
WATCHED = (*CHARGER_ENTITIES, *SESSION_ENTITIES, *ENERGY_ENTITIES, *ACCOUNT_ENTITIES)


def states(hass: HomeAssistant, entity_ids: tuple[str, ...] = WATCHED) -> dict[str, str]:
    """The state of each of `entity_ids`."""
    return {entity_id: state_of(hass, entity_id) for entity_id in entity_ids}


def messages(caplog: pytest.LogCaptureFixture, start: str) -> list[str]:
    """The log messages that start with `start`."""
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(start)]


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """No error was logged with a traceback, and no coordinator met an unexpected error."""
    assert [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info
    ] == []
    assert messages(caplog, "Unexpected error") == []


# Outages


type Step = Callable[[], Awaitable[None]]


async def check_outage(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    caplog: pytest.LogCaptureFixture,
    *,
    begin: Step,
    during: Callable[[timedelta], Awaitable[None]],
    end: Step,
) -> None:
    """Thirty minutes of outage over an hourly energy poll, with a session that runs through it."""
    caplog.set_level(logging.INFO, logger="custom_components.joulo")
    await advance_time(hass, freezer, timedelta(minutes=45), step=MINUTE)
    before = states(hass)
    energy_before = float(before["sensor.joulo_total_energy"])
    caplog.clear()

    await begin()
    session = simulator.start_session(GARAGE_ID, power_kw=11.0, duration=timedelta(minutes=10))
    await during(timedelta(minutes=30))

    assert set(states(hass).values()) == {STATE_UNAVAILABLE}

    await end()
    await advance_time(hass, freezer, timedelta(minutes=15), step=MINUTE)

    after = states(hass)
    assert session.ended_at is not None
    # What the outage hid comes in: the session's final kWh and the new totals ...
    assert after.pop("sensor.garage_last_session_energy") == str(session.kwh)
    assert float(after.pop("sensor.joulo_total_energy")) == pytest.approx(
        energy_before + session.kwh
    )
    assert (
        int(after.pop("sensor.joulo_total_sessions"))
        == int(before["sensor.joulo_total_sessions"]) + 1
    )
    assert float(after.pop("sensor.joulo_ere_value")) > float(before["sensor.joulo_ere_value"])
    # ... and everything else is as it was.
    assert after == {key: value for key, value in before.items() if key in after}
    for name in COORDINATORS:
        assert len(messages(caplog, f"Error fetching joulo {name} data")) == 1, name
        assert len(messages(caplog, f"Fetching joulo {name} data recovered")) == 1, name
    assert_no_tracebacks(caplog)


async def test_server_errors_for_half_an_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 503 on every endpoint for 30 minutes: unavailable, one error, one recovery, right values."""

    async def begin() -> None:
        simulator.faults.inject("http_error", status=503, times=None)

    async def during(duration: timedelta) -> None:
        await advance_time(hass, freezer, duration, step=MINUTE)

    async def end() -> None:
        simulator.faults.clear()

    await check_outage(hass, freezer, simulator, caplog, begin=begin, during=during, end=end)


class HangingApi:
    """Every request hangs in the simulator; time moves on only once each one has arrived there.

    Under a frozen clock the event loop's timers run on Home Assistant's time, so the client's 20 s
    timeout fires only when a test moves time. `advance_time` waits for requests to finish, which a
    hanging one never does; moving on without waiting would time requests out before they even
    reached the API. So before each tick this waits until every request the client has started has
    arrived in the simulator (and hangs there); the tick then times them out, as 20 s of silence
    would.
    """

    def __init__(
        self, hass: HomeAssistant, simulator: JouloSimulator, entry: MockConfigEntry
    ) -> None:
        """Watch the requests `entry`'s client sends to `simulator`."""
        self.hass = hass
        self.simulator = simulator
        self.client = entry.runtime_data.client
        self.started = 0
        self.received = 0
        self.arrived = asyncio.Event()
        self.fault: Fault | None = None

    def begin(self, patch: pytest.MonkeyPatch) -> None:
        """Let every request hang, and count what the client starts and the simulator receives."""
        original_get = self.client._get
        original_record = self.simulator.record

        async def counted_get(endpoint: str, params: dict[str, str] | None = None) -> Any:
            self.started += 1
            return await original_get(endpoint, params)

        def signalled_record(request: RecordedRequest) -> None:
            original_record(request)
            self.received += 1
            self.arrived.set()

        patch.setattr(self.client, "_get", counted_get)
        patch.setattr(self.simulator, "record", signalled_record)
        self.fault = self.simulator.faults.inject("hang", times=None, delay=3600.0)

    async def advance(self, freezer: FrozenDateTimeFactory, duration: timedelta) -> None:
        """Move time in 30 s ticks, each once every started request has reached the API."""
        remaining = duration
        while remaining > timedelta(0):
            await self.hass.async_block_till_done()
            # Nothing stops a request on its way here during this test (no 429, no 401).
            while self.received < self.started:
                self.arrived.clear()
                await self.arrived.wait()
            tick = min(timedelta(seconds=30), remaining)
            # Not `advance_time`: it waits for background tasks, and these requests hang on purpose.
            freezer.tick(tick)
            async_fire_time_changed(self.hass)
            remaining -= tick
        await self.hass.async_block_till_done()


async def test_timeouts_for_half_an_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every request hangs for 30 minutes: the client times out each time, and all recovers after."""
    api = HangingApi(hass, simulator, init_integration)
    with pytest.MonkeyPatch.context() as patch:

        async def begin() -> None:
            api.begin(patch)

        async def during(duration: timedelta) -> None:
            await api.advance(freezer, duration)

        async def end() -> None:
            # The requests still hanging time out on one more tick; what it starts is answered.
            simulator.faults.clear()
            await api.advance(freezer, timedelta(seconds=30))
            patch.undo()

        await check_outage(hass, freezer, simulator, caplog, begin=begin, during=during, end=end)

    assert api.fault is not None
    # Each poll of the half hour reached the API and timed out: chargers every 90 s (60 s and the
    # 20 s timeout, seen on the next 30 s tick), sessions 3 times, energy once.
    assert api.fault.hits == 24


async def test_network_down_for_half_an_hour(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The API cannot be reached for 30 minutes (connection refused), then it is back."""
    port = simulator_server.port
    async with AsyncExitStack() as stack:

        async def begin() -> None:
            await simulator_server.stop()

        async def during(duration: timedelta) -> None:
            await advance_time(hass, freezer, duration, step=MINUTE)

        async def end() -> None:
            await stack.enter_async_context(SimulatorServer(simulator, port=port))

        await check_outage(hass, freezer, simulator, caplog, begin=begin, during=during, end=end)


# Broken and partial answers


UNCHANGED: dict[str, str] = {}
"""Expected during a fault: every watched entity keeps its state."""


def all_(entity_ids: tuple[str, ...], state: str) -> dict[str, str]:
    """Expect `state` for each of `entity_ids` during a fault."""
    return dict.fromkeys(entity_ids, state)


UNREADABLE_ENERGY = all_((*ENERGY_ENTITIES, *ACCOUNT_ENTITIES), STATE_UNAVAILABLE)
BROKEN_ANSWERS = [
    ("/chargers", "malformed_json", all_(CHARGER_ENTITIES, STATE_UNAVAILABLE)),
    ("/chargers", "wrong_shape", all_(CHARGER_ENTITIES, STATE_UNAVAILABLE)),
    (
        "/chargers",
        "missing_fields",
        {
            "sensor.garage_status": STATE_UNKNOWN,
            "binary_sensor.garage_charging": STATE_OFF,  # no current session: not charging
            "binary_sensor.carport_online": STATE_UNKNOWN,
            "binary_sensor.oprit_mid_certified": STATE_UNKNOWN,
            "sensor.oprit_energy_meter": STATE_UNKNOWN,
        },
    ),
    (
        "/chargers",
        "unknown_enum",
        # An undocumented status is not `offline`, so the offline carport reads online (SPEC).
        {"sensor.garage_status": STATE_UNKNOWN, "binary_sensor.carport_online": STATE_ON},
    ),
    ("/sessions", "malformed_json", all_(SESSION_ENTITIES, STATE_UNAVAILABLE)),
    ("/sessions", "wrong_shape", all_(SESSION_ENTITIES, STATE_UNAVAILABLE)),
    ("/sessions", "missing_fields", all_(SESSION_ENTITIES, STATE_UNAVAILABLE)),
    ("/sessions", "unknown_enum", UNCHANGED),  # the last completed sessions are kept
    ("/energy", "malformed_json", UNREADABLE_ENERGY),
    ("/energy", "wrong_shape", UNREADABLE_ENERGY),
    ("/energy", "missing_fields", UNREADABLE_ENERGY),
    ("/energy", "unknown_enum", UNCHANGED),
    ("/me", "malformed_json", UNCHANGED),  # the account last read is kept
    ("/me", "wrong_shape", UNCHANGED),
    ("/me", "missing_fields", all_(ACCOUNT_ENTITIES, STATE_UNKNOWN)),
    ("/me", "unknown_enum", UNCHANGED),
]
INTERVALS = {
    "/chargers": CHARGERS_INTERVAL,
    "/sessions": SESSIONS_INTERVAL,
    "/energy": ENERGY_INTERVAL,
    "/me": ENERGY_INTERVAL,  # asked with the scheduled energy poll
}


@pytest.mark.parametrize(("endpoint", "kind", "expected"), BROKEN_ANSWERS)
async def test_broken_answer(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    endpoint: str,
    kind: str,
    expected: dict[str, str],
) -> None:
    """A broken or partial answer raises nothing; the last values return with the next good one."""
    interval = INTERVALS[endpoint]
    before = states(hass)
    simulator.faults.inject(kind, endpoint=endpoint, times=None)

    await advance_time(hass, freezer, interval, step=interval)

    assert simulator.faults.active[0].hits >= 1
    assert states(hass) == before | expected

    simulator.faults.clear()
    await advance_time(hass, freezer, interval, step=interval)

    assert states(hass) == before
    assert_no_tracebacks(caplog)


async def test_partial_answer_while_charging(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A running session without its kWh reads unknown, not 0: a drop to 0 would look like a reset."""
    simulator.start_session(GARAGE_ID, power_kw=11.0)
    await try_set_up_entry(hass, mock_config_entry)
    await advance_time(hass, freezer, timedelta(minutes=30), step=MINUTE)
    assert state_of(hass, "sensor.garage_session_energy") == "5.5"

    simulator.faults.inject("missing_fields", endpoint="/chargers", fields=["kwh_so_far"])
    await advance_time(hass, freezer, MINUTE, step=MINUTE)

    assert state_of(hass, "binary_sensor.garage_charging") == STATE_ON
    assert state_of(hass, "sensor.garage_session_energy") == STATE_UNKNOWN

    await advance_time(hass, freezer, MINUTE, step=MINUTE)

    assert state_of(hass, "sensor.garage_session_energy") == "5.87"


# The account (/me) never fails the energy poll


async def test_account_missing_leaves_only_the_euro_sensors_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Without `/me` (404) setup succeeds; the euro sensors wait until the account can be read."""
    simulator.account().me_available = False
    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert set(states(hass, ACCOUNT_ENTITIES).values()) == {STATE_UNAVAILABLE}
    assert STATE_UNAVAILABLE not in states(hass, ENERGY_ENTITIES).values()

    simulator.account().me_available = True
    await advance_time(hass, freezer, ENERGY_INTERVAL, step=ENERGY_INTERVAL)

    assert state_of(hass, "sensor.joulo_ere_price") == "0.87"
    assert state_of(hass, "sensor.joulo_platform_fee") == "12.5"
    credits_ = float(state_of(hass, "sensor.joulo_total_ere_credits"))
    assert float(state_of(hass, "sensor.joulo_ere_value")) == round(
        credits_ * 0.87 * (1 - 12.5 / 100), 2
    )


@pytest.mark.parametrize("status", [403, 500])
async def test_account_refused_or_failing_keeps_the_last_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    status: int,
) -> None:
    """A 403 or 5xx on `/me` fails nothing: the energy poll succeeds and the euro values stay."""
    before = states(hass)
    simulator.faults.inject("http_error", endpoint="/me", status=status)
    simulator.clear_requests()

    await advance_time(hass, freezer, ENERGY_INTERVAL, step=ENERGY_INTERVAL)

    assert [(r.endpoint, r.status) for r in simulator.requests if r.endpoint == "/me"] == [
        ("/me", status)
    ]
    assert states(hass) == before
    assert not hass.config_entries.flow.async_progress()


async def test_account_refusing_the_token_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A 401 on `/me` is a refused token like any other: reauth, and nothing more is sent."""
    simulator.faults.inject("http_error", endpoint="/me", status=401)

    await advance_time(hass, freezer, ENERGY_INTERVAL, step=ENERGY_INTERVAL)
    simulator.clear_requests()
    await advance_time(hass, freezer, timedelta(hours=2), step=timedelta(minutes=5))

    assert simulator.requests == []
    assert [flow["context"]["source"] for flow in hass.config_entries.flow.async_progress()] == [
        SOURCE_REAUTH
    ]
    assert set(states(hass, ENERGY_ENTITIES).values()) == {STATE_UNAVAILABLE}


# Setup


@pytest.mark.parametrize(
    ("faults", "state", "reauth"),
    [
        ([("/chargers", 503)], ConfigEntryState.SETUP_RETRY, False),
        ([("/sessions", 429)], ConfigEntryState.SETUP_RETRY, False),
        ([("/energy", 500)], ConfigEntryState.SETUP_RETRY, False),
        # A refused token wins over the other failures: ask for a new token, do not retry.
        ([("/chargers", 503), ("/energy", 401)], ConfigEntryState.SETUP_ERROR, True),
        ([("/me", 401)], ConfigEntryState.SETUP_ERROR, True),
        ([("/ere-position", 401)], ConfigEntryState.SETUP_ERROR, True),
        ([("/me", 503)], ConfigEntryState.LOADED, False),
    ],
)
async def test_first_refresh_failures(
    *,
    hass: HomeAssistant,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    faults: list[tuple[str, int]],
    state: ConfigEntryState,
    reauth: bool,
) -> None:
    """What setup makes of failures in its first refreshes."""
    for endpoint, status in faults:
        simulator.faults.inject("http_error", endpoint=endpoint, status=status)

    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is state
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ([SOURCE_REAUTH] if reauth else [])
