"""Our integration beside the `rest:` YAML of Joulo's guide: requests, writes, freshness and setup.

Run it from the repository root, with `-s` to see the figures (`scripts/bench` gathers the table):

    .venv/min/bin/python -m pytest benchmarks/test_compare.py -s -p no:cacheprovider

Both sides run in one Home Assistant for one simulated day, with Joulo's upstream sync on (cloud
chargers change only at their 15-minute syncs), each against its own twin of the simulator (see
`tests/integration/side_by_side.py`): the default account with the autopilot charging, and the same
account without its OCPP charger and idle (cloud chargers only). The request counts of those days
are asserted in `tests/integration/test_daily_requests.py`.

A state write is a `state_changed` event (a new state or attribute) or a `state_reported` one (the
same state written again; the `rest` integration writes each of its sensors twice on every poll,
once as it renders the template and once as its coordinator tells it). The ERROR records are
those of each side's loggers: ours, and the template errors of the YAML's sensors (a
`current_session` that is not there while no session runs); they are counted and kept out of
the output.

Freshness: from the moment Joulo lists a finished session as completed (its charger's first sync
at or after its end; the end itself for a live OCPP charger) to the first write of its final kWh on
our charger's last-session sensor, to our `joulo_session_ended` event, and to the same kWh on the
YAML's "Joulo Last Session kWh" (the newest session of the account: a finished session never
shows there when a newer one started before the YAML's next sessions poll). Home Assistant's clock
moves one minute at a time, as the polls do, and the autopilot's sessions end on whole minutes: a
live session shows at the poll of its end (0 s), a cloud one at the first poll after its charger's
sync (the seconds from the sync's phase to the next whole minute).

Setup: with 300 ms latency on every answer, the real time of the entry's setup (its first refreshes
run concurrently) against the same requests sent one after the other. This one runs on the real
clock: on a frozen one the simulator's latency would never pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
import logging
import statistics

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from joulo_simulator import JouloSimulator
from tests.integration.common import (
    ONE_POLL,
    async_start_entry,
    async_stop_entry,
    listed_at,
    real_time,
    set_up_entry,
)
from tests.integration.side_by_side import (
    GUIDE_LAST_SESSION_KWH,
    SideBySide,
    make_cloud_only,
    simulate_side_by_side,
)

from .table import BenchTable

pytestmark = pytest.mark.upstream_sync

DAY = timedelta(hours=24)
LATENCY = 0.3
"""Seconds the simulator waits before each answer, in the setup benchmark."""
FRESHNESS_GOAL = ONE_POLL
"""One chargers poll plus one request; a request takes no simulated time."""
GUIDE_LOGGERS = ("homeassistant.helpers.template", "homeassistant.components.rest")
OUR_LOGGER = "custom_components.joulo"


class ErrorRecords(logging.Filter):
    """Each side's ERROR records: ours from the log, the YAML's counted and kept out of the output."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        """Count nothing yet."""
        super().__init__()
        self._caplog = caplog
        self.guide = 0
        """The ERROR records of the `rest` integration and of its templates."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Count a record of the YAML's loggers, and drop it: it would be one of thousands."""
        self.guide += record.levelno >= logging.ERROR
        return False

    @property
    def ours(self) -> int:
        """The ERROR records of our integration's loggers."""
        return sum(
            1
            for record in self._caplog.records
            if record.levelno >= logging.ERROR and record.name.startswith(OUR_LOGGER)
        )


@pytest.fixture
def error_records(caplog: pytest.LogCaptureFixture) -> Iterator[ErrorRecords]:
    """Count the ERROR records of both sides while the test runs."""
    records = ErrorRecords(caplog)
    for name in GUIDE_LOGGERS:
        logging.getLogger(name).addFilter(records)
    yield records
    for name in GUIDE_LOGGERS:
        logging.getLogger(name).removeFilter(records)


def _add_day_rows(table: BenchTable, account: str, day: SideBySide, errors: ErrorRecords) -> None:
    """Print a day of both sides and add its Requests rows: per endpoint, total, entities, writes."""
    ours, guide = day.ours.per_endpoint, day.guide_per_endpoint
    print(f"\n{account}, {day.ours.hours:g} simulated hours: requests (ours / YAML)")
    for endpoint in sorted(ours.keys() | guide.keys()):
        print(f"  {endpoint:<22} {ours[endpoint]:>6,} {guide[endpoint]:>6,}")
        table.add(
            "Requests",
            f"{account}: {endpoint} per day",
            f"{ours[endpoint]:,}",
            yaml=f"{guide[endpoint]:,}",
        )
    print(f"  {'total':<22} {ours.total():>6,} {guide.total():>6,}")
    if day.ours.completed:
        goal, met = "fewer than the YAML", ours.total() < guide.total()
    else:
        quarter = guide.total() / 4
        goal, met = f"at most a quarter of the YAML's ({quarter:,.0f})", ours.total() <= quarter
    table.add(
        "Requests",
        f"{account}: requests per day",
        f"{ours.total():,}",
        yaml=f"{guide.total():,}",
        goal=goal,
        met=met,
    )
    entities = (len(day.our_entities), len(day.guide_entities))
    table.add(
        "Requests",
        f"{account}: entities",
        entities[0],
        yaml=entities[1],
        goal="more than the YAML",
        met=entities[0] > entities[1],
    )
    changes = [
        len(day.writes_of(e, changed_only=True)) for e in (day.our_entities, day.guide_entities)
    ]
    writes = [len(day.writes_of(e)) for e in (day.our_entities, day.guide_entities)]
    table.add(
        "Requests", f"{account}: state changes per day", f"{changes[0]:,}", yaml=f"{changes[1]:,}"
    )
    table.add(
        "Requests",
        f"{account}: state writes per day (changed or not)",
        f"{writes[0]:,}",
        yaml=f"{writes[1]:,}",
    )
    table.add(
        "Requests",
        f"{account}: ERROR log records per day",
        f"{errors.ours:,}",
        yaml=f"{errors.guide:,}",
    )
    print(
        f"  entities {entities[0]} / {entities[1]}, state changes {changes[0]:,} / {changes[1]:,},"
        f" state writes {writes[0]:,} / {writes[1]:,}, ERROR records {errors.ours} / {errors.guide}"
    )


@dataclass(frozen=True)
class Freshness:
    """How long after Joulo listed each finished session a side showed it; None: never."""

    our_sensor: tuple[float | None, ...]
    our_event: tuple[float | None, ...]
    guide_sensor: tuple[float | None, ...]


def freshness(hass: HomeAssistant, simulator: JouloSimulator, day: SideBySide) -> Freshness:
    """The delays of each session that completed in the day, on both sides."""
    registry = er.async_get(hass)
    our_sensor: list[float | None] = []
    our_event: list[float | None] = []
    guide_sensor: list[float | None] = []
    for session in simulator.account().sessions:
        if session.id not in day.ours.completed:
            continue
        assert session.ended_at is not None
        listed = listed_at(simulator, session)
        our_entity = next(
            entry.entity_id
            for entry in registry.entities.values()
            if entry.unique_id.endswith(f"_{session.charger_id}_last_session_energy")
        )
        for delays, entity_id in ((our_sensor, our_entity), (guide_sensor, GUIDE_LAST_SESSION_KWH)):
            shown = next(
                (
                    write.at
                    for write in day.writes_of((entity_id,), changed_only=True)
                    if write.at >= session.ended_at and _kwh(write.state) == session.kwh
                ),
                None,
            )
            delays.append(None if shown is None else (shown - listed).total_seconds())
        fired = day.ended_at.get(session.id)
        our_event.append(None if fired is None else (fired - listed).total_seconds())
    return Freshness(tuple(our_sensor), tuple(our_event), tuple(guide_sensor))


def _kwh(state: str | None) -> float | None:
    try:
        return float(state) if state is not None else None
    except ValueError:
        return None


def _spread(delays: tuple[float | None, ...]) -> str:
    shown = [delay for delay in delays if delay is not None]
    never = len(delays) - len(shown)
    if not shown:
        return f"never ({never} sessions)"
    text = f"median {statistics.median(shown):.0f} s, max {max(shown):.0f} s"
    return text + (f", never {never} of {len(delays)}" if never else f" ({len(delays)} sessions)")


def _add_freshness_rows(table: BenchTable, fresh: Freshness) -> None:
    goal = f"at most {FRESHNESS_GOAL.total_seconds():.0f} s"
    limit = FRESHNESS_GOAL.total_seconds()
    rows = (
        (
            "last-session kWh after Joulo lists the session",
            fresh.our_sensor,
            _spread(fresh.guide_sensor),
        ),
        ("`joulo_session_ended` event after Joulo lists the session", fresh.our_event, "no event"),
    )
    print("\nFreshness, simulated seconds after Joulo lists a finished session (ours / YAML)")
    for figure, delays, guide in rows:
        met = all(delay is not None and delay <= limit for delay in delays)
        table.add("Freshness", figure, _spread(delays), yaml=guide, goal=goal, met=met)
        print(f"  {figure}: {_spread(delays)} / {guide}")
        print(f"    each: {delays}")
    print(f"    YAML each: {fresh.guide_sensor}")


@pytest.mark.usefixtures("frozen_time")
@pytest.mark.autopilot
async def test_default_account_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    *,
    bench_table: BenchTable,
    error_records: ErrorRecords,
) -> None:
    """A day of the default account charging by itself: requests, writes and freshness."""
    day = await simulate_side_by_side(
        hass, freezer, simulator, mock_config_entry, name="Default account", duration=DAY
    )
    _add_day_rows(
        bench_table,
        "default account",
        day,
        error_records,
    )
    _add_freshness_rows(bench_table, freshness(hass, simulator, day))

    assert day.ours.completed  # the autopilot charged


@pytest.mark.usefixtures("frozen_time")
async def test_cloud_only_account_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    *,
    bench_table: BenchTable,
    error_records: ErrorRecords,
) -> None:
    """A day of the idle account with cloud chargers only: requests and writes."""
    make_cloud_only(simulator)
    day = await simulate_side_by_side(
        hass, freezer, simulator, mock_config_entry, name="Cloud-only account", duration=DAY
    )
    _add_day_rows(
        bench_table,
        "idle cloud-only account",
        day,
        error_records,
    )

    assert not day.ours.completed


async def test_setup_with_latency(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    bench_table: BenchTable,
) -> None:
    """With 300 ms per answer, our concurrent first refreshes against the same requests in a row.

    A first set-up loads the platforms' modules, so the two timed set-ups after it are alike.
    """
    await set_up_entry(hass, mock_config_entry)
    await async_stop_entry(hass, mock_config_entry)
    bare = await _timed_start(hass, mock_config_entry)
    await async_stop_entry(hass, mock_config_entry)
    simulator.clear_requests()
    simulator.latency = LATENCY
    concurrent = await _timed_start(hass, mock_config_entry)
    setup_requests = list(simulator.requests)
    session = async_get_clientsession(hass)
    headers = {"Authorization": f"Bearer {mock_config_entry.data[CONF_API_TOKEN]}"}
    started = real_time()
    for request in setup_requests:
        url = mock_config_entry.data[CONF_URL] + request.endpoint
        async with session.get(url, params=request.query, headers=headers) as response:
            await response.read()
    in_a_row = real_time() - started
    ratio = in_a_row / concurrent
    latency = f"{LATENCY * 1000:.0f} ms"
    print(
        f"\nSet-up: {bare:.2f} s without latency; with {latency} per request"
        f" ({', '.join(r.endpoint for r in setup_requests)}) {concurrent:.2f} s;"
        f" the same requests one after the other {in_a_row:.2f} s, {ratio:.1f} times as long"
    )
    requests = f"{len(setup_requests)} requests, {latency} each"
    bench_table.add("Setup", "set-up without latency", f"{bare:.2f} s")
    bench_table.add(
        "Setup", f"set-up, first refreshes concurrent ({requests})", f"{concurrent:.2f} s"
    )
    bench_table.add("Setup", "the same requests one after the other", f"{in_a_row:.2f} s")
    bench_table.add("Setup", "one after the other / concurrent set-up", f"{ratio:.1f}")

    assert len(simulator.requests) == len(setup_requests) * 2


async def _timed_start(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Set the entry up again; return the real seconds it took."""
    started = real_time()
    await async_start_entry(hass, entry)
    return real_time() - started
