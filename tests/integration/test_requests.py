"""What the integration asks of the Joulo API, and when: the request budget, steering and rate limits.

Every test counts the requests the simulator received (its request log carries the simulated time of
each), so these tests show what Joulo sees of a Home Assistant that runs the integration.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.joulo.api import MAX_SESSIONS_LIMIT
from custom_components.joulo.const import DOMAIN, ENERGY_REFRESH_COOLDOWN
from joulo_simulator import (
    API_PATH,
    DEMO_TOKEN,
    DRIVEWAY_ID,
    GARAGE_ID,
    FaultKind,
    JouloSimulator,
    RecordedRequest,
    SimSession,
    SimulatorServer,
    create_app,
)
from joulo_simulator.sync import next_sync

from .common import (
    ONE_POLL,
    advance_time,
    entry_state,
    set_up_entry,
    start_session_and_poll,
    state_of,
    try_set_up_entry,
)

STEP = timedelta(seconds=30)
"""Half the chargers interval: fine enough to see every poll at its own time."""
TWO_HOURS = timedelta(hours=2)
NO_CHARGING_BUDGET = {
    "/chargers": 120,
    "/sessions": 12,
    "/energy": 2,
    "/me": 2,
    "/ere-position": 2,
}
"""Requests in two hours from setup on, at the default cadences (60 s, 600 s, 3600 s)."""

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def requests_between(
    sim: JouloSimulator, start: datetime, end: datetime | None = None
) -> list[RecordedRequest]:
    """The API requests the simulator received in [start, end)."""
    return [r for r in sim.requests if r.at >= start and (end is None or r.at < end)]


def per_endpoint(requests: Iterable[RecordedRequest]) -> dict[str, int]:
    """How many of `requests` went to each endpoint."""
    return dict(Counter(request.endpoint for request in requests))


def times_of(requests: Iterable[RecordedRequest], endpoint: str) -> list[datetime]:
    """When each request for `endpoint` was received."""
    return [request.at for request in requests if request.endpoint == endpoint]


def assert_setup_held(entry: MockConfigEntry, *, seconds: int) -> None:
    """The entry's setup waits to be retried, and says for how many seconds nothing is sent."""
    assert entry_state(entry) is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert f"nothing is sent to it for {seconds} seconds" in entry.reason


async def requested_during(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: JouloSimulator, duration: timedelta
) -> dict[str, list[datetime]]:
    """When each endpoint was asked for in the next `duration` (moved in `STEP`s), by endpoint."""
    sim.clear_requests()
    await advance_time(hass, freezer, duration, step=STEP)
    times: dict[str, list[datetime]] = {}
    for request in sim.requests:
        times.setdefault(request.endpoint, []).append(request.at)
    return times


@contextmanager
def listed_as_running(session: SimSession) -> Iterator[None]:
    """Let `/sessions` lag behind the charger: it lists the ended `session` as still running."""
    ended_at = session.ended_at
    session.ended_at = None
    try:
        yield
    finally:
        session.ended_at = ended_at


# The request budget


@pytest.mark.usefixtures("frozen_time")
@pytest.mark.live_and_synced
async def test_two_hours_without_charging(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Two idle hours cost 120 chargers, 12 sessions, 2 energy and 2 account requests, no more."""
    start = simulator.requests[0].at

    await advance_time(hass, freezer, TWO_HOURS, step=STEP)

    window = requests_between(simulator, start, start + TWO_HOURS)
    assert per_endpoint(window) == NO_CHARGING_BUDGET
    chargers = times_of(window, "/chargers")
    assert {later - earlier for earlier, later in pairwise(chargers)} == {timedelta(seconds=60)}
    assert all(request.status == 200 for request in window)


@pytest.mark.usefixtures("frozen_time")
@pytest.mark.live_and_synced
async def test_two_hours_with_a_session_ending(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    upstream_sync: bool,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A session that ends costs one energy request more, and no account request.

    Measured: 120 chargers, 3 energy, 2 account and 2 ERE position requests. Live, the end costs
    one sessions request more (13). With Joulo's sync the Garage shows its start and end at syncs
    that fall on scheduled sessions polls (12:10 and 12:40): the news and the scheduled read come
    in the same second, and make one read (12). The triggered refreshes move the sessions and
    energy schedules along, so later polls shift rather than add up.
    """
    simulator.start_session(GARAGE_ID, power_kw=11.0, duration=timedelta(minutes=25))
    await set_up_entry(hass, mock_config_entry)
    start = simulator.requests[0].at

    await advance_time(hass, freezer, TWO_HOURS, step=STEP)

    counts = per_endpoint(requests_between(simulator, start, start + TWO_HOURS))
    assert counts == {
        "/chargers": 120,
        "/sessions": 12 if upstream_sync else 13,
        "/energy": 3,
        "/me": 2,
        "/ere-position": 2,
    }
    assert counts["/chargers"] == NO_CHARGING_BUDGET["/chargers"]
    others = ("/sessions", "/energy", "/me")
    assert sum(counts[e] for e in others) <= sum(NO_CHARGING_BUDGET[e] for e in others) + 2
    assert state_of(hass, "sensor.garage_last_session_energy") == "4.58"  # 25 min of 11 kW


# The chargers poll steers the other coordinators


async def test_session_start_and_end_steer_the_other_polls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A start brings one sessions refresh; an end brings sessions and energy in the same poll."""
    await advance_time(hass, freezer, timedelta(minutes=2), step=STEP)
    simulator.start_session(GARAGE_ID, power_kw=11.0)

    requested = await requested_during(hass, freezer, simulator, timedelta(minutes=5))

    polls = requested["/chargers"]
    assert len(polls) == 5
    assert requested == {"/chargers": polls, "/sessions": polls[:1]}
    assert state_of(hass, "binary_sensor.garage_charging") == "on"
    energy_before = float(state_of(hass, "sensor.joulo_total_energy"))

    session = simulator.end_session(GARAGE_ID)
    requested = await requested_during(hass, freezer, simulator, timedelta(minutes=3))

    polls = requested["/chargers"]
    assert len(polls) == 3
    # The poll that sees the charger idle brings the session's final kWh, then the new totals.
    assert requested == {"/chargers": polls, "/sessions": polls[:1], "/energy": polls[:1]}
    assert state_of(hass, "binary_sensor.garage_charging") == "off"
    assert float(state_of(hass, "sensor.garage_last_session_energy")) == session.kwh
    assert float(state_of(hass, "sensor.joulo_total_energy")) == pytest.approx(
        energy_before + session.kwh
    )


@pytest.fixture
async def garage_last_energy(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> str:
    """Let a Garage session run for two polled minutes; the last session's energy shown meanwhile."""
    await start_session_and_poll(hass, freezer, simulator, GARAGE_ID)
    return state_of(hass, "sensor.garage_last_session_energy")


async def test_late_listed_session_is_asked_for_on_every_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    garage_last_energy: str,
) -> None:
    """Until `/sessions` lists a finished session, every chargers poll asks for it; then it stops."""
    session = simulator.end_session(GARAGE_ID)

    with listed_as_running(session):
        requested = await requested_during(hass, freezer, simulator, timedelta(minutes=3))

    polls = requested["/chargers"]
    assert len(polls) == 3
    assert requested == {"/chargers": polls, "/sessions": polls}
    assert state_of(hass, "sensor.garage_last_session_energy") == garage_last_energy

    requested = await requested_during(hass, freezer, simulator, timedelta(minutes=4))

    polls = requested["/chargers"]
    assert len(polls) == 4
    assert requested == {"/chargers": polls, "/sessions": polls[:1], "/energy": polls[:1]}
    assert float(state_of(hass, "sensor.garage_last_session_energy")) == session.kwh


@pytest.mark.usefixtures("garage_last_energy")
async def test_session_never_listed_is_not_chased_forever(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: JouloSimulator
) -> None:
    """A finished session `/sessions` never lists is looked for on each poll for 30 minutes only."""
    with listed_as_running(simulator.end_session(GARAGE_ID)):
        requested = await requested_during(hass, freezer, simulator, timedelta(minutes=40))

    polls = requested["/chargers"]
    assert len(polls) == 40
    # Asked on the 30 polls of the watch; after it, only on the usual ten-minute schedule.
    assert requested["/sessions"] == [*polls[:30], polls[29] + timedelta(minutes=10)]


# The rate-limit gate


async def test_retry_after_seconds_holds_every_request(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After a 429 with `Retry-After: 300`, nothing reaches Joulo for 300 s; then polling resumes."""
    # The next chargers poll is refused just before the ten-minute sessions poll is due.
    await advance_time(hass, freezer, timedelta(minutes=8), step=STEP)
    simulator.faults.inject("http_error", status=429, retry_after="300", endpoint="/chargers")
    await advance_time(hass, freezer, timedelta(minutes=1), step=STEP)
    (refused,) = [r for r in simulator.requests if r.status == 429]
    # One refused poll is ridden out: the charger entities keep their states.
    assert state_of(hass, "sensor.garage_status") == "online"

    await advance_time(hass, freezer, timedelta(minutes=10), step=STEP)

    after = requests_between(simulator, refused.at + timedelta(microseconds=1))
    assert after[0].at == refused.at + timedelta(seconds=300)
    # The sessions poll that fell due while the gate was closed was held too, not sent.
    assert per_endpoint(r for r in after if r.at == after[0].at) == {"/chargers": 1, "/sessions": 1}
    assert all(request.status == 200 for request in after)
    assert state_of(hass, "sensor.garage_status") == "online"
    assert state_of(hass, "sensor.garage_last_session_energy") != STATE_UNAVAILABLE


async def test_429_without_retry_after_backs_off_and_doubles(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Without `Retry-After`, 429s in a row hold requests 60 s, then 120 s; a success resets that."""
    simulator.clear_requests()
    simulator.faults.inject("http_error", status=429, endpoint="/chargers", times=2)

    await advance_time(hass, freezer, timedelta(minutes=6), step=STEP)

    first, second, third, *rest = simulator.requests
    assert [first.status, second.status, third.status] == [429, 429, 200]
    assert second.at - first.at == timedelta(seconds=60)
    assert third.at - second.at == timedelta(seconds=120)
    assert {r.status for r in rest} == {200}

    simulator.clear_requests()
    simulator.faults.inject("http_error", status=429, endpoint="/chargers")
    await advance_time(hass, freezer, timedelta(minutes=3), step=STEP)

    first, second, *_ = simulator.requests
    assert first.status == 429
    assert second.at - first.at == timedelta(seconds=60)


async def test_retry_after_http_date_is_honoured(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A `Retry-After` given as an HTTP date holds every request until that moment."""
    retry_at = (dt_util.utcnow() + timedelta(minutes=15)).replace(microsecond=0)
    simulator.faults.inject(
        "http_error",
        status=429,
        retry_after=format_datetime(retry_at, usegmt=True),
        endpoint="/chargers",
    )
    simulator.clear_requests()

    await advance_time(hass, freezer, timedelta(minutes=20), step=STEP)

    refused, resumed, *_ = simulator.requests
    assert refused.status == 429
    assert retry_at <= resumed.at < retry_at + timedelta(seconds=60)
    assert resumed.status == 200


# Authentication


async def test_revoked_token_starts_reauth_and_stops_all_requests(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After a 401 the entry asks for a new token, and nothing more is sent with the old one."""
    simulator.revoke_token(DEMO_TOKEN)
    simulator.clear_requests()

    await advance_time(hass, freezer, timedelta(minutes=1), step=STEP)

    assert [(r.endpoint, r.status) for r in simulator.requests] == [("/chargers", 401)]
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(flows) == 1
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id
    assert state_of(hass, "sensor.garage_status") == STATE_UNAVAILABLE

    await advance_time(hass, freezer, TWO_HOURS, step=timedelta(minutes=1))

    assert len(simulator.requests) == 1
    assert len(hass.config_entries.flow.async_progress()) == 1
    assert state_of(hass, "sensor.garage_last_session_energy") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.joulo_total_energy") == STATE_UNAVAILABLE


async def test_insufficient_scope_stops_each_poll_after_its_refusal(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A 403 on every endpoint: each coordinator is refused once, then asks no more."""
    simulator.faults.inject("http_error", status=403, times=None)
    simulator.clear_requests()

    await advance_time(hass, freezer, TWO_HOURS, step=timedelta(minutes=1))

    assert per_endpoint(simulator.requests) == {"/chargers": 1, "/sessions": 1, "/energy": 1}
    assert {r.status for r in simulator.requests} == {403}
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress()
    )


# On demand


@pytest.mark.parametrize(
    ("entity_id", "endpoint"),
    [
        ("sensor.garage_status", "/chargers"),
        ("binary_sensor.oprit_charging", "/chargers"),
        ("sensor.oprit_last_session_energy", "/sessions"),
        ("sensor.joulo_total_energy", "/energy"),
    ],
)
async def test_update_entity_refreshes_its_coordinator(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    entity_id: str,
    endpoint: str,
) -> None:
    """`homeassistant.update_entity` asks the entity's endpoint once more, and nothing else."""
    assert await async_setup_component(hass, "homeassistant", {})
    simulator.clear_requests()

    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_id}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    assert per_endpoint(simulator.requests) == {endpoint: 1}


# Setup


@pytest.fixture
async def held_server(
    socket_enabled: None, simulator: JouloSimulator
) -> AsyncIterator[tuple[str, list[int]]]:
    """The simulator behind a middleware that holds each API request until three are in flight.

    Yields the API base URL and the number of requests in flight as each one arrived. Held requests
    are let go after 2 s regardless, so a client that asks one at a time is only slowed, not stuck.
    """
    in_flight: list[int] = []
    three_in_flight = asyncio.Event()
    count = 0

    @web.middleware
    async def hold(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal count
        count += 1
        in_flight.append(count)
        if count >= 3:
            three_in_flight.set()
        try:
            async with asyncio.timeout(2):
                await three_in_flight.wait()
        except TimeoutError:
            pass
        try:
            return await handler(request)
        finally:
            count -= 1

    app = create_app(simulator)
    app.middlewares.append(hold)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}{API_PATH}", in_flight
    await runner.cleanup()


async def test_setup_asks_all_endpoints_at_once(
    hass: HomeAssistant, simulator: JouloSimulator, held_server: tuple[str, list[int]]
) -> None:
    """Setup sends its chargers, sessions and energy requests together, not one after another."""
    base_url, in_flight = held_server
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.account().id,
        data={CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: base_url},
    )

    await set_up_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    # /me follows /energy; the first three requests were all in flight at once.
    assert in_flight[:3] == [1, 2, 3]
    assert sorted(r.endpoint for r in simulator.requests[:3]) == [
        "/chargers",
        "/energy",
        "/sessions",
    ]


# Finished sessions beyond the newest page, and the energy refreshes they bring


def targeted_lookups(requests: Iterable[RecordedRequest]) -> list[RecordedRequest]:
    """The `/sessions` requests for one charger's sessions (not the newest page of all)."""
    return [r for r in requests if r.endpoint == "/sessions" and "charger_id" in r.query]


async def test_finished_session_beyond_the_newest_page_is_looked_up_by_charger(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """With 101 newer sessions running, an ended session is asked for by charger, once, and shown.

    The newest page of `/sessions` (100) is full of the other chargers' running sessions, so it does
    not list the Garage's session when it ends: one request for the Garage's sessions since its start
    finds it completed, within the chargers poll that saw it end.
    """
    ended_events = async_capture_events(hass, "joulo_session_ended")
    simulator.start_session(GARAGE_ID, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(minutes=1), step=timedelta(minutes=1))
    for number in range(MAX_SESSIONS_LIMIT + 1):
        charger = simulator.add_charger(nickname=f"Paal {number}")
        simulator.start_session(charger.id, power_kw=7.4)
    await advance_time(hass, freezer, timedelta(minutes=2), step=timedelta(minutes=1))
    assert state_of(hass, "binary_sensor.paal_100_charging") == "on"
    last_energy = state_of(hass, "sensor.garage_last_session_energy")

    session = simulator.end_session(GARAGE_ID)
    simulator.clear_requests()
    await advance_time(hass, freezer, timedelta(minutes=1), step=timedelta(minutes=1))

    # The one chargers poll that saw the Garage idle: the newest page, then the Garage's sessions.
    (poll,) = times_of(simulator.requests, "/chargers")
    (page, lookup) = [r for r in simulator.requests if r.endpoint == "/sessions"]
    assert "charger_id" not in page.query
    assert lookup.query.keys() == {"charger_id", "from"}
    assert lookup.query["charger_id"] == GARAGE_ID
    assert dt_util.parse_datetime(lookup.query["from"]) == session.started_at
    assert page.at == lookup.at == poll
    assert times_of(simulator.requests, "/energy") == [poll]
    assert last_energy != str(session.kwh)
    assert float(state_of(hass, "sensor.garage_last_session_energy")) == session.kwh
    assert [(event.data["charger_id"], event.data["session_id"]) for event in ended_events] == [
        (GARAGE_ID, session.id)
    ]

    # Once found, the session is not asked for again.
    await advance_time(hass, freezer, timedelta(minutes=15), step=timedelta(minutes=1))

    assert targeted_lookups(simulator.requests) == [lookup]
    assert len(ended_events) == 1


@pytest.mark.parametrize(
    ("cause", "listed_completed"),
    [
        # One answer without the sessions' ends lists none as completed; the next lists them again.
        pytest.param("fault recovers", [True, False, True], id="fault recovers"),
        # The session before it is removed, so it moves up onto the newest page.
        pytest.param("session removed", [False, True, True], id="session removed"),
    ],
)
async def test_old_session_reappearing_on_the_page_does_not_refresh_the_energy(
    *,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    cause: str,
    listed_completed: list[bool],
) -> None:
    """A completed session that comes (back) onto the page, but is no charger's newest, changes nothing.

    The energy totals are not asked for before their hour, and no last session sensor changes.
    """
    account = simulator.default_account
    history = sorted(account.sessions, key=lambda s: (s.started_at, s.id), reverse=True)
    if cause == "fault recovers":
        simulator.faults.inject(
            FaultKind.MISSING_FIELDS, endpoint="/sessions", fields=("ended_at",), times=1
        )
        old = history[MAX_SESSIONS_LIMIT - 1]  # the oldest on the page
    else:
        # Not a charger's newest session: the one before the newest of the newest one's charger.
        account.sessions.remove(
            next(s for s in history[1:] if s.charger_id == history[0].charger_id)
        )
        old = history[MAX_SESSIONS_LIMIT]  # the newest not on the page
    sensors = [f"sensor.{name}_last_session_energy" for name in ("garage", "oprit", "carport")]
    last_sessions = [state_of(hass, entity_id) for entity_id in sensors]
    simulator.clear_requests()

    def is_listed_completed() -> bool:
        recent = init_integration.runtime_data.sessions.data.recent
        return any(session.id == old.id and session.is_completed for session in recent)

    seen = [is_listed_completed()]
    for _ in range(2):  # two ten-minute sessions polls
        await advance_time(hass, freezer, timedelta(minutes=10), step=timedelta(minutes=1))
        seen.append(is_listed_completed())

    assert seen == listed_completed
    assert per_endpoint(simulator.requests) == {"/chargers": 20, "/sessions": 2}
    assert all(r.status == 200 for r in simulator.requests)
    assert [state_of(hass, entity_id) for entity_id in sensors] == last_sessions


async def test_sessions_ending_a_minute_apart_refresh_the_energy_once_per_cooldown(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The first end refreshes the totals at once; the second, a minute later, five minutes after."""
    simulator.start_session(GARAGE_ID, power_kw=11.0)
    simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await advance_time(hass, freezer, timedelta(minutes=2), step=STEP)
    energy_before = float(state_of(hass, "sensor.joulo_total_energy"))

    garage = simulator.end_session(GARAGE_ID)
    simulator.clear_requests()
    await advance_time(hass, freezer, timedelta(minutes=1), step=STEP)
    driveway = simulator.end_session(DRIVEWAY_ID)
    await advance_time(hass, freezer, timedelta(minutes=9), step=STEP)

    first, second, *_ = times_of(simulator.requests, "/chargers")
    assert second - first == timedelta(minutes=1)
    assert times_of(simulator.requests, "/sessions") == [first, second]
    assert times_of(simulator.requests, "/energy") == [first, first + ENERGY_REFRESH_COOLDOWN]
    assert float(state_of(hass, "sensor.garage_last_session_energy")) == garage.kwh
    assert float(state_of(hass, "sensor.oprit_last_session_energy")) == driveway.kwh
    assert float(state_of(hass, "sensor.joulo_total_energy")) == pytest.approx(
        energy_before + garage.kwh + driveway.kwh
    )


async def test_reload_while_retry_after_runs_sends_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A reload 10 s into a `Retry-After: 120` waits it out: the gate outlives the setup."""
    simulator.faults.inject("http_error", status=429, retry_after="120", endpoint="/chargers")
    await advance_time(hass, freezer, timedelta(minutes=1), step=STEP)
    (refused,) = [r for r in simulator.requests if r.status == 429]

    await advance_time(hass, freezer, timedelta(seconds=10))
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert_setup_held(init_integration, seconds=110)
    # Home Assistant retries the setup on its own schedule; none of those tries sends anything.
    await advance_time(hass, freezer, timedelta(seconds=100))
    assert requests_between(simulator, refused.at + timedelta(microseconds=1)) == []

    await advance_time(hass, freezer, timedelta(minutes=3))
    after = requests_between(simulator, refused.at + timedelta(microseconds=1))
    assert after[0].at >= refused.at + timedelta(seconds=120)
    assert all(request.status == 200 for request in after)
    assert entry_state(init_integration) is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.garage_status") == "online"


async def test_429_during_setup_retries_only_after_retry_after(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A 429 during setup: not ready, saying when; the retries send nothing until it has passed."""
    simulator.faults.inject("http_error", status=429, retry_after="120", endpoint="/energy")
    start = dt_util.utcnow()

    await try_set_up_entry(hass, mock_config_entry)

    assert_setup_held(mock_config_entry, seconds=120)
    first_setup = per_endpoint(simulator.requests)
    assert first_setup == {"/chargers": 1, "/sessions": 1, "/energy": 1}

    await advance_time(hass, freezer, timedelta(seconds=115))
    assert per_endpoint(simulator.requests) == first_setup

    await advance_time(hass, freezer, timedelta(minutes=3))
    retried = requests_between(simulator, start + timedelta(seconds=1))
    assert retried[0].at >= start + timedelta(seconds=120)
    assert entry_state(mock_config_entry) is ConfigEntryState.LOADED


# Adaptive chargers polling

HOUR = timedelta(hours=1)


async def _cloud_only_entry(
    hass: HomeAssistant, simulator: JouloSimulator, base_url: str
) -> tuple[MockConfigEntry, list[str]]:
    """An account of two cloud chargers (Easee, Wallbox), set up; the entry and the charger ids."""
    account = simulator.add_account("joulo_cloudonlyaccount00000000000000000", empty=True)
    chargers = [
        simulator.add_charger(token=account.token, nickname=name, connection_type=kind).id
        for name, kind in (("Voor", "easee"), ("Achter", "wallbox"))
    ]
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=account.id,
        data={CONF_API_TOKEN: account.token, CONF_URL: base_url},
    )
    await set_up_entry(hass, entry)
    return entry, chargers


@pytest.mark.upstream_sync
async def test_idle_cloud_only_account_polls_chargers_every_five_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
) -> None:
    """Every charger an idle cloud charger: 12 `/chargers` an hour, within 5 min of Joulo's sync."""
    await _cloud_only_entry(hass, simulator, simulator_server.base_url)
    start = dt_util.utcnow()

    await advance_time(hass, freezer, HOUR, step=STEP)

    polls = times_of(requests_between(simulator, start, start + HOUR), "/chargers")
    assert len(polls) == 12
    assert {later - earlier for earlier, later in pairwise(polls)} == {timedelta(minutes=5)}


@pytest.mark.upstream_sync
async def test_a_session_seen_starting_polls_every_minute_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
) -> None:
    """A cloud session shows at its sync; from the poll that sees it, `/chargers` every 60 s."""
    entry, (front, _) = await _cloud_only_entry(hass, simulator, simulator_server.base_url)
    await advance_time(hass, freezer, timedelta(minutes=10), step=STEP)
    simulator.start_session(front, power_kw=7.4)

    # Joulo shows it at the charger's next sync (within 15 min), we within 5 min of that.
    await advance_time(hass, freezer, timedelta(minutes=20), step=STEP)
    assert state_of(hass, "binary_sensor.voor_charging") == "on"
    seen = times_of(simulator.requests, "/chargers")
    first_charging = next(
        at for at in seen if at > dt_util.utcnow() - timedelta(minutes=20)
    )  # a poll after the start
    start = dt_util.utcnow()
    await advance_time(hass, freezer, HOUR, step=STEP)

    polls = times_of(requests_between(simulator, start, start + HOUR), "/chargers")
    assert len(polls) == 60
    assert {later - earlier for earlier, later in pairwise(polls)} == {timedelta(minutes=1)}
    assert first_charging < start
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.usefixtures("frozen_time")
@pytest.mark.live_and_synced
async def test_an_account_with_a_live_charger_polls_every_minute(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The default account has an OCPP charger, which reports live: `/chargers` 60 times an hour."""
    start = dt_util.utcnow()
    await advance_time(hass, freezer, HOUR, step=STEP)
    assert len(times_of(requests_between(simulator, start, start + HOUR), "/chargers")) == 60


@pytest.mark.upstream_sync
async def test_idle_cloud_session_end_is_announced_within_one_chargers_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
) -> None:
    """A cloud session ends: its final kWh and `ended` event come one chargers poll after the sync."""
    _, (front, _) = await _cloud_only_entry(hass, simulator, simulator_server.base_url)
    ended = async_capture_events(hass, "joulo_session_ended")
    simulator.start_session(front, power_kw=7.4)
    await advance_time(hass, freezer, timedelta(minutes=45), step=STEP)
    session = simulator.end_session(front)

    await advance_time(hass, freezer, timedelta(minutes=20), step=STEP)

    (event,) = ended
    assert event.data["session_id"] == session.id
    assert state_of(hass, "sensor.voor_last_session_energy") == str(session.kwh)
    assert session.ended_at is not None
    listed = next_sync(front, session.ended_at)  # Joulo lists the session from this sync on
    assert timedelta(0) < event.time_fired - listed <= ONE_POLL
