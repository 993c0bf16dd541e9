"""What a day of polling costs the Joulo API, measured on the real integration in Home Assistant.

Run it from the repository root (it is not part of `scripts/test`: `testpaths` is `tests`), with `-s` to
see the figures:

    .venv/min/bin/python -m pytest benchmarks -s -p no:cacheprovider

Each benchmark sets up the integration against the simulator, through the test suite's own fixtures
(see `conftest.py`), and moves Home Assistant's frozen clock one chargers poll (60 s) at a time with the
suite's `advance_time`, so the coordinators, the announcer and the entities run as they do for a user.
With the simulator's autopilot on, the chargers start and end sessions by themselves (seeded, from a
fixed start: every run is the same). The simulator logs every request with its simulated time; the
figures come from that log, from the `joulo_session_ended` events on the bus, and from real time
measured around each simulated minute.

What is asserted is deterministic: the request counts of two idle hours, one `/chargers` request per
minute whatever the number of chargers, no request refused by the rate limit, and one `ended` event
for each session that completed. Real times are printed, never asserted. The request counts were the
same in every run and on both Home Assistant versions; only the order of the polls within a minute
varies (Home Assistant gives each coordinator's timer a random sub-second offset), which can move a
minute in or out of the "only the chargers poll" figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
import json
import statistics

import freezegun.api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.joulo.announcer import EVENT_SESSION_ENDED
from custom_components.joulo.api.models import parse_chargers
from custom_components.joulo.data import JouloRuntimeData
from joulo_simulator import DEFAULT_RATE_LIMIT, JouloSimulator, RecordedRequest
from tests.integration.common import ONE_POLL, advance_time, set_up_entry

pytestmark = pytest.mark.usefixtures("frozen_time")

BUSINESS_CHARGERS = 300
"""Chargers a business account adds to the default account's three."""
BUSINESS_HOURS = 24
"""Simulated hours of the business account: about two minutes of real time on two cores."""
BUSINESS_CONNECTION_TYPES = ("easee", "zaptec", "ocpp", "wallbox", "enphase", "smappee", "v2c")
PARSE_REPEATS = 20
SESSIONS_BY_CHARGER = "/sessions by charger"
"""A `/sessions` look-up of one charger's sessions (`charger_id` and `from`), not the newest page."""
ROWS = ("/chargers", "/sessions", SESSIONS_BY_CHARGER, "/energy", "/me")


@dataclass(frozen=True)
class Run:
    """What one benchmark saw in the simulated window [start, end)."""

    name: str
    chargers: int
    start: datetime
    end: datetime
    requests: tuple[RecordedRequest, ...]
    """The API requests received in the window."""
    completed: frozenset[str]
    """The sessions that ended in [start, end], as the simulator knows them."""
    ended_events: tuple[str, ...]
    """The session id of each `joulo_session_ended` event fired, in order."""
    seen: frozenset[str]
    """Completed sessions the integration saw: in an `ended` event or in the sessions coordinator."""
    entities: int
    """The entry's entities."""
    setup_seconds: float
    minute_seconds: tuple[float, ...]
    """Real seconds Home Assistant took for each simulated minute (its polls and what they updated)."""
    chargers_only_seconds: tuple[float, ...]
    """The same, for the minutes in which `/chargers` was the only request."""

    @property
    def hours(self) -> float:
        """The length of the window in hours."""
        return (self.end - self.start) / timedelta(hours=1)

    @property
    def per_endpoint(self) -> Counter[str]:
        """Requests per row of the table."""
        return Counter(_row(request) for request in self.requests)

    @property
    def refused(self) -> int:
        """Requests the simulator did not answer with 200 (e.g. 429 for the rate limit)."""
        return sum(1 for request in self.requests if request.status != 200)

    @property
    def never_seen(self) -> frozenset[str]:
        """Sessions that completed in the window but never reached the integration."""
        return self.completed - self.seen


def real_time() -> float:
    """Real seconds, for intervals: `time.perf_counter` stands still while the test's clock is frozen."""
    seconds: float = freezegun.api.real_perf_counter()
    return seconds


def _row(request: RecordedRequest) -> str:
    if request.endpoint == "/sessions" and "charger_id" in request.query:
        return SESSIONS_BY_CHARGER
    return request.endpoint


async def simulate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    entry: MockConfigEntry,
    *,
    name: str,
    duration: timedelta,
) -> Run:
    """Set up `entry`, let `duration` pass one chargers poll at a time, and gather what happened."""
    ended = async_capture_events(hass, EVENT_SESSION_ENDED)
    started = real_time()
    await set_up_entry(hass, entry)
    setup_seconds = real_time() - started
    start = simulator.requests[0].at
    runtime: JouloRuntimeData = entry.runtime_data
    seen: set[str] = set()

    @callback
    def see_completed() -> None:
        seen.update(s.id for s in runtime.sessions.data.recent if s.is_completed)

    see_completed()
    stop_seeing = runtime.sessions.async_add_listener(see_completed)
    minute_seconds: list[float] = []
    chargers_only: list[float] = []
    for _ in range(round(duration / ONE_POLL)):
        logged = len(simulator.requests)
        started = real_time()
        await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
        seconds = real_time() - started
        minute_seconds.append(seconds)
        if [r.endpoint for r in simulator.requests[logged:]] == ["/chargers"]:
            chargers_only.append(seconds)
    stop_seeing()
    end = start + duration
    ended_ids = tuple(event.data["session_id"] for event in ended)
    return Run(
        name=name,
        chargers=len(simulator.account().chargers),
        start=start,
        end=end,
        requests=tuple(r for r in simulator.requests if start <= r.at < end),
        completed=frozenset(
            s.id
            for s in simulator.account().sessions
            if s.ended_at is not None and start <= s.ended_at <= end
        ),
        ended_events=ended_ids,
        seen=frozenset(seen) | frozenset(ended_ids),
        entities=len(er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)),
        setup_seconds=setup_seconds,
        minute_seconds=tuple(minute_seconds),
        chargers_only_seconds=tuple(chargers_only),
    )


def report(run: Run) -> None:
    """Print what `run` measured: requests per day and per hour, sessions, real time."""
    per_day = 24 / run.hours
    per_hour: dict[str, Counter[int]] = {}
    for request in run.requests:
        hour = int((request.at - run.start) / timedelta(hours=1))
        per_hour.setdefault(_row(request), Counter())[hour] += 1
        per_hour.setdefault("total", Counter())[hour] += 1
    counts = run.per_endpoint
    print(
        f"\n{run.name}: {run.chargers} chargers ({run.entities} entities),"
        f" {run.hours:g} simulated hours"
    )
    print(f"  {'requests':<22} {'per day':>8} {'per hour':>9} {'busiest hour':>13}")
    for row in (*ROWS, "total"):
        count = counts.total() if row == "total" else counts[row]
        busiest = max(per_hour.get(row, Counter()).values(), default=0)
        print(f"  {row:<22} {count * per_day:>8.0f} {count / run.hours:>9.1f} {busiest:>13}")
    busiest_minute = max(
        Counter(r.at.replace(second=0, microsecond=0) for r in run.requests).values()
    )
    print(
        f"  busiest minute: {busiest_minute} requests (the API allows"
        f" {DEFAULT_RATE_LIMIT.max_requests}); refused (not 200): {run.refused}"
    )
    print(
        f"  sessions completed: {len(run.completed)}, `ended` events: {len(run.ended_events)},"
        f" completed sessions never seen by the integration: {len(run.never_seen)}"
    )
    print(
        f"  real time: setup {run.setup_seconds:.2f} s,"
        f" the {run.hours:g} simulated hours {sum(run.minute_seconds):.1f} s"
    )
    print(f"  real time per simulated minute: {_spread(run.minute_seconds)}")
    print(f"  ... with only the chargers poll: {_spread(run.chargers_only_seconds)}")


def _spread(seconds: Iterable[float]) -> str:
    values = list(seconds)
    if not values:
        return "none"
    return (
        f"mean {statistics.fmean(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"
        f" ({len(values)} minutes)"
    )


def assert_sound(run: Run) -> None:
    """One `/chargers` request a minute, none refused, one `ended` event per completed session."""
    assert run.per_endpoint["/chargers"] == round(run.hours * 60)
    assert run.refused == 0
    assert sorted(run.ended_events) == sorted(run.completed)
    assert not run.never_seen


async def chargers_parse_time(
    hass: HomeAssistant, entry: MockConfigEntry
) -> tuple[float, int, int]:
    """Fetch `/chargers` once; return the mean seconds the client takes to decode and parse it.

    Also the number of chargers and the size of the body in bytes.
    """
    async with async_get_clientsession(hass).get(
        entry.data[CONF_URL] + "/chargers",
        headers={"Authorization": f"Bearer {entry.data[CONF_API_TOKEN]}"},
    ) as response:
        body = await response.read()
    chargers = parse_chargers(json.loads(body))  # as JouloClient.get_chargers does; also a warm-up
    started = real_time()
    for _ in range(PARSE_REPEATS):
        parse_chargers(json.loads(body))
    return (real_time() - started) / PARSE_REPEATS, len(chargers), len(body)


async def test_two_idle_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Two hours without charging cost exactly 120 chargers, 12 sessions, 2 energy and 2 /me requests."""
    run = await simulate(
        hass,
        freezer,
        simulator,
        mock_config_entry,
        name="Idle home account",
        duration=timedelta(hours=2),
    )
    report(run)

    assert run.per_endpoint == {"/chargers": 120, "/sessions": 12, "/energy": 2, "/me": 2}
    assert run.refused == 0


@pytest.mark.autopilot
async def test_home_account_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A day of the default account (three chargers, two of them online) charging by itself."""
    run = await simulate(
        hass,
        freezer,
        simulator,
        mock_config_entry,
        name="Home account",
        duration=timedelta(hours=24),
    )
    report(run)

    assert_sound(run)
    assert run.completed  # the autopilot charged


@pytest.mark.autopilot
async def test_business_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A day of a business account with 300 more chargers: the same chargers polls, no session missed."""
    for number in range(BUSINESS_CHARGERS):
        simulator.add_charger(
            nickname=f"Laadpaal {number + 1:03d}",
            connection_type=BUSINESS_CONNECTION_TYPES[number % len(BUSINESS_CONNECTION_TYPES)],
        )
    run = await simulate(
        hass,
        freezer,
        simulator,
        mock_config_entry,
        name="Business account",
        duration=timedelta(hours=BUSINESS_HOURS),
    )
    report(run)
    seconds, chargers, size = await chargers_parse_time(hass, mock_config_entry)
    print(
        f"  /chargers answer: {chargers} chargers, {size / 1024:.0f} KiB,"
        f" decoded and parsed in {seconds * 1000:.2f} ms"
    )

    assert chargers == BUSINESS_CHARGERS + 3
    assert_sound(run)
    assert run.per_endpoint[SESSIONS_BY_CHARGER] > 0  # the newest page was full of running sessions
