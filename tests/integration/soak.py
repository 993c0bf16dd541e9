"""The soak: seven simulated days of the integration against a Joulo that fails now and then.

The real integration runs in Home Assistant against the simulator, with Joulo's upstream sync (cloud
chargers change only at their 15-minute syncs) and the autopilot charging. Every request may fail at
random (seeded): 5% answer a server error, 1% hang past the client's timeout, 0.5% answer 429. Joulo
is down (503) for half an hour once, and Home Assistant restarts twice. `run_soak` runs it and returns
what happened; `test_soak.py` asserts on it and records it for `scripts/bench`'s table (`record_soak`).
A poll that meets a random fault is read once more a few seconds later (a timer on Home
Assistant's clock, which fires at the next step), so a random fault alone rarely fails a poll, and
the coordinators ride out the polls that do fail: outside the outage and the restarts, nothing
should read unavailable or log an ERROR.

Time moves one chargers poll (60 s) at a time. The suite's `advance_time` waits for every request to
be answered before it moves on, but a hanging request ends only when time moves past the client's
20 s timeout: the event loop's timers run on the frozen clock. So the soak moves time with
`SoakTraffic`, the suite's `HangingApi`: it moves on once every request still open is one the
simulator holds and all else Home Assistant does has finished; the next step times those requests out.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
import logging
import random

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from benchmarks.table import BenchTable
from custom_components.joulo.api import JouloClient
from custom_components.joulo.api.client import DEFAULT_TIMEOUT
from custom_components.joulo.const import CHARGERS_RIDE_OUT, DOMAIN
from joulo_simulator import FaultKind, JouloSimulator, Outage, RandomFaults, RecordedRequest
from tests.integration.common import (
    ONE_POLL,
    HangingApi,
    SessionLog,
    async_stop_entry,
    entry_state,
    log_sessions,
    real_time,
    record_unavailable_writes,
)

SOAK = timedelta(days=7)
FAULT_RATES = {FaultKind.HTTP_ERROR: 0.05, FaultKind.HANG: 0.01, FaultKind.RATE_LIMITED: 0.005}
SEED = 7
"""Seeds the random faults, and Home Assistant's random polling offsets (see `_reproducible`)."""
RETRY_AFTER = timedelta(seconds=90)
"""The `Retry-After` of a random 429: longer than a chargers poll, so the gate must hold one back."""
HANG = timedelta(seconds=2 * DEFAULT_TIMEOUT)
"""How long the simulator holds a hanging request: the client gives up after `DEFAULT_TIMEOUT`."""
OUTAGE_AT = timedelta(days=3, hours=8, minutes=25)
"""From the first setup: a live session and a synced one end during the outage."""
OUTAGE = timedelta(minutes=30)
RESTARTS_AT = (timedelta(days=2, minutes=56), timedelta(days=5, hours=5, minutes=40))
"""From the first setup: a synced session ends while Home Assistant is down, then a live one."""
DOWNTIME = timedelta(minutes=5)
"""How long Home Assistant is down in a restart before it sets the entry up again."""
STARTUP = ONE_POLL
"""How long Home Assistant takes to start once the entry is set up; it announces only after."""
QUIET = timedelta(minutes=30)
"""After `SOAK`, the soak ends at the first moment no session runs and none ended this recently."""
COORDINATORS = ("chargers", "sessions", "energy")
SOAK_SECTION = "Soak"
DAY = timedelta(days=1)
ENDPOINTS = ("/chargers", "/sessions", "/energy", "/me", "/ere-position")
CHARGERS_EVERY = timedelta(minutes=1)
SESSIONS_EVERY = timedelta(minutes=10)
ENERGY_EVERY = timedelta(hours=1)
"""The cadences the README promises (chargers every minute on an account with an OCPP charger).

Written here, not read from the integration's constants: a shorter interval there shows as requests
over the budget.
"""

type FetchLine = tuple[datetime, str, str]
"""(simulated time, coordinator, "down" or "back"): a log line that fetching failed or recovered."""


@dataclass(frozen=True)
class SoakRun:
    """What the soak did and saw in the simulated window [start, end]."""

    start: datetime
    end: datetime
    requests: tuple[RecordedRequest, ...]
    """Every request the simulator received, in order."""
    sessions: SessionLog
    """Every announcement, on the event entities and on the bus."""
    ended: frozenset[str]
    """The sessions that ended in the window, as the simulator knows them."""
    started: frozenset[str]
    """The sessions that started in the window."""
    faults: RandomFaults
    """The random faults, with how many of each kind the simulator served."""
    outage: Outage
    restarts: tuple[datetime, ...]
    """When Home Assistant stopped, for each restart."""
    setups: int
    """How many times the entry was set up: the first time, after each restart, on each retry."""
    held_back: int
    """Requests the integration did not send because the rate-limit gate was closed."""
    timed_out: int
    """Requests the integration's client gave up on after its timeout."""
    fetch_log: tuple[FetchLine, ...]
    """The coordinators' log lines that fetching failed or recovered, in order."""
    errors: int
    """ERROR (or worse) log records."""
    tracebacks: tuple[str, ...]
    """The messages of the ERROR (or worse) log records with a traceback, or of unexpected errors."""
    retries: int
    """Polls tried once more after a transient failure, by every setup's coordinators."""
    timed_out_by_endpoint: Counter[str]
    """The requests the clients gave up on after their timeout, per endpoint."""
    unavailable_writes: tuple[tuple[datetime, str], ...]
    """(when, entity id) of every state written as unavailable."""
    longest_stale: timedelta
    """The longest time the charger entities showed data older than a minute (while available)."""
    seconds: float
    """The real seconds the soak took."""

    @property
    def duration(self) -> timedelta:
        """The length of the window."""
        return self.end - self.start

    @property
    def days(self) -> float:
        """The length of the window in days."""
        return self.duration / timedelta(days=1)

    @property
    def failed_requests(self) -> Counter[str]:
        """The requests that failed in a way the client tries again (a 5xx, a timeout), per endpoint."""
        failed = Counter(
            r.endpoint for r in self.requests if r.status >= HTTPStatus.INTERNAL_SERVER_ERROR
        )
        return failed + self.timed_out_by_endpoint

    @property
    def unexplained_unavailable_writes(self) -> list[tuple[datetime, str]]:
        """Unavailable writes outside the outage (and the five minutes after) and the restarts.

        An unloaded entry writes its entities unavailable: at a restart's stop, or before a setup
        retried after a fault (the two restarts' setups) is loaded.
        """
        settled = self.outage.end + timedelta(minutes=5)
        return [
            (at, entity_id)
            for at, entity_id in self.unavailable_writes
            if not self.outage.start <= at <= settled
            and not any(stopped <= at <= stopped + DOWNTIME + STARTUP for stopped in self.restarts)
        ]

    @property
    def per_endpoint(self) -> Counter[str]:
        """Requests per endpoint (the newest page and charger look-ups both count as `/sessions`)."""
        return Counter(request.endpoint for request in self.requests)

    @property
    def budget(self) -> dict[str, int]:
        """The most requests per endpoint that the integration's cadences allow.

        Each setup runs the first refreshes once more; each failed request may be tried once more.
        Chargers every minute. Sessions every ten minutes, and once more for each session that
        started or ended: the simulator lists a session as its charger shows it start or end, so
        the first read after the chargers poll that saw it finds it. Energy every hour and after
        each finished session; `/me` and `/ere-position` ride on the hourly energy cadence.
        """
        hourly = self.duration // ENERGY_EVERY + self.setups
        cadences = {
            "/chargers": self.duration // CHARGERS_EVERY + self.setups,
            "/sessions": self.duration // SESSIONS_EVERY
            + self.setups
            + len(self.started)
            + len(self.ended),
            "/energy": hourly + len(self.ended),
            "/me": hourly,
            "/ere-position": hourly,
        }
        failed = self.failed_requests
        return {endpoint: allowed + failed[endpoint] for endpoint, allowed in cadences.items()}

    @property
    def served(self) -> Counter[int]:
        """The simulator's answers by HTTP status."""
        return Counter(request.status for request in self.requests)

    @property
    def outage_errors(self) -> int:
        """The requests the outage answered (with 503)."""
        return sum(1 for r in self.requests if self.outage.start <= r.at < self.outage.end)

    @property
    def sent_while_gated(self) -> list[RecordedRequest]:
        """Requests the simulator received after a 429 and before its `Retry-After` had passed.

        Requests at the 429's own moment may have been on their way before it was answered.
        """
        gated: list[RecordedRequest] = []
        for index, refused in enumerate(self.requests):
            if refused.status == HTTPStatus.TOO_MANY_REQUESTS:
                reopens = refused.at + RETRY_AFTER
                gated.extend(
                    request
                    for request in self.requests[index + 1 :]
                    if refused.at < request.at < reopens
                )
        return gated

    @property
    def fetch_failures(self) -> int:
        """The coordinators' log lines that fetching failed (ERROR records without a traceback)."""
        return sum(1 for _, _, state in self.fetch_log if state == "down")

    @property
    def ended_announced_once(self) -> bool:
        """Whether each session that ended was announced as ended once, on the bus, and no other."""
        return sorted(self.sessions.ended_ids()) == sorted(self.ended)

    @property
    def outage_logged_once(self) -> bool:
        """Whether each coordinator said once that Joulo was down in the outage, and once it was back.

        The chargers and sessions coordinators poll within half an hour; energy may not.
        """
        lines = {name: self.outage_lines(name) for name in COORDINATORS}
        return (
            all(said in ([], ["down", "back"], ["back"]) for said in lines.values())
            and bool(lines["chargers"])
            and bool(lines["sessions"])
        )

    def fetch_states(self, coordinator: str) -> list[list[str]]:
        """A coordinator's lines ("down" or "back") in order, a list per setup (split at restarts).

        A restart makes new coordinators, which start up whatever the old ones said last. A line
        logged at the moment of a stop is the old setup's: its last poll ran just before the stop.
        """
        periods: list[list[str]] = [[] for _ in range(len(self.restarts) + 1)]
        for at, name, state in self.fetch_log:
            if name == coordinator:
                periods[sum(1 for stopped in self.restarts if stopped < at)].append(state)
        return periods

    def outage_lines(self, coordinator: str) -> list[str]:
        """A coordinator's lines in the outage, and (when it was down at its end) its next one.

        `["down", "back"]` says once that Joulo is down and once that it is back; `["back"]` when a
        random fault had it down already; `[]` when it did not poll during the outage.
        """
        lines = [(at, state) for at, name, state in self.fetch_log if name == coordinator]
        during = [state for at, state in lines if self.outage.start <= at < self.outage.end]
        before_end = [state for at, state in lines if at < self.outage.end]
        after_end = [state for at, state in lines if at >= self.outage.end]
        if before_end and before_end[-1] == "down":
            return during + after_end[:1]
        return during


async def run_soak(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> SoakRun:
    """Run the soak on `entry`, not set up yet, against `simulator` (autopilot and sync on)."""
    caplog.set_level(logging.INFO, logger="custom_components.joulo")
    started = real_time()
    with _reproducible():
        faults = simulator.faults.add_random(
            FAULT_RATES,
            seed=SEED,
            retry_after=str(int(RETRY_AFTER.total_seconds())),
            delay=HANG.total_seconds(),
        )
        sessions = log_sessions(hass)
        start = dt_util.utcnow()
        outage = simulator.faults.add_outage(start + OUTAGE_AT, start + OUTAGE_AT + OUTAGE)
        restarts: list[datetime] = []
        unavailable = record_unavailable_writes(hass)
        with SoakTraffic.watching(hass, freezer, simulator) as traffic:
            entry.add_to_hass(hass)
            await traffic.run(hass.config_entries.async_setup(entry.entry_id))
            for restart_at in RESTARTS_AT:
                await traffic.advance(start + restart_at - dt_util.utcnow())
                restarts.append(await traffic.restart(entry))
            await traffic.advance(start + SOAK - dt_util.utcnow())
            while not _quiet(simulator):
                await traffic.advance(ONE_POLL)
            await traffic.until_idle()
    assert entry_state(entry) is ConfigEntryState.LOADED
    account_sessions = simulator.account().sessions
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    return SoakRun(
        start=start,
        end=dt_util.utcnow(),
        requests=tuple(simulator.requests),
        sessions=sessions,
        ended=frozenset(
            s.id for s in account_sessions if s.ended_at is not None and start <= s.ended_at
        ),
        started=frozenset(s.id for s in account_sessions if start <= s.started_at),
        faults=faults,
        outage=outage,
        restarts=tuple(restarts),
        setups=len(traffic.clients),
        held_back=traffic.held_back,
        timed_out=traffic.timed_out.total(),
        fetch_log=tuple(_fetch_log(caplog.records)),
        errors=len(errors),
        tracebacks=tuple(
            record.getMessage()
            for record in caplog.records
            if (record.levelno >= logging.ERROR and record.exc_info)
            or record.getMessage().startswith("Unexpected error")
        ),
        retries=traffic.retries_before_restarts + entry.runtime_data.retries,
        timed_out_by_endpoint=traffic.timed_out,
        unavailable_writes=tuple(unavailable),
        longest_stale=traffic.longest_stale,
        seconds=real_time() - started,
    )


@contextmanager
def _reproducible() -> Iterator[None]:
    """Seed Python's random numbers, and switch the event loop's debug mode off, meanwhile.

    Home Assistant draws each coordinator's sub-second polling offset at random; seeded, the polls
    of a minute reach the simulator in the same order on every run, so each draws the same fault.
    The newest test plugin turns asyncio's debug mode on, which keeps a traceback of every callback
    and task: over a week of polls that makes the soak four times slower, for nothing it checks.
    """
    loop = asyncio.get_running_loop()
    debug, state = loop.get_debug(), random.getstate()
    random.seed(SEED)
    loop.set_debug(False)
    try:
        yield
    finally:
        loop.set_debug(debug)
        random.setstate(state)


def _quiet(simulator: JouloSimulator) -> bool:
    """No session runs, and the last one ended at least `QUIET` ago."""
    now = simulator.now()
    return all(
        session.ended_at is not None and now - session.ended_at >= QUIET
        for session in simulator.account().sessions
    )


def _fetch_log(records: list[logging.LogRecord]) -> Iterator[FetchLine]:
    """The coordinators' "Error fetching" and "recovered" lines, at their simulated time."""
    for record in records:
        message = record.getMessage()
        # The clock is frozen, so a record's creation time is the simulated time.
        at = dt_util.utc_from_timestamp(record.created)
        for name in COORDINATORS:
            if message.startswith(f"Error fetching joulo {name} data"):
                yield at, name, "down"
            elif message == f"Fetching joulo {name} data recovered":
                yield at, name, "back"


def record_soak(run: SoakRun) -> None:
    """Record the soak's figures for `scripts/bench`'s table (see `benchmarks/table.py`)."""
    table = BenchTable()
    days, rest = divmod(run.duration, DAY)
    table.add(SOAK_SECTION, "Simulated time", f"{days} days {rest.total_seconds() / 3600:.1f} h")
    ended = len(run.sessions.ended_ids())
    table.add(
        SOAK_SECTION,
        "Sessions announced as ended, of the sessions that ended",
        f"{ended} of {len(run.ended)}",
        goal="equal, each once",
        met=run.ended_announced_once,
    )
    table.add(
        SOAK_SECTION,
        "ERROR records with a traceback",
        f"{len(run.tracebacks)} ({run.errors} ERROR records in all,"
        f' {run.fetch_failures} of them a coordinator\'s "Error fetching" line)',
        goal="0",
        met=not run.tracebacks,
    )
    _add_steadiness_rows(table, run)
    budget = run.budget
    for endpoint, allowed in budget.items():
        sent = run.per_endpoint[endpoint]
        table.add(
            SOAK_SECTION,
            f"Requests to {endpoint}, of the budget",
            f"{sent:,} of {allowed:,}",
            goal="at most the budget",
            met=sent <= allowed,
        )
    table.add(
        SOAK_SECTION,
        "Requests sent while the rate-limit gate was closed",
        f"{len(run.sent_while_gated)} ({run.held_back} held back)",
        goal="0",
        met=not run.sent_while_gated,
    )
    hits = run.faults.hits
    table.add(
        SOAK_SECTION,
        "Faults served",
        f"{hits[FaultKind.HTTP_ERROR]} 5xx, {hits[FaultKind.HANG]} hangs"
        f" ({run.timed_out} client timeouts),"
        f" {hits[FaultKind.RATE_LIMITED]} 429s; {run.outage_errors} 503s"
        f" in a {OUTAGE.total_seconds() / 60:.0f}-minute outage",
    )
    table.add(
        SOAK_SECTION,
        "The outage in the log",
        "; ".join(f"{name}: {', '.join(run.outage_lines(name)) or '-'}" for name in COORDINATORS),
        goal="down once, back once",
        met=run.outage_logged_once,
    )
    retries = run.setups - 1 - len(run.restarts)
    table.add(
        SOAK_SECTION,
        "Home Assistant restarts",
        f"{len(run.restarts)}, each down {DOWNTIME.total_seconds() / 60:.0f} minutes;"
        f" setups retried after a fault: {retries}",
    )
    table.add(SOAK_SECTION, "Real time", f"{run.seconds:.0f} s")
    table.record("soak")


def _add_steadiness_rows(table: BenchTable, run: SoakRun) -> None:
    """Add the rows of what the faults showed a user: unavailable states, errors, stale data."""
    unavailable = len(run.unavailable_writes)
    unexplained = len(run.unexplained_unavailable_writes)
    table.add(
        SOAK_SECTION,
        "Unavailable writes per simulated day",
        f"{unavailable / run.days:.1f} ({unavailable} in all, {unexplained} of them outside the"
        " outage and the restarts)",
        goal="0 outside the outage and the restarts",
        met=not unexplained,
    )
    outside = [
        at
        for at, _, state in run.fetch_log
        if state == "down" and not run.outage.start <= at < run.outage.end
    ]
    table.add(
        SOAK_SECTION,
        "ERROR records per simulated day",
        f"{run.errors / run.days:.1f} ({run.errors} in all, {len(outside)} of them outside the"
        " outage)",
        goal="only the outage's own lines",
        met=not outside and run.errors == run.fetch_failures,
    )
    failed = run.failed_requests.total()
    table.add(
        SOAK_SECTION,
        "Retries sent per simulated day",
        f"{run.retries / run.days:.0f} ({run.retries} in all, after {failed} failed requests)",
        goal="at most one per failed request",
        met=run.retries <= failed,
    )
    table.add(
        SOAK_SECTION,
        "Longest time charger entities showed data older than a minute",
        f"{run.longest_stale.total_seconds() / 60:.0f} min",
        goal="at most 5 min",
        met=run.longest_stale <= CHARGERS_RIDE_OUT,
    )


class SoakTraffic(HangingApi):
    """Moves time for the soak a chargers poll at a time (see `HangingApi`), and notes what it saw."""

    step_length = ONE_POLL

    def __init__(
        self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: JouloSimulator
    ) -> None:
        """Move `hass`'s clock with `freezer` while requests hang in `simulator`."""
        super().__init__(hass, freezer, simulator)
        self.held_back = 0
        """Requests the rate-limit gate did not let out."""
        self.longest_stale = timedelta(0)
        """The longest time the charger entities showed data older than a minute."""
        self.retries_before_restarts = 0
        """The retries of the setups that a restart ended."""
        self._stale_since: datetime | None = None

    @classmethod
    @contextmanager
    def watching(
        cls, hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: JouloSimulator
    ) -> Iterator[SoakTraffic]:
        """Meanwhile, count the requests of every Joulo client and every hang `simulator` serves."""
        traffic = cls(hass, freezer, simulator)
        with pytest.MonkeyPatch.context() as patch:
            traffic.watch(patch)
            yield traffic

    def opened(self, client: JouloClient) -> None:
        """A client starts a request; note whether its rate-limit gate holds it back."""
        if client.gate.closed_until is not None:
            self.held_back += 1
        super().opened(client)

    async def step(self, duration: timedelta) -> None:
        """Move the clock, noting how fresh the charger entities' data is before and after."""
        self.note_freshness()
        await super().step(duration)
        self.note_freshness()

    def note_freshness(self) -> None:
        """Note whether the charger entities show data older than a minute now (or stopped to).

        Called as time moves on (before the poll it brings) and once the step settled: a stretch
        begins a minute after the last good answer and ends with the next one, or when the
        entities go unavailable (or the entry unloads).
        """
        now = dt_util.utcnow()
        entries = self.hass.config_entries.async_loaded_entries(DOMAIN)
        chargers = entries[0].runtime_data.chargers if entries else None
        if chargers is None or not chargers.last_update_success:
            self._end_stale(now)
            return
        last_success = chargers.health.last_success
        assert last_success is not None
        if now - last_success <= ONE_POLL:
            self._end_stale(last_success)
        elif self._stale_since is None:
            self._stale_since = last_success + ONE_POLL

    def _end_stale(self, at: datetime) -> None:
        if self._stale_since is not None:
            self.longest_stale = max(self.longest_stale, at - self._stale_since)
            self._stale_since = None

    async def until_idle(self) -> None:
        """Move on a poll at a time until no request is open (a hanging one ends in one step)."""
        await self.settle()
        while self.open_requests:
            await self.step(self.step_length)

    async def restart(self, entry: MockConfigEntry) -> datetime:
        """Restart Home Assistant: stop, `DOWNTIME` passes, set up, `STARTUP` passes, started.

        It is asked to stop now, and stops once no request is open (unloading does not cancel every
        refresh); it returns when it was asked, since what the polls still finish meanwhile belongs
        to the restart. The setup may fail on a fault: Home Assistant then retries it by itself.
        """
        stopped = dt_util.utcnow()
        await self.until_idle()
        self.retries_before_restarts += entry.runtime_data.retries
        await async_stop_entry(self.hass, entry)
        await self.advance(DOWNTIME)
        self.hass.set_state(CoreState.not_running)
        await self.run(self.hass.config_entries.async_setup(entry.entry_id))
        await self.advance(STARTUP)
        await self.until_idle()
        await self.hass.async_start()
        await self.settle()
        return stopped
