"""The coordinators through bad times: outages, timeouts, broken answers and a missing account.

Whatever the API does, no exception escapes a coordinator. A short failure is ridden out: the entities
keep their states and nothing is logged as an error. A longer one shows: the entities go unavailable
(charger entities once `/chargers` failed for five minutes, the others at their coordinator's second
failed refresh in a row), the log says once that fetching failed and once that it recovered, and the
values come back when the API does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.joulo.changes import FAST_INTERVAL
from custom_components.joulo.const import (
    CHARGERS_RIDE_OUT,
    ENERGY_INTERVAL,
    SESSIONS_INTERVAL,
)
from joulo_simulator import FaultKind, JouloSimulator, SimulatorServer
from joulo_simulator.account import GARAGE_ID

from .common import (
    ONE_POLL,
    HangingApi,
    Live,
    advance_time,
    inject_failed_read,
    record_unavailable_writes,
    state_of,
    try_set_up_entry,
)

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
SHOWN_IN_THE_OUTAGE = (*CHARGER_ENTITIES, *SESSION_ENTITIES)
"""What a half-hour outage makes unavailable: chargers (polled every minute), sessions (3 polls)."""
RIDDEN_OUT = (*ENERGY_ENTITIES, *ACCOUNT_ENTITIES)
"""What stays: the energy coordinator polls once in a half hour, and one failure is ridden out."""


@pytest.fixture(autouse=True)
def log_recoveries(caplog: pytest.LogCaptureFixture) -> None:
    """Capture the integration's INFO messages too: a coordinator logs its recovery at INFO."""
    caplog.set_level(logging.INFO, logger="custom_components.joulo")


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
    await advance_time(hass, freezer, timedelta(minutes=45), step=MINUTE)
    before = states(hass)
    energy_before = float(before["sensor.joulo_total_energy"])
    caplog.clear()

    await begin()
    session = simulator.start_session(GARAGE_ID, power_kw=11.0, duration=timedelta(minutes=10))
    await during(timedelta(minutes=30))

    during_outage = states(hass)
    assert {during_outage[entity_id] for entity_id in SHOWN_IN_THE_OUTAGE} == {STATE_UNAVAILABLE}
    # The hourly energy poll failed once in the half hour: ridden out, its entities stand.
    assert {entity_id: during_outage[entity_id] for entity_id in RIDDEN_OUT} == {
        entity_id: before[entity_id] for entity_id in RIDDEN_OUT
    }

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
        said = 0 if name == "energy" else 1
        assert len(messages(caplog, f"Error fetching joulo {name} data")) == said, name
        assert len(messages(caplog, f"Fetching joulo {name} data recovered")) == said, name
    assert_no_tracebacks(caplog)


@pytest.mark.usefixtures("init_integration")
async def test_server_errors_for_half_an_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
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


async def test_timeouts_for_half_an_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every request hangs for 30 minutes: the client times out each time, and all recovers after."""
    api = HangingApi(hass, freezer, simulator)
    with pytest.MonkeyPatch.context() as patch:

        async def begin() -> None:
            api.watch(patch)
            api.hang()

        async def during(duration: timedelta) -> None:
            await api.advance(duration)

        async def end() -> None:
            # The requests still hanging time out on one more tick; what it starts is answered.
            simulator.faults.clear()
            await api.advance(timedelta(seconds=30))
            patch.undo()

        await check_outage(hass, freezer, simulator, caplog, begin=begin, during=during, end=end)

    # Each poll of the half hour reached the API and timed out, and so did its retry: chargers
    # every 120 s (60 s, then two 20 s timeouts, each seen on the next 30 s tick), sessions 3
    # times, energy once.
    assert api.hangs[0].hits == 2 * (15 + 3 + 1)


@pytest.mark.usefixtures("init_integration")
async def test_network_down_for_half_an_hour(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
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


BROKEN_ANSWERS = [
    # An answer that cannot be read fails the poll (after its retry): ridden out, nothing changes.
    ("/chargers", "malformed_json", UNCHANGED),
    ("/chargers", "wrong_shape", UNCHANGED),
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
        # An undocumented status is not `offline`, so the offline carport reads online.
        {"sensor.garage_status": STATE_UNKNOWN, "binary_sensor.carport_online": STATE_ON},
    ),
    ("/sessions", "malformed_json", UNCHANGED),
    ("/sessions", "wrong_shape", UNCHANGED),
    ("/sessions", "missing_fields", UNCHANGED),
    ("/sessions", "unknown_enum", UNCHANGED),  # the last completed sessions are kept
    ("/energy", "malformed_json", UNCHANGED),
    ("/energy", "wrong_shape", UNCHANGED),
    ("/energy", "missing_fields", UNCHANGED),
    ("/energy", "unknown_enum", UNCHANGED),
    ("/me", "malformed_json", UNCHANGED),  # the account last read is kept
    ("/me", "wrong_shape", UNCHANGED),
    ("/me", "missing_fields", all_(ACCOUNT_ENTITIES, STATE_UNKNOWN)),
    ("/me", "unknown_enum", UNCHANGED),
]
INTERVALS = {
    "/chargers": FAST_INTERVAL,
    "/sessions": SESSIONS_INTERVAL,
    "/energy": ENERGY_INTERVAL,
    "/me": ENERGY_INTERVAL,  # asked with the scheduled energy poll
}


@pytest.mark.parametrize(("endpoint", "kind", "expected"), BROKEN_ANSWERS)
@pytest.mark.usefixtures("init_integration")
async def test_broken_answer(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
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
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


SHOWN_AFTER = [
    pytest.param("/sessions", SESSIONS_INTERVAL, SESSION_ENTITIES, id="sessions"),
    pytest.param("/energy", ENERGY_INTERVAL, (*ENERGY_ENTITIES, *ACCOUNT_ENTITIES), id="energy"),
]


@pytest.mark.parametrize(("endpoint", "interval", "entity_ids"), SHOWN_AFTER)
@pytest.mark.usefixtures("init_integration")
async def test_second_failed_refresh_in_a_row_shows(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    caplog: pytest.LogCaptureFixture,
    endpoint: str,
    interval: timedelta,
    entity_ids: tuple[str, ...],
) -> None:
    """Sessions and energy entities ride out one failed refresh, and go unavailable at the second."""
    name = endpoint.strip("/")
    before = states(hass, entity_ids)
    simulator.faults.inject("malformed_json", endpoint=endpoint, times=None)

    await advance_time(hass, freezer, interval, step=MINUTE)
    assert states(hass, entity_ids) == before
    assert messages(caplog, f"Error fetching joulo {name} data") == []

    # The second failed poll, and its retry a few seconds later.
    await advance_time(hass, freezer, interval + MINUTE, step=MINUTE)
    assert set(states(hass, entity_ids).values()) == {STATE_UNAVAILABLE}
    [down] = [r for r in caplog.records if r.getMessage().startswith("Error fetching joulo")]
    assert down.getMessage().startswith(f"Error fetching joulo {name} data")
    assert down.exc_info is None

    simulator.faults.clear()
    await advance_time(hass, freezer, interval, step=MINUTE)
    assert states(hass, entity_ids) == before
    assert len(messages(caplog, f"Fetching joulo {name} data recovered")) == 1
    assert_no_tracebacks(caplog)


# The account (/me) never fails the energy poll


@pytest.mark.parametrize("status", [403, 500])
@pytest.mark.usefixtures("init_integration")
async def test_account_refused_or_failing_keeps_the_last_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    status: int,
) -> None:
    """A 403 or 5xx (to its retry too) on `/me` fails nothing: the euro values stay."""
    before = states(hass)
    fault = inject_failed_read(simulator, "http_error", endpoint="/me", status=status)
    simulator.clear_requests()

    await advance_time(hass, freezer, ENERGY_INTERVAL, step=ENERGY_INTERVAL)

    assert [(r.endpoint, r.status) for r in simulator.requests if r.endpoint == "/me"] == [
        ("/me", status)
    ] * fault.hits
    assert states(hass) == before
    assert not hass.config_entries.flow.async_progress()


@pytest.mark.usefixtures("init_integration")
async def test_account_refusing_the_token_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
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
        inject_failed_read(simulator, "http_error", endpoint=endpoint, status=status)

    await try_set_up_entry(hass, mock_config_entry)

    assert mock_config_entry.state is state
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ([SOURCE_REAUTH] if reauth else [])


# Blips: one failed poll flaps nothing, a real outage shows


BLIPS: dict[str, dict[str, Any]] = {
    "502": {"kind": FaultKind.HTTP_ERROR, "status": 502},
    "503": {"kind": FaultKind.HTTP_ERROR, "status": 503},
    "broken JSON": {"kind": FaultKind.MALFORMED_JSON},
    "timeout": {},  # a hang past the client's timeout, see `HangingApi`
}
"""A failed poll of each kind (the simulator answers a 5xx with an HTML error page)."""


def entry_entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[str, ...]:
    """Every entity of `entry` that has a state (the disabled ones have none)."""
    return tuple(
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if hass.states.get(entity.entity_id) is not None
    )


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The ERROR (or worse) log messages."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("blip", list(BLIPS))
async def test_one_failed_poll_of_each_coordinator_flaps_nothing(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    blip: str,
) -> None:
    """A poll of each coordinator fails, its retry too: no entity reads unavailable, no ERROR."""
    entity_ids = entry_entity_ids(hass, init_integration)
    unavailable = record_unavailable_writes(hass)
    api = HangingApi(hass, freezer, simulator)
    faults = [
        api.hang(endpoint=endpoint, times=2)
        if blip == "timeout"
        else inject_failed_read(simulator, endpoint=endpoint, **BLIPS[blip])
        for endpoint in ("/chargers", "/sessions", "/energy")
    ]

    with pytest.MonkeyPatch.context() as patch:
        api.watch(patch)
        await api.advance(ENERGY_INTERVAL + MINUTE)

    # Each of the three polls failed twice (the request and its retry), and only once.
    assert [fault.hits for fault in faults] == [2, 2, 2]
    assert simulator.faults.active == []
    assert init_integration.runtime_data.retries == 3
    assert unavailable == []
    assert STATE_UNAVAILABLE not in {state_of(hass, entity_id) for entity_id in entity_ids}
    assert errors(caplog) == []
    assert messages(caplog, "Fetching joulo") == []


async def test_ten_minute_chargers_outage_shows_within_five_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`/chargers` fails for 10 minutes: unavailable within 5, logged once down and once back."""
    entity_ids = entry_entity_ids(hass, init_integration)
    before = states(hass, entity_ids)
    start = dt_util.utcnow() + timedelta(seconds=90)
    simulator.faults.add_outage(start, start + timedelta(minutes=10), endpoint="/chargers")
    unavailable = record_unavailable_writes(hass)

    await advance_time(hass, freezer, timedelta(minutes=15), step=timedelta(seconds=10))

    shown = {entity_id: at for at, entity_id in reversed(unavailable)}
    # Every entity of a charger but the ones `/sessions` feeds (its last session and its event).
    assert set(shown) == {
        entity_id
        for entity_id in entity_ids
        if entity_id.split(".")[1].startswith(("garage_", "oprit_", "carport_"))
        and "_last_session_" not in entity_id
        and not entity_id.startswith("event.")
    }
    assert len(shown) == 31
    # The last good poll was at most a minute before the outage; five minutes after it, it shows.
    last_good = start - ONE_POLL
    assert all(
        last_good + CHARGERS_RIDE_OUT <= at <= start + CHARGERS_RIDE_OUT for at in shown.values()
    )
    assert states(hass, entity_ids) == before
    [down] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert down.getMessage().startswith("Error fetching joulo chargers data")
    assert down.exc_info is None
    assert messages(caplog, "Fetching joulo chargers data recovered") == [
        "Fetching joulo chargers data recovered"
    ]
    assert messages(caplog, "Fetching joulo") == ["Fetching joulo chargers data recovered"]


async def test_a_day_of_random_server_errors_writes_no_unavailable_state(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """5% of requests answer a random 5xx for a day: no state unavailable, no ERROR, one retry each."""
    faults = simulator.faults.add_random({FaultKind.HTTP_ERROR: 0.05}, seed=16)
    simulator.clear_requests()
    unavailable = record_unavailable_writes(hass)

    await advance_time(hass, freezer, timedelta(days=1), step=ONE_POLL)

    failed = faults.hits[FaultKind.HTTP_ERROR]
    assert failed > 50
    assert unavailable == []
    assert errors(caplog) == []
    # A failed chargers poll (one request) is read once more, and a failed retry is not: walking
    # the `/chargers` requests, the one after a 5xx is its retry, unless that 5xx was a retry.
    retries_seen = 0
    retry_due = False
    for request in simulator.requests:
        if request.endpoint != "/chargers":
            continue
        if retry_due:
            retries_seen += 1
            retry_due = False
        else:
            retry_due = request.status >= 500
    runtime = init_integration.runtime_data
    assert retries_seen == runtime.chargers.retries > 0
    assert failed / 2 < runtime.retries <= failed


# The retry, on Home Assistant's clock

SECOND = timedelta(seconds=1)
POLLED_EVERY = {
    "/chargers": FAST_INTERVAL,
    "/sessions": SESSIONS_INTERVAL,
    "/energy": ENERGY_INTERVAL,
}


def reads_of(simulator: JouloSimulator, endpoint: str) -> list[tuple[datetime, int]]:
    """When `endpoint` was read since the requests were cleared, and how it was answered."""
    return [(r.at, r.status) for r in simulator.requests if r.endpoint == endpoint]


@pytest.mark.parametrize("endpoint", list(POLLED_EVERY))
async def test_a_failed_poll_is_read_again_seconds_later_on_home_assistants_clock(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    endpoint: str,
) -> None:
    """A poll's read fails once: it is read again 1 to 3 s later, a timer of Home Assistant's.

    Nothing of the integration is patched: the frozen clock only moves, a second at a time, and
    the retry is a refresh scheduled like any other. Its answer is shown; nothing flapped.
    """
    before = states(hass)
    unavailable = record_unavailable_writes(hass)
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint=endpoint, status=502)
    simulator.clear_requests()

    await advance_time(hass, freezer, POLLED_EVERY[endpoint], step=ONE_POLL)
    assert [status for _, status in reads_of(simulator, endpoint)] == [502]

    await advance_time(hass, freezer, 3 * SECOND, step=SECOND)
    (failed_at, _), (retried_at, status) = reads_of(simulator, endpoint)
    assert status == 200
    assert SECOND <= retried_at - failed_at <= 3 * SECOND
    runtime = init_integration.runtime_data
    assert runtime.retries == 1
    assert all(
        coordinator.last_read_success
        for coordinator in (runtime.chargers, runtime.sessions, runtime.energy)
    )
    assert states(hass) == before
    assert unavailable == []
    assert errors(caplog) == []


async def test_a_failed_retry_waits_for_the_next_regular_poll(live: Live) -> None:
    """A retry that fails too is not tried again: the next read is the regular poll's, on time.

    The retry does not shift the cadence: the next poll comes a minute after the failed one.
    """
    hass, freezer, simulator, init_integration = live
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers", status=502, times=2)
    simulator.clear_requests()

    await advance_time(hass, freezer, ONE_POLL + 3 * SECOND, step=SECOND)
    assert [status for _, status in reads_of(simulator, "/chargers")] == [502, 502]
    assert init_integration.runtime_data.chargers.health.failures_in_a_row == 1

    await advance_time(hass, freezer, ONE_POLL, step=SECOND)
    (failed_at, _), (_, _), (polled_at, status) = reads_of(simulator, "/chargers")
    assert status == 200
    assert ONE_POLL - SECOND <= polled_at - failed_at <= ONE_POLL + SECOND
    assert init_integration.runtime_data.retries == 1


async def test_a_listener_that_raises_does_not_keep_the_others_from_hearing(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """One listener's error is logged; the listeners after it still hear of the refresh."""
    hass, freezer, simulator, entry = live
    chargers = entry.runtime_data.chargers
    heard: list[str] = []

    def broken() -> None:
        heard.append("broken")
        raise RuntimeError("listener bug")

    remove = [
        chargers.async_add_listener(broken),
        chargers.async_add_listener(lambda: heard.append("next")),
    ]
    simulator.start_session(GARAGE_ID)

    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    for stop in remove:
        stop()

    assert heard == ["broken", "next"]
    assert state_of(hass, "binary_sensor.garage_charging") == STATE_ON
    assert [r.getMessage() for r in caplog.records if r.exc_info] == [
        "Error updating a listener of joulo chargers"
    ]
