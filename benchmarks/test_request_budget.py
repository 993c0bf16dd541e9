"""A day of a business account with 303 chargers: what its polling costs the Joulo API.

`scripts/bench` runs it with the other benchmarks (`-s` shows its figures). It sets up the integration
against the simulator, through the test suite's own fixtures (see `conftest.py`), and moves Home
Assistant's frozen clock one chargers poll (60 s) at a time with the suite's `advance_time`, so the
coordinators, the announcer and the entities run as they do for a user. With the simulator's
autopilot on, the chargers start and end sessions by themselves (seeded, from a fixed start: every run
is the same). The figures come from the simulator's request log, from the `joulo_session_ended`
events on the bus, and from real time measured around each simulated minute.

Joulo's upstream sync is on: the cloud chargers change at their own 15-minute syncs. The home
account's day and the idle ones are measured beside the guide's YAML in `test_compare.py`.

What is asserted is deterministic: one `/chargers` request per minute whatever the number of
chargers, no request refused by the rate limit, and one `ended` event for each session that
completed. Real times are printed, never asserted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
import json
import statistics

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.api.models import parse_chargers
from joulo_simulator import DEFAULT_RATE_LIMIT, JouloSimulator
from tests.integration.common import SESSIONS_BY_CHARGER, Run, real_time, row_of, simulate

from .table import BenchTable

pytestmark = [pytest.mark.usefixtures("frozen_time"), pytest.mark.upstream_sync]

BUSINESS_CHARGERS = 300
"""Chargers a business account adds to the default account's three."""
BUSINESS_HOURS = 24
"""Simulated hours of the business account: about two minutes of real time on two cores."""
BUSINESS_CONNECTION_TYPES = ("easee", "zaptec", "ocpp", "wallbox", "enphase", "smappee", "v2c")
PARSE_REPEATS = 20
ROWS = ("/chargers", "/sessions", SESSIONS_BY_CHARGER, "/energy", "/me")


def report(run: Run) -> None:
    """Print what `run` measured: requests per day and per hour, sessions, real time."""
    per_day = 24 / run.hours
    per_hour: dict[str, Counter[int]] = {}
    for request in run.requests:
        hour = int((request.at - run.start) / timedelta(hours=1))
        per_hour.setdefault(row_of(request), Counter())[hour] += 1
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
    """One `/chargers` request a minute, none refused, one `ended` event per completed session.

    A session Joulo lists only in the window's last minutes may or may not be announced yet.
    """
    assert run.per_endpoint["/chargers"] == round(run.hours * 60)
    assert run.refused == 0
    assert len(set(run.ended_events)) == len(run.ended_events)
    assert run.listed <= set(run.ended_events) <= run.completed
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


@pytest.mark.autopilot
async def test_business_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    bench_table: BenchTable,
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

    counts = run.per_endpoint
    bench_table.add(
        "Scale",
        f"{chargers} chargers, {BUSINESS_HOURS} h charging: requests per hour"
        " (/chargers, /sessions, by charger, /energy)",
        f"{counts.total() / run.hours:.0f} ({counts['/chargers'] / run.hours:.0f},"
        f" {counts['/sessions'] / run.hours:.0f}, {counts[SESSIONS_BY_CHARGER] / run.hours:.0f},"
        f" {counts['/energy'] / run.hours:.0f})",
        goal="within the rate limit",
        met=run.refused == 0,
    )
    bench_table.add(
        "Scale",
        f"{chargers} chargers, {BUSINESS_HOURS} h: sessions Joulo listed as ended / announced",
        f"{len(run.listed):,} / {len(run.listed & set(run.ended_events)):,}",
        goal="equal",
        met=run.listed <= set(run.ended_events),
    )

    assert chargers == BUSINESS_CHARGERS + 3
    assert_sound(run)
    assert run.per_endpoint[SESSIONS_BY_CHARGER] > 0  # the newest page was full of running sessions
