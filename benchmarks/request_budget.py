"""What a day of polling costs the Joulo API: requests per endpoint, latency, parse time.

Run it from the repository root, in the development environment (``scripts/setup`` makes it):

    .venv/min/bin/python -m benchmarks.request_budget
    .venv/min/bin/python -m benchmarks.request_budget --hours 6 --chargers 50

It serves a :class:`~joulo_simulator.JouloSimulator` on a :class:`~joulo_simulator.ManualClock`
(autopilot on, so chargers start and end sessions by themselves) over HTTP on 127.0.0.1 and polls it
with the integration's :class:`JouloClient`, the way the coordinators do, without Home Assistant:

- ``/chargers`` every 60 s; ``/sessions`` every 600 s; ``/energy`` every 3600 s, with ``/me`` when
  the account was last read 55 minutes ago or more;
- a session that starts, or one that left its charger and is not yet listed as completed (for at most
  30 minutes), brings ``/sessions`` forward to the same minute; a newly completed session in
  ``/sessions`` brings ``/energy`` forward; an early refresh restarts that endpoint's schedule.

These rules mirror ``custom_components/joulo/coordinator.py`` (its constants are imported from the
integration). The simulated clock moves one minute per chargers poll, so a simulated day takes a few
seconds; latencies are measured in real time around each client call (request and parsing).

It runs twice: the simulator's default account (3 chargers) and a business account with 300 more.
The number of ``/chargers`` requests must not depend on the number of chargers; the script stops
with an error when it does. The parse time of a ``/chargers`` answer with all chargers is timed on
its own, without the network.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import statistics
import time

import aiohttp

from custom_components.joulo.api import Charger, JouloClient, RateLimitGate
from custom_components.joulo.api.models import parse_chargers
from custom_components.joulo.const import (
    CHARGERS_INTERVAL,
    ENERGY_INTERVAL,
    FINISHED_SESSION_WATCH,
    SESSIONS_INTERVAL,
    SESSIONS_PAGE_SIZE,
)
from custom_components.joulo.coordinator import ACCOUNT_MAX_AGE
from joulo_simulator import DEMO_TOKEN, JouloSimulator, ManualClock, SimulatorServer

START = datetime(2026, 4, 9, 0, 0, tzinfo=UTC)
ENDPOINTS = ("/chargers", "/sessions", "/energy", "/me")
BUSINESS_CONNECTION_TYPES = ("easee", "zaptec", "ocpp", "wallbox", "enphase", "smappee", "v2c")
PARSE_REPEATS = 50


@dataclass
class Latencies:
    """Real seconds each client call took, per endpoint."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    async def timed[T](self, endpoint: str, call: Awaitable[T]) -> T:
        """Await `call` and record how long it took."""
        started = time.perf_counter()
        try:
            return await call
        finally:
            self.seconds[endpoint].append(time.perf_counter() - started)


class Poller:
    """The three coordinators' schedule and steering, without Home Assistant."""

    def __init__(self, client: JouloClient, clock: ManualClock) -> None:
        """Poll with `client` on the time of `clock`."""
        self.client = client
        self.clock = clock
        self.latencies = Latencies()
        self.next_sessions = clock()
        self.next_energy = clock()
        self.running: set[str] | None = None
        self.finished: dict[str, datetime] = {}
        self.completed: frozenset[str] | None = None
        self.account_checked_at: datetime | None = None
        self.triggered: Counter[str] = Counter()
        self.never_listed = 0
        """Sessions that left their charger and were not listed as completed within the watch."""

    async def poll_minute(self) -> None:
        """Do what the coordinators do in the current minute."""
        now = self.clock()
        sessions_due = await self._chargers(now) or now >= self.next_sessions
        energy_due = False
        if sessions_due:
            energy_due = await self._sessions(now)
        if energy_due or now >= self.next_energy:
            await self._energy(now)

    async def _chargers(self, now: datetime) -> bool:
        """Poll the chargers; return whether the sessions should be refreshed at once."""
        chargers = await self.latencies.timed("/chargers", self.client.get_chargers())
        now_running = _running_session_ids(chargers)
        before, self.running = self.running, now_running
        if before is None:
            return False
        for session_id in before - now_running:
            self.finished[session_id] = now
        listed = self.completed or frozenset()
        watched = {sid: since for sid, since in self.finished.items() if sid not in listed}
        self.finished = {
            sid: since for sid, since in watched.items() if now - since < FINISHED_SESSION_WATCH
        }
        self.never_listed += len(watched) - len(self.finished)
        steer = bool(self.finished or now_running - before)
        if steer and now < self.next_sessions:
            self.triggered["/sessions"] += 1
        return steer

    async def _sessions(self, now: datetime) -> bool:
        """Poll the sessions; return whether the energy should be refreshed at once."""
        page = await self.latencies.timed(
            "/sessions", self.client.get_sessions(limit=SESSIONS_PAGE_SIZE)
        )
        self.next_sessions = now + SESSIONS_INTERVAL
        completed = frozenset(session.id for session in page.sessions if session.is_completed)
        previous, self.completed = self.completed, completed
        steer = previous is not None and bool(completed - previous)
        if steer and now < self.next_energy:
            self.triggered["/energy"] += 1
        return steer

    async def _energy(self, now: datetime) -> None:
        """Poll the energy totals, and the account when it was read long enough ago."""
        await self.latencies.timed("/energy", self.client.get_energy())
        self.next_energy = now + ENERGY_INTERVAL
        checked = self.account_checked_at
        if checked is None or now - checked >= ACCOUNT_MAX_AGE:
            self.account_checked_at = now
            await self.latencies.timed("/me", self.client.get_account())


def _running_session_ids(chargers: tuple[Charger, ...]) -> set[str]:
    return {c.current_session.id for c in chargers if c.current_session is not None}


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    name: str
    chargers: int
    hours: int
    per_endpoint: dict[str, int]
    busiest_hour: int
    triggered: dict[str, int]
    latencies: dict[str, list[float]]
    parse_seconds: float
    chargers_body_bytes: int
    sessions_completed: int
    never_listed: int
    real_seconds: float


async def run(name: str, *, extra_chargers: int, hours: int, seed: int) -> Result:
    """Poll a simulated account for `hours` and measure what it cost."""
    started = time.perf_counter()
    clock = ManualClock(START)
    # The simulator's own rate limit (30 per minute) stays on: a poller that broke it would see 429s.
    sim = JouloSimulator(clock, seed=seed, autopilot=True)
    for number in range(extra_chargers):
        sim.add_charger(
            nickname=f"Laadpaal {number + 1:03d}",
            connection_type=BUSINESS_CONNECTION_TYPES[number % len(BUSINESS_CONNECTION_TYPES)],
        )
    async with SimulatorServer(sim) as server, aiohttp.ClientSession() as session:
        client = JouloClient(
            session, DEMO_TOKEN, base_url=server.base_url, gate=RateLimitGate(clock)
        )
        poller = Poller(client, clock)
        for _ in range(hours * 60):
            await poller.poll_minute()
            clock.advance(CHARGERS_INTERVAL)
        end = clock()
        requests = [request for request in sim.requests if request.at < end]
        refused = [request for request in requests if request.status != 200]
        if refused:
            msg = f"{name}: {len(refused)} requests were refused, e.g. {refused[0]}"
            raise RuntimeError(msg)
        parse_seconds, body_bytes = await _time_parsing(session, server.base_url)
    per_hour = Counter(int((request.at - START).total_seconds() // 3600) for request in requests)
    completed = sum(
        1 for s in sim.account().sessions if s.ended_at is not None and START <= s.ended_at < end
    )
    return Result(
        name=name,
        chargers=len(sim.account().chargers),
        hours=hours,
        per_endpoint=dict(Counter(request.endpoint for request in requests)),
        busiest_hour=max(per_hour.values()),
        triggered=dict(poller.triggered),
        latencies=dict(poller.latencies.seconds),
        parse_seconds=parse_seconds,
        chargers_body_bytes=body_bytes,
        sessions_completed=completed,
        never_listed=poller.never_listed,
        real_seconds=time.perf_counter() - started,
    )


async def _time_parsing(session: aiohttp.ClientSession, base_url: str) -> tuple[float, int]:
    """Fetch `/chargers` once and time decoding and parsing it; return seconds per parse, bytes."""
    async with session.get(
        base_url + "/chargers", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
    ) as response:
        body = await response.read()

    def parse() -> tuple[Charger, ...]:
        return parse_chargers(json.loads(body))

    parse()  # warm up
    started = time.perf_counter()
    for _ in range(PARSE_REPEATS):
        parse()
    return (time.perf_counter() - started) / PARSE_REPEATS, len(body)


def report(result: Result) -> None:
    """Print what one run measured."""
    per_day = 24 / result.hours
    total = sum(result.per_endpoint.values())
    print(f"\n{result.name}: {result.chargers} chargers, {result.hours} simulated hours")
    print(f"  sessions completed in that time: {result.sessions_completed}")
    print(
        f"  ... of which not among the newest {SESSIONS_PAGE_SIZE} of /sessions within"
        f" {FINISHED_SESSION_WATCH.total_seconds() / 60:.0f} minutes of leaving the charger:"
        f" {result.never_listed}"
    )
    print(f"  {'endpoint':<10} {'per day':>8} {'triggered':>9} {'mean ms':>8} {'max ms':>8}")
    for endpoint in ENDPOINTS:
        latencies = result.latencies.get(endpoint, [])
        mean = statistics.fmean(latencies) * 1000 if latencies else 0.0
        worst = max(latencies, default=0.0) * 1000
        print(
            f"  {endpoint:<10} {result.per_endpoint.get(endpoint, 0) * per_day:>8.0f}"
            f" {result.triggered.get(endpoint, 0) * per_day:>9.0f} {mean:>8.2f} {worst:>8.2f}"
        )
    print(f"  {'total':<10} {total * per_day:>8.0f}")
    print(
        f"  requests per hour: {total / result.hours:.1f} on average,"
        f" {result.busiest_hour} in the busiest hour"
    )
    print(
        f"  /chargers answer: {result.chargers_body_bytes / 1024:.1f} KiB,"
        f" decoded and parsed in {result.parse_seconds * 1000:.2f} ms"
    )
    print(f"  real run time: {result.real_seconds:.1f} s")


async def main_async(args: argparse.Namespace) -> None:
    """Run the home and the business account and compare their chargers requests."""
    started = time.perf_counter()
    home = await run("Home account", extra_chargers=0, hours=args.hours, seed=args.seed)
    report(home)
    business = await run(
        "Business account", extra_chargers=args.chargers, hours=args.hours, seed=args.seed
    )
    report(business)
    expected = args.hours * 3600 // int(CHARGERS_INTERVAL.total_seconds())
    for result in (home, business):
        if result.per_endpoint.get("/chargers") != expected:
            msg = f"{result.name}: {result.per_endpoint.get('/chargers')} /chargers, not {expected}"
            raise SystemExit(msg)
    print(f"\n/chargers requests: {expected} for {home.chargers} and {business.chargers} chargers")
    print(f"total real run time: {time.perf_counter() - started:.1f} s")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.request_budget",
        description="Measure what the integration's polling costs the (simulated) Joulo API.",
    )
    parser.add_argument("--hours", type=int, default=24, help="simulated hours per run")
    parser.add_argument("--chargers", type=int, default=300, help="chargers the business adds")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulated accounts")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark from the command line."""
    asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    main()
