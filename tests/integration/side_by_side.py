"""Our integration beside the `rest:` YAML of Joulo's guide, in one Home Assistant, on one account.

The guide ("Charging sessions, ERE and status in Home Assistant") has Home Assistant's own `rest`
integration poll three endpoints into eight sensors. Here that YAML runs as written, pointed at a
simulator, next to our integration, while `simulate` (the request benchmark's) moves the clock one
chargers poll at a time. Each side polls a simulator of its own: the YAML a twin of the test's, with
the same seed, clock, chargers, autopilot and sync, so both see the same account and the same
sessions, and each log holds only its side's requests (a request's log entry does not say whose
token sent it). The two sides' entities are told apart by entity id.

`tests/integration/test_daily_requests.py` asserts a day's request counts, entities, writes, ERROR
records and freshness, and records them for `scripts/bench`'s table (`record_day`).

A state write is a `state_changed` event (a new state or attribute) or a `state_reported` one (the
same state written again; the `rest` integration writes each of its sensors twice on every poll,
once as it renders the template and once as its coordinator tells it). The ERROR records are
those of each side's loggers: ours, and the template errors of the YAML's sensors (a
`current_session` that is not there while no session runs); they are counted and kept out of
the output.

Freshness: from the moment Joulo lists a finished session as completed (its charger's first sync
at or after its end; the end itself for a live OCPP charger) to the first write of its final kWh on
our charger's last-session sensor, to our `joulo_session_ended` event, and to the same kWh on the
YAML's "Joulo Last Session kWh" (the newest session of the account, running or not: a car that is
full before it is unplugged shows its final kWh there before Joulo lists it completed, a delay of 0;
a finished session never shows there when a newer one started before the YAML's next sessions
poll). Home Assistant's clock moves one minute at a time, as the polls do, and the autopilot's
sessions end on whole minutes: a live session shows at the poll of its end (0 s), a cloud one at
the first poll after its charger's sync (the seconds from the sync's phase to the next whole
minute).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
import statistics
from typing import Any, cast

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN, EVENT_STATE_CHANGED
from homeassistant.core import (
    HomeAssistant,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
from homeassistant.util.yaml import parse_yaml
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from benchmarks.table import BenchTable
from custom_components.joulo.announcer import EVENT_SESSION_ENDED
from joulo_simulator import JouloSimulator, RecordedRequest, SimulatorServer
from tests.integration.common import (
    ONE_POLL,
    Run,
    StateWriteEvent,
    async_listen_to_state_writes,
    listed_at,
    simulate,
)

GUIDE_YAML = """
- resource: https://api.joulo.nl/functions/v1/api/chargers
  scan_interval: 60
  headers:
    Authorization: "Bearer !secret joulo_token"
  sensor:
    - name: "Joulo Charger Status"
      value_template: "{{ value_json.chargers[0].status }}"
    - name: "Joulo Is Charging"
      value_template: "{{ value_json.chargers[0].is_charging }}"
    - name: "Joulo Session kWh"
      value_template: >-
        {{ value_json.chargers[0].current_session.kwh_so_far | default(0) }}
      unit_of_measurement: "kWh"
      device_class: energy
    - name: "Joulo Active TAG ID"
      value_template: >-
        {{ value_json.chargers[0].current_session.id_tag | default('') }}
- resource: https://api.joulo.nl/functions/v1/api/energy
  scan_interval: 3600
  headers:
    Authorization: "Bearer !secret joulo_token"
  sensor:
    - name: "Joulo Total kWh"
      value_template: "{{ value_json.total_kwh }}"
      unit_of_measurement: "kWh"
      device_class: energy
    - name: "Joulo Total ERE"
      value_template: "{{ value_json.total_ere_credits }}"
- resource: https://api.joulo.nl/functions/v1/api/sessions?limit=10
  scan_interval: 600
  headers:
    Authorization: "Bearer !secret joulo_token"
  sensor:
    - name: "Joulo Last Session kWh"
      value_template: "{{ value_json.sessions[0].kwh }}"
      unit_of_measurement: "kWh"
      device_class: energy
    - name: "Joulo Last Session ERE"
      value_template: "{{ value_json.sessions[0].ere_credits | default(0) }}"
"""
"""The guide's `rest:` block, as published."""
GUIDE_API = "https://api.joulo.nl/functions/v1/api"
GUIDE_LAST_SESSION_KWH = "sensor.joulo_last_session_kwh"
"""The guide's "Joulo Last Session kWh"."""
GUIDE_LOGGERS = ("homeassistant.helpers.template", "homeassistant.components.rest")
OUR_LOGGER = "custom_components.joulo"
FRESHNESS_GOAL = ONE_POLL
"""One chargers poll plus one request; a request takes no simulated time."""


def guide_config(base_url: str, token: str) -> list[dict[str, Any]]:
    """The guide's resources, on `base_url`, with an Authorization header that works.

    The guide quotes `"Bearer !secret joulo_token"`, so YAML never reads the `!secret` tag and Home
    Assistant would send those very words (401). The header is written as the guide means it.
    """
    resources = guide_resources()
    for resource in resources:
        resource["resource"] = resource["resource"].replace(GUIDE_API, base_url)
        resource["headers"] = {"Authorization": f"Bearer {token}"}
    return resources


def guide_resources() -> list[dict[str, Any]]:
    """The guide's resources as Home Assistant's YAML loader reads them."""
    return cast("list[dict[str, Any]]", parse_yaml(GUIDE_YAML))


def guide_entity_ids() -> tuple[str, ...]:
    """The entity ids of the guide's sensors, as Home Assistant names them."""
    return tuple(
        f"sensor.{slugify(sensor['name'])}"
        for resource in guide_resources()
        for sensor in resource["sensor"]
    )


def twin_of(simulator: JouloSimulator) -> JouloSimulator:
    """A second simulator of the same account: same seed, clock, settings and chargers.

    Made at the same frozen moment as `simulator`, it builds the same history and its autopilot the
    same sessions; chargers removed from `simulator` are removed from the twin as well.
    """
    twin = JouloSimulator(
        clock=simulator.clock,
        seed=simulator.seed,
        autopilot=simulator.autopilot,
        speed=simulator.speed,
        upstream_sync=simulator.upstream_sync,
    )
    for charger_id in set(twin.account().chargers) - set(simulator.account().chargers):
        twin.remove_charger(charger_id)
    assert twin.account().chargers.keys() == simulator.account().chargers.keys()
    return twin


def make_cloud_only(simulator: JouloSimulator) -> None:
    """Unlink the chargers that report live (OCPP): what stays is synced by Joulo's cloud only."""
    for charger in list(simulator.account().chargers.values()):
        if charger.reports_live:
            simulator.remove_charger(charger.id)


@dataclass(frozen=True)
class StateWrite:
    """A state Home Assistant wrote: changed (`state_changed`), or the same again (`state_reported`)."""

    at: datetime
    entity_id: str
    state: str | None
    """The new state; None when the entity was removed."""
    changed: bool


class ErrorRecords(logging.Handler):
    """Each side's ERROR records: ours counted, the YAML's counted and kept out of the output."""

    def __init__(self) -> None:
        """Count nothing yet."""
        super().__init__(logging.ERROR)
        self.ours = 0
        """The ERROR records of our integration's loggers."""
        self.guide = 0
        """The ERROR records of the `rest` integration and of its templates."""

    def drop_guide(self, record: logging.LogRecord) -> bool:
        """Count a record of the YAML's loggers, and drop it: it would be one of thousands."""
        self.guide += record.levelno >= logging.ERROR
        return False

    def emit(self, record: logging.LogRecord) -> None:
        """Count an ERROR record of ours (a handler of our logger at level ERROR)."""
        self.ours += 1

    @classmethod
    @contextmanager
    def counting(cls) -> Iterator[ErrorRecords]:
        """Count the ERROR records of both sides meanwhile."""
        records = cls()
        ours = logging.getLogger(OUR_LOGGER)
        ours.addHandler(records)
        for name in GUIDE_LOGGERS:
            logging.getLogger(name).addFilter(records.drop_guide)
        try:
            yield records
        finally:
            ours.removeHandler(records)
            for name in GUIDE_LOGGERS:
                logging.getLogger(name).removeFilter(records.drop_guide)


@dataclass(frozen=True)
class Freshness:
    """How long after Joulo listed each finished session a side showed it; None: never."""

    our_sensor: tuple[float | None, ...]
    our_event: tuple[float | None, ...]
    guide_sensor: tuple[float | None, ...]


@dataclass(frozen=True)
class SideBySide:
    """What both sides did in the same simulated window."""

    ours: Run
    """Our integration's run: its requests, sessions and events."""
    guide_requests: tuple[RecordedRequest, ...]
    """The requests of the guide's YAML in the window."""
    our_entities: tuple[str, ...]
    """The entity ids of our entry that have a state (the enabled ones)."""
    guide_entities: tuple[str, ...]
    writes: tuple[StateWrite, ...]
    """Every state written in the window after both setups, of either side."""
    ended_at: dict[str, datetime]
    """When our `joulo_session_ended` event fired, by session id."""
    errors: ErrorRecords
    """The ERROR records of each side in the window."""
    freshness: Freshness

    @property
    def guide_per_endpoint(self) -> Counter[str]:
        """The guide's requests per endpoint."""
        return Counter(request.endpoint for request in self.guide_requests)

    def writes_of(
        self, entity_ids: tuple[str, ...], *, changed_only: bool = False
    ) -> list[StateWrite]:
        """The writes of some entities, in order; with `changed_only`, the changes only."""
        wanted = set(entity_ids)
        return [
            write
            for write in self.writes
            if write.entity_id in wanted and (write.changed or not changed_only)
        ]


async def simulate_side_by_side(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    entry: MockConfigEntry,
    *,
    name: str,
    duration: timedelta,
) -> SideBySide:
    """Set up the guide's YAML on a twin of `simulator`, then `simulate` our `entry` beside it."""
    twin = twin_of(simulator)
    writes: list[StateWrite] = []

    @callback
    def written(event: StateWriteEvent) -> None:
        new_state = event.data["new_state"]
        writes.append(
            StateWrite(
                event.time_fired,
                event.data["entity_id"],
                None if new_state is None else new_state.state,
                changed=event.event_type == EVENT_STATE_CHANGED,
            )
        )

    async with SimulatorServer(twin) as guide_server:
        assert await async_setup_component(
            hass, "rest", {"rest": guide_config(guide_server.base_url, entry.data[CONF_API_TOKEN])}
        )
        await hass.async_block_till_done()
        guide_entities = guide_entity_ids()
        assert all(hass.states.get(entity_id) for entity_id in guide_entities)
        async_listen_to_state_writes(hass, written)
        ended = async_capture_events(hass, EVENT_SESSION_ENDED)
        with ErrorRecords.counting() as errors:
            run = await simulate(hass, freezer, simulator, entry, name=name, duration=duration)
    assert [s.id for s in twin.account().sessions] == [s.id for s in simulator.account().sessions]
    our_entities = tuple(
        registered.entity_id
        for registered in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if hass.states.get(registered.entity_id) is not None
    )
    in_window = tuple(write for write in writes if run.start < write.at < run.end)
    ended_at = {event.data["session_id"]: event.time_fired for event in ended}
    return SideBySide(
        ours=run,
        guide_requests=tuple(r for r in twin.requests if run.start <= r.at < run.end),
        our_entities=our_entities,
        guide_entities=guide_entities,
        writes=in_window,
        ended_at=ended_at,
        errors=errors,
        freshness=_freshness(hass, simulator, run, in_window, ended_at),
    )


def _freshness(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    run: Run,
    writes: tuple[StateWrite, ...],
    ended_at: dict[str, datetime],
) -> Freshness:
    """The delays of each session that completed in the run, on both sides."""
    registry = er.async_get(hass)
    our_sensor: list[float | None] = []
    our_event: list[float | None] = []
    guide_sensor: list[float | None] = []
    for session in simulator.account().sessions:
        if session.id not in run.completed:
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
                    for write in writes
                    if write.entity_id == entity_id
                    and write.changed
                    and write.at >= session.started_at
                    and _kwh(write.state) == session.kwh
                ),
                None,
            )
            delays.append(None if shown is None else max(0.0, (shown - listed).total_seconds()))
        fired = ended_at.get(session.id)
        our_event.append(None if fired is None else (fired - listed).total_seconds())
    return Freshness(tuple(our_sensor), tuple(our_event), tuple(guide_sensor))


def _kwh(state: str | None) -> float | None:
    try:
        return float(state) if state is not None else None
    except ValueError:
        return None


def record_day(account: str, day: SideBySide) -> None:
    """Record a day of both sides for `scripts/bench`'s table (see `benchmarks/table.py`).

    Requests per endpoint and in all, entities, state changes and writes, ERROR records; and when
    sessions completed, how fresh each side showed them.
    """
    table = BenchTable()
    ours, guide = day.ours.per_endpoint, day.guide_per_endpoint
    for endpoint in sorted(ours.keys() | guide.keys()):
        table.add(
            "Requests",
            f"{account}: {endpoint} per day",
            f"{ours[endpoint]:,}",
            yaml=f"{guide[endpoint]:,}",
        )
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
    sides = (day.our_entities, day.guide_entities)
    changes = [len(day.writes_of(e, changed_only=True)) for e in sides]
    writes = [len(day.writes_of(e)) for e in sides]
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
        f"{day.errors.ours:,}",
        yaml=f"{day.errors.guide:,}",
    )
    if day.ours.completed:
        _add_freshness_rows(table, day.freshness)
    table.record(f"{day.ours.name.lower()} day")


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
    for figure, delays, guide in rows:
        met = all(delay is not None and delay <= limit for delay in delays)
        table.add("Freshness", figure, _spread(delays), yaml=guide, goal=goal, met=met)
