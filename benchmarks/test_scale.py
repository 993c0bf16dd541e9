"""What one chargers poll costs Home Assistant's event loop with 1 to 500 chargers, and idle polling.

Run it from the repository root, with `-s` to see the table:

    .venv/min/bin/python -m pytest benchmarks/test_scale.py -s -p no:cacheprovider

For each number of chargers (the simulator's default account, less or more chargers of every
connection type), the integration is set up and Home Assistant's frozen clock moves one chargers poll
(60 s) at a time with the suite's `advance_time`, so the poll runs as it does for a user: the
coordinator's timer, the request, the refresh pipeline and the entities' state writes. First no
charger changes; then a session runs on every tenth online charger (at least one), whose
`kwh_so_far`, power and meter change on every poll, while the others stay as they were. Every
charger is live (the upstream sync is off), so the same chargers change on every poll; the account
keeps its OCPP charger, so chargers are polled every minute.

Event-loop CPU is the CPU time of Home Assistant's loop thread (`time.thread_time`, which freezegun
leaves alone) over one poll. The simulator serves from a thread and an event loop of its own, so its
work (building the `/chargers` answer, its side of HTTP) is not counted; the client's request and
the parsing of the answer are, as they are in Home Assistant. The simulator thread's CPU is measured
too and shown next to it: the sum is what the poll costs with the simulator on the same loop, as the
suite's `simulator_server` runs it. Only minutes in which `/chargers` was the only request count, so
a sessions or energy poll never inflates a figure. A state write is a `state_changed` event, or a
`state_reported` one (a state written again unchanged), of one of the entry's entities. On the
newest Home Assistant the test plugin runs the loop in asyncio's debug mode, which costs CPU too.

The idle figures count the `/chargers` requests of two simulated hours after the first ten minutes,
with Joulo's upstream sync on: for the default account, and for the same without its OCPP charger
(cloud chargers only).

Asserted are the deterministic figures: an unchanged poll writes no state; a changed poll writes at
most the entities of the changed chargers (only those whose shown value moved), and for 500 chargers
at most 500; the idle request counts. Times are printed, never asserted.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
import statistics
import threading
import time

import freezegun.api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_URL, EVENT_STATE_CHANGED
from homeassistant.core import (
    HomeAssistant,
    callback,
)
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from joulo_simulator import (
    CARPORT_ID,
    DRIVEWAY_ID,
    GARAGE_ID,
    JouloSimulator,
    SimCharger,
    SimulatorServer,
)
from tests.integration.common import (
    ONE_POLL,
    StateWriteEvent,
    advance_time,
    async_listen_to_state_writes,
    device_id_of,
    set_up_entry,
    simulate,
)

from .table import BenchTable
from .test_request_budget import BUSINESS_CONNECTION_TYPES

pytestmark = pytest.mark.usefixtures("frozen_time")

CHARGER_COUNTS = (1, 10, 100, 500)
GOAL_CHARGERS = 500
"""The size the issue's goals are set for."""
MAX_WRITES = 500
"""The goal: state writes of one poll of `GOAL_CHARGERS` chargers, 10% of them changed."""
MAX_CPU_RATIO = 3.0
"""The goal: a changed poll costs the loop at most this many times an unchanged one."""
POLLS = 9
"""Polls measured of each kind; the table shows their median."""
MAX_MINUTES = 2 * POLLS
"""Minutes tried to find `POLLS` in which only the chargers poll ran."""
SETTLE = timedelta(minutes=2)
"""Time for what the setup sets off (the registries' delayed saves), or starting the sessions (a
sessions refresh, `started` announcements)."""
IDLE_SETTLE = timedelta(minutes=10)
IDLE_HOURS = 2
IDLE_CLOUD_ONLY_GOAL = 13
"""The goal: `/chargers` requests an hour of an idle cloud-only account."""


@dataclass(frozen=True)
class Poll:
    """One measured chargers poll: CPU seconds of each loop, and the entry's state writes."""

    cpu_seconds: float
    """Home Assistant's loop."""
    simulator_cpu_seconds: float
    changed_states: int
    """`state_changed` events."""
    reported_states: int
    """`state_reported` events: states written again unchanged."""

    @property
    def writes(self) -> int:
        """Every state written."""
        return self.changed_states + self.reported_states


def _median_ms(seconds: Iterator[float]) -> float:
    return statistics.median(seconds) * 1000


@dataclass(frozen=True)
class Scale:
    """The figures of one number of chargers."""

    chargers: int
    entities: int
    unchanged: tuple[Poll, ...]
    changed: tuple[Poll, ...]
    """Polls with 10% of the chargers changed."""

    @property
    def unchanged_ms(self) -> float:
        """The median loop CPU of an unchanged poll, in milliseconds."""
        return _median_ms(poll.cpu_seconds for poll in self.unchanged)

    @property
    def changed_ms(self) -> float:
        """The median loop CPU of a changed poll, in milliseconds."""
        return _median_ms(poll.cpu_seconds for poll in self.changed)

    @property
    def unchanged_with_simulator_ms(self) -> float:
        """The median CPU of an unchanged poll with the simulator's, in milliseconds."""
        return _median_ms(poll.cpu_seconds + poll.simulator_cpu_seconds for poll in self.unchanged)

    @property
    def changed_with_simulator_ms(self) -> float:
        """The median CPU of a changed poll with the simulator's, in milliseconds."""
        return _median_ms(poll.cpu_seconds + poll.simulator_cpu_seconds for poll in self.changed)

    @property
    def unchanged_writes(self) -> int:
        """The most state writes of an unchanged poll."""
        return max(poll.writes for poll in self.unchanged)

    @property
    def writes(self) -> int:
        """The most state writes of a changed poll (the polls differ in which values moved)."""
        return max(poll.writes for poll in self.changed)

    @property
    def changed_states(self) -> int:
        """The most states a changed poll changed (the rest it wrote again unchanged)."""
        return max(poll.changed_states for poll in self.changed)

    @property
    def cpu_ratio(self) -> float:
        """How many times the loop CPU of an unchanged poll a changed one costs."""
        return self.changed_ms / self.unchanged_ms


@pytest.fixture(scope="module")
def scale_table() -> Iterator[list[Scale]]:
    """The figures of each number of chargers, printed as one table at the end."""
    measured: list[Scale] = []
    yield measured
    print(
        "\n| chargers | entities | unchanged poll | 10% changed"
        " | state writes (10% changed) | with the simulator's CPU |"
    )
    print("|---|---|---|---|---|---|")
    for scale in measured:
        print(
            f"| {scale.chargers:,} | {scale.entities:,} | {scale.unchanged_ms:.1f} ms"
            f" | {scale.changed_ms:.1f} ms | {scale.writes:,}"
            f" ({scale.changed_states:,} changed)"
            f" | {scale.unchanged_with_simulator_ms:.1f} ms / {scale.changed_with_simulator_ms:.1f} ms |"
        )
    print(
        f"(event-loop CPU, median of {POLLS} polls; last column: with the CPU of the simulator's"
        " thread added, as if it ran on the same loop)"
    )


def add_rows(bench_table: BenchTable, scale: Scale) -> None:
    """Add the figures of `scale` to the run's table; those of `GOAL_CHARGERS` against the goals."""
    bench_table.add(
        "Scale",
        f"{scale.chargers} charger{'s' if scale.chargers > 1 else ''}: entities / unchanged poll"
        " / 10% changed poll / writes",
        f"{scale.entities:,} / {scale.unchanged_ms:.1f} ms / {scale.changed_ms:.1f} ms"
        f" / {scale.writes:,}",
    )
    if scale.chargers != GOAL_CHARGERS:
        return
    bench_table.add(
        "Scale",
        f"{scale.chargers} chargers, unchanged poll: state writes",
        f"{scale.unchanged_writes:,}",
        goal="0",
        met=scale.unchanged_writes == 0,
    )
    bench_table.add(
        "Scale",
        f"{scale.chargers} chargers, 10% changed: state writes per poll (changed states)",
        f"{scale.writes:,} ({scale.changed_states:,})",
        goal=f"≤ {MAX_WRITES}",
        met=scale.writes <= MAX_WRITES,
    )
    bench_table.add(
        "Scale",
        f"{scale.chargers} chargers: loop CPU of a changed poll / of an unchanged one",
        f"{scale.cpu_ratio:.1f}x",
        goal=f"≤ {MAX_CPU_RATIO:g}x",
        met=scale.cpu_ratio <= MAX_CPU_RATIO,
    )


@dataclass(frozen=True)
class ThreadedServer:
    """The simulator's server, running in a thread of its own."""

    server: SimulatorServer
    thread: threading.Thread

    def cpu_seconds(self) -> float:
        """The CPU time the server's thread has used."""
        assert self.thread.ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(self.thread.ident))


@pytest.fixture
async def threaded_server(
    socket_enabled: None, simulator: JouloSimulator
) -> AsyncIterator[ThreadedServer]:
    """The simulator served from a thread and event loop of its own, off Home Assistant's loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="joulo-simulator")
    thread.start()
    server = SimulatorServer(simulator)
    try:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(server.start(), loop))
        yield ThreadedServer(server, thread)
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(server.stop(), loop))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


@pytest.fixture
def threaded_entry(
    mock_config_entry: MockConfigEntry, threaded_server: ThreadedServer
) -> MockConfigEntry:
    """The default account's entry, pointed at the threaded server."""
    return MockConfigEntry(
        domain=mock_config_entry.domain,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data={**mock_config_entry.data, CONF_URL: threaded_server.server.base_url},
    )


def link_chargers(simulator: JouloSimulator, count: int) -> list[SimCharger]:
    """Give the default account `count` chargers of mixed types; return the 10% that will charge.

    One charger is the OCPP one (it reports live: chargers are polled every minute); more are the
    default three and then added chargers of every connection type.
    """
    if count < len(simulator.account().chargers):
        for charger_id in (GARAGE_ID, CARPORT_ID):
            simulator.remove_charger(charger_id)
        assert list(simulator.account().chargers) == [DRIVEWAY_ID]
    for number in range(count - len(simulator.account().chargers)):
        simulator.add_charger(
            nickname=f"Laadpaal {number + 1:03d}",
            connection_type=BUSINESS_CONNECTION_TYPES[number % len(BUSINESS_CONNECTION_TYPES)],
        )
    chargers = list(simulator.account().chargers.values())
    assert len(chargers) == count
    charging = [charger for charger in chargers if charger.status == "online"][::10]
    assert len(charging) == max(1, count // 10)
    return charging


async def measure_polls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server: ThreadedServer,
    entity_ids: set[str],
) -> tuple[Poll, ...]:
    """Run chargers polls until `POLLS` of them ran alone in their minute; measure each."""
    changed_states = reported_states = 0

    @callback
    def count(event: StateWriteEvent) -> None:
        nonlocal changed_states, reported_states
        if event.data["entity_id"] not in entity_ids:
            return
        if event.event_type == EVENT_STATE_CHANGED:
            changed_states += 1
        else:
            reported_states += 1

    stop_listening = async_listen_to_state_writes(hass, count)
    requests = server.server.sim.requests
    polls: list[Poll] = []
    for _ in range(MAX_MINUTES):
        logged = len(requests)
        changed_states = reported_states = 0
        started, simulator_started = time.thread_time(), server.cpu_seconds()
        await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
        poll = Poll(
            cpu_seconds=time.thread_time() - started,
            simulator_cpu_seconds=server.cpu_seconds() - simulator_started,
            changed_states=changed_states,
            reported_states=reported_states,
        )
        if [request.endpoint for request in requests[logged:]] == ["/chargers"]:
            polls.append(poll)
        if len(polls) == POLLS:
            break
    stop_listening()
    assert len(polls) == POLLS, f"only {len(polls)} minutes with the chargers poll alone"
    return tuple(polls)


@pytest.mark.parametrize("chargers", CHARGER_COUNTS)
async def test_poll_cost(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: JouloSimulator,
    threaded_server: ThreadedServer,
    threaded_entry: MockConfigEntry,
    scale_table: list[Scale],
    bench_table: BenchTable,
    chargers: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unchanged poll writes nothing; with 10% changed, only the changed chargers' entities."""
    # freezegun looks up the caller's module on every clock read, to let some read real time; at
    # ~20 µs a read (each state write reads the clock), that would be most of a changed poll.
    monkeypatch.setattr(freezegun.api, "call_stack_inspection_limit", 0)
    charging = link_chargers(simulator, chargers)
    await set_up_entry(hass, threaded_entry)
    registry = er.async_get(hass)
    entries = er.async_entries_for_config_entry(registry, threaded_entry.entry_id)
    entity_ids = {entry.entity_id for entry in entries}
    charging_entities = sum(
        len(er.async_entries_for_device(registry, device_id_of(hass, threaded_entry, charger.id)))
        for charger in charging
    )

    await advance_time(hass, freezer, SETTLE, step=ONE_POLL)
    unchanged = await measure_polls(hass, freezer, threaded_server, entity_ids)
    for charger in charging:
        simulator.start_session(charger.id)
    await advance_time(hass, freezer, SETTLE, step=ONE_POLL)
    changed = await measure_polls(hass, freezer, threaded_server, entity_ids)
    scale = Scale(chargers, len(entries), unchanged, changed)
    scale_table.append(scale)
    add_rows(bench_table, scale)
    print(
        f"\n{chargers} chargers ({scale.entities:,} entities, {len(charging)} charging with"
        f" {charging_entities} enabled entities): unchanged poll {scale.unchanged_ms:.1f} ms,"
        f" 10% changed {scale.changed_ms:.1f} ms ({scale.cpu_ratio:.1f}x),"
        f" {scale.writes} writes ({scale.changed_states} changed)"
    )

    assert scale.unchanged_writes == 0
    assert 0 < scale.writes <= charging_entities
    if chargers == GOAL_CHARGERS:
        assert scale.writes <= MAX_WRITES


@pytest.mark.upstream_sync
@pytest.mark.parametrize(
    ("cloud_only", "per_hour"), [(True, 12), (False, 60)], ids=["cloud-only", "default"]
)
async def test_idle_chargers_polls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    bench_table: BenchTable,
    cloud_only: bool,
    per_hour: int,
) -> None:
    """Idle, cloud chargers only: `/chargers` every 5 minutes; with the OCPP charger, every minute."""
    if cloud_only:
        simulator.remove_charger(DRIVEWAY_ID)
    run = await simulate(
        hass,
        freezer,
        simulator,
        mock_config_entry,
        name="Idle",
        duration=IDLE_SETTLE + timedelta(hours=IDLE_HOURS),
    )
    counted = Counter(
        request.endpoint for request in run.requests if request.at >= run.start + IDLE_SETTLE
    )
    measured = counted["/chargers"] / IDLE_HOURS
    account = "cloud-only account" if cloud_only else "default account (one OCPP charger)"
    print(f"\nIdle {account}, requests in {IDLE_HOURS} hours: {dict(sorted(counted.items()))}")
    bench_table.add(
        "Scale",
        f"Idle {account}: /chargers requests an hour",
        f"{measured:g}",
        goal=f"≤ {IDLE_CLOUD_ONLY_GOAL}" if cloud_only else "",
        met=measured <= IDLE_CLOUD_ONLY_GOAL if cloud_only else None,
    )

    assert measured == per_hour
    assert run.refused == 0
