"""Helpers of the integration tests: time, states, entries, flows, devices, registry snapshots, sessions.

One module, so a test imports its helpers from one place: `advance_time` moves the frozen clock (the
only way the tests move time), the session helpers watch what the event entities and the bus announce.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
import json
from types import ModuleType
from typing import Any, NamedTuple

import freezegun.api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    ConfigSubentryDataWithId,
    OptionsFlowManager,
)
from homeassistant.const import (
    CONF_API_TOKEN,
    CONF_URL,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateEventData,
    EventStateReportedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.json import json_dumps
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.joulo.announcer import EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from custom_components.joulo.api import JouloClient, JouloConnectionError
from custom_components.joulo.const import CHARGERS_RIDE_OUT, DOMAIN
from custom_components.joulo.coordinator import JouloRuntimeData
from joulo_simulator import (
    Fault,
    FaultKind,
    JouloSimulator,
    RecordedRequest,
    SimSession,
    SimulatorServer,
)
from joulo_simulator.sync import SYNC_INTERVAL, last_sync

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
"""Where `frozen_time` stops the clock: mid-month (in UTC and in US/Pacific), on a whole minute."""
ONE_POLL = timedelta(seconds=60)
"""The chargers cadence: one step of this length runs exactly one chargers poll."""


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of `entity_id`, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state.state


def entry_state(entry: ConfigEntry[Any]) -> ConfigEntryState:
    """The entry's state now (a function, so that type checkers do not hold on to an earlier one)."""
    state: ConfigEntryState = entry.state
    return state


async def set_up_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add `entry` and set it up; it must load."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def try_set_up_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add `entry` and try to set it up: it may fail, or be retried later."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def entry_of(
    simulator: JouloSimulator, server: SimulatorServer, options: dict[str, Any]
) -> MockConfigEntry:
    """An entry of the simulator's default account (not set up), with `options`."""
    account = simulator.account()
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Joulo ({account.name})",
        unique_id=account.id,
        data={CONF_API_TOKEN: account.token, CONF_URL: server.base_url},
        options=options,
    )


def stored_vehicle(subentry_id: str, data: dict[str, Any]) -> ConfigSubentryDataWithId:
    """A vehicle subentry as stored before the entry is set up (with its id, as after a restart)."""
    return ConfigSubentryDataWithId(
        subentry_id=subentry_id,
        subentry_type="vehicle",
        title=data["name"],
        unique_id=None,
        data=data,
    )


async def submit_form(
    hass: HomeAssistant,
    flow_id: str,
    user_input: dict[str, Any],
    flows: OptionsFlowManager | None = None,
) -> ConfigFlowResult:
    """Submit a flow's form with `user_input`, and let what it starts finish.

    The flow is a config flow, or an options flow when `flows` is `hass.config_entries.options`.
    """
    result = await (flows or hass.config_entries.flow).async_configure(flow_id, user_input)
    await hass.async_block_till_done()
    return result


def device_of(
    hass: HomeAssistant, entry: MockConfigEntry, identifier: str
) -> dr.DeviceEntry | None:
    """The entry's device with a Joulo identifier (a charger id, or the account's), if there is one."""
    devices = [
        device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if (DOMAIN, identifier) in device.identifiers
    ]
    assert len(devices) <= 1
    return devices[0] if devices else None


def device_id_of(hass: HomeAssistant, entry: MockConfigEntry, identifier: str) -> str:
    """The id of the entry's device with a Joulo identifier, which must exist."""
    device = device_of(hass, entry, identifier)
    assert device is not None, f"no device {identifier}"
    return device.id


def registry_snapshot(hass: HomeAssistant, entry_id: str, domain: str) -> dict[str, Any]:
    """The registry entries and states of an entry's entities of one domain, version-independent.

    Only plain JSON values, of the fields that matter to a user, so the snapshot is the same on every
    supported Home Assistant version. Only sensors have a unit: other domains leave the field out.
    """
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    entries = er.async_entries_for_config_entry(entity_registry, entry_id)
    result: dict[str, Any] = {}
    for entry in sorted(entries, key=lambda entry: entry.entity_id):
        if entry.domain != domain:
            continue
        state = hass.states.get(entry.entity_id)
        assert state is not None, f"{entry.entity_id} has no state"
        device = device_registry.async_get(entry.device_id) if entry.device_id else None
        result[entry.entity_id] = {
            "unique_id": entry.unique_id,
            "device": device.name if device else None,
            "has_entity_name": entry.has_entity_name,
            "translation_key": entry.translation_key,
            "original_name": entry.original_name,
            "device_class": entry.device_class,
            "original_device_class": entry.original_device_class,
            "entity_category": entry.entity_category,
            "disabled_by": entry.disabled_by,
            "capabilities": entry.capabilities,
            "state": state.state,
            "attributes": dict(state.attributes),
        }
        if domain == "sensor":
            result[entry.entity_id]["unit_of_measurement"] = entry.unit_of_measurement
    converted: dict[str, Any] = json.loads(json_dumps(result))
    return converted


async def advance_time(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    duration: timedelta,
    *,
    step: timedelta = timedelta(seconds=10),
) -> None:
    """Move Home Assistant's clock (and so the simulator's) forward, firing timers on the way."""
    remaining = duration
    while remaining > timedelta(0):
        tick = min(step, remaining)
        freezer.tick(tick)
        async_fire_time_changed(hass)
        # Coordinators refresh in background tasks: let their requests finish before time moves on,
        # or the next tick would run the client's timeout out under them.
        await hass.async_block_till_done(wait_background_tasks=True)
        remaining -= tick


_RETRIED_KINDS = frozenset(
    {FaultKind.HANG, FaultKind.MALFORMED_JSON, FaultKind.WRONG_SHAPE, FaultKind.MISSING_FIELDS}
)


def inject_failed_read(
    simulator: JouloSimulator, kind: FaultKind | str, *, endpoint: str, **fault: Any
) -> Fault:
    """Make the next poll of `endpoint` fail: a fault that is tried again is injected twice.

    A poll is read once more a few seconds after no answer, a 5xx or a broken body (its retry), so
    one such fault alone is ridden out unseen; a refusal (4xx) is not tried again: injected once.
    """
    kind = FaultKind(kind)
    retried = kind in _RETRIED_KINDS or fault.get("status", 0) >= 500
    return simulator.faults.inject(kind, endpoint=endpoint, times=2 if retried else 1, **fault)


async def fail_chargers_past_the_ride_out(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_ids: tuple[str, ...]
) -> None:
    """Poll while `/chargers` fails, from just after a good chargers poll, until it shows.

    The charger entities keep their states through the failed polls of the first five minutes,
    and are unavailable at the poll five minutes after the last good one.
    """
    before = {entity_id: state_of(hass, entity_id) for entity_id in entity_ids}
    assert STATE_UNAVAILABLE not in before.values()
    await advance_time(hass, freezer, CHARGERS_RIDE_OUT - ONE_POLL, step=ONE_POLL)
    assert {entity_id: state_of(hass, entity_id) for entity_id in entity_ids} == before
    await advance_time(hass, freezer, ONE_POLL, step=ONE_POLL)
    assert {state_of(hass, entity_id) for entity_id in entity_ids} == {STATE_UNAVAILABLE}


GARAGE_EVENT = "event.garage_charging_session"
OPRIT_EVENT = "event.oprit_charging_session"
EVENT_ENTITIES = (GARAGE_EVENT, OPRIT_EVENT, "event.carport_charging_session")

ATTRIBUTES = (
    "session_id",
    "energy_kwh",
    "ere_credits",
    "counts_for_ere",
    "ere_value_eur",
    "started_at",
    "ended_at",
    "duration_minutes",
    "id_tag",
    "cost_eur",
    "net_cost_eur",
    "price_per_kwh",
)
"""The attributes of every announcement, on the event entity and on the bus."""
ERE_PRICE, PLATFORM_FEE_PCT = 0.87, 12.5
"""The simulator's account's price of an ERE and platform fee (its `/me` and estimate basis)."""


def net_euros(ere_credits: float | None) -> float:
    """What ERE credits bring at the simulator account's price, after the fee, in cents."""
    return round((ere_credits or 0.0) * ERE_PRICE * (1 - PLATFORM_FEE_PCT / 100), 2)


HALF_MINUTE = timedelta(seconds=30)


def is_new_event(old: State | None, new: State | None) -> bool:
    """Whether a state change of an event entity is an event it fired.

    Not: the entity appearing (with its restored last event), going or coming back from unavailable,
    or an attribute change without a new event. Two events in the same millisecond (the tests' clock
    stands still) keep the state (their time) but change the event's type or session.
    """
    if old is None or new is None or STATE_UNAVAILABLE in (old.state, new.state):
        return False
    if new.state == STATE_UNKNOWN:
        return False
    return (new.state, _event_key(new)) != (old.state, _event_key(old))


def _event_key(state: State) -> tuple[Any, Any]:
    return state.attributes.get(ATTR_EVENT_TYPE), state.attributes.get("session_id")


@dataclass
class SessionLog:
    """Every announcement, as the event entities showed it and as the bus carried it."""

    entity_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(entity id, the new state's attributes) of each event an event entity fired."""
    bus_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(event type, data) of each `joulo_session_*` event on the bus."""

    def entity(self, event_type: str, entity_id: str | None = None) -> list[dict[str, Any]]:
        """The attributes of the entity events of one type (of one entity)."""
        return [
            attributes
            for fired_by, attributes in self.entity_events
            if attributes[ATTR_EVENT_TYPE] == event_type and entity_id in (None, fired_by)
        ]

    def bus(self, event_type: str) -> list[dict[str, Any]]:
        """The data of the bus events of one type (`started` or `ended`)."""
        name = EVENT_SESSION_STARTED if event_type == "started" else EVENT_SESSION_ENDED
        return [data for fired, data in self.bus_events if fired == name]

    def ended_ids(self) -> list[str]:
        """The session ids of the `ended` bus events, in order."""
        return [data["session_id"] for data in self.bus("ended")]

    def counts(self) -> dict[str, int]:
        """How many of each were seen: entity and bus, started and ended."""
        return {
            "entity_started": len(self.entity("started")),
            "entity_ended": len(self.entity("ended")),
            "bus_started": len(self.bus("started")),
            "bus_ended": len(self.bus("ended")),
        }


def log_sessions(hass: HomeAssistant) -> SessionLog:
    """Start recording the announcements of every Joulo event entity and on the bus."""
    log = SessionLog()

    @callback
    def state_changed(event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        new_state = event.data["new_state"]
        if entity_id.startswith("event.") and is_new_event(event.data["old_state"], new_state):
            assert new_state is not None
            log.entity_events.append((entity_id, dict(new_state.attributes)))

    @callback
    def announced(event: Event[dict[str, Any]]) -> None:
        log.bus_events.append((str(event.event_type), dict(event.data)))

    hass.bus.async_listen(EVENT_STATE_CHANGED, state_changed)
    hass.bus.async_listen(EVENT_SESSION_STARTED, announced)
    hass.bus.async_listen(EVENT_SESSION_ENDED, announced)
    return log


async def async_stop_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry, as Home Assistant does when it stops (what was announced is stored)."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def async_start_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up again from the stored announcements, as after a restart."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def async_restart_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry and set it up again: a restart of Home Assistant, for the integration."""
    await async_stop_entry(hass, entry)
    await async_start_entry(hass, entry)


async def start_session_and_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    charger_id: str,
    *,
    power_kw: float = 11.0,
    id_tag: str | None = None,
) -> SimSession:
    """Start a session half a minute from now, then let two minutes of chargers polls see it run."""
    await advance_time(hass, freezer, HALF_MINUTE, step=HALF_MINUTE)
    session = simulator.start_session(charger_id, power_kw=power_kw, id_tag=id_tag)
    await advance_time(hass, freezer, timedelta(minutes=2), step=HALF_MINUTE)
    return session


def listed_at(simulator: JouloSimulator, session: SimSession) -> datetime:
    """When Joulo shows `session` as it is now: from its start while it runs, from its end after.

    At once when its charger reports live (an OCPP charger, or any charger without the simulator's
    upstream sync); a cloud charger's change shows at the charger's first sync from then on.
    """
    simulator.now()  # brings the model up to now: a session whose planned end has come ends
    moment = session.ended_at or session.started_at
    if session.live or not simulator.upstream_sync:
        return moment
    synced = last_sync(session.charger_id, moment)
    return synced if synced >= moment else synced + SYNC_INTERVAL


async def until_listed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    session: SimSession,
    *,
    then: timedelta = ONE_POLL,
) -> None:
    """Move time on until `then` after Joulo shows `session` as it is now (see `listed_at`).

    `then` defaults to one chargers poll: the integration has seen the change by then. When that
    time has passed already, time stands still.
    """
    until = listed_at(simulator, session) + then
    await advance_time(hass, freezer, until - simulator.now(), step=HALF_MINUTE)


type StateWriteEvent = Event[EventStateChangedData] | Event[EventStateReportedData]
"""A state written: changed (`state_changed`), or written again unchanged (`state_reported`)."""


@callback
def _every_state(event_data: EventStateEventData) -> bool:
    """Hear every entity's writes (Home Assistant wants a filter for `state_reported`)."""
    return True


@callback
def async_listen_to_state_writes(
    hass: HomeAssistant, listener: Callable[[StateWriteEvent], None]
) -> Callable[[], None]:
    """Call `listener` for every state written, changed or not, until the returned call stops it."""
    stops = (
        hass.bus.async_listen(EVENT_STATE_CHANGED, listener, event_filter=_every_state),
        hass.bus.async_listen(EVENT_STATE_REPORTED, listener, event_filter=_every_state),
    )

    def stop() -> None:
        for stop_listening in stops:
            stop_listening()

    return stop


@callback
def record_unavailable_writes(hass: HomeAssistant) -> list[tuple[datetime, str]]:
    """Start recording every state written as unavailable: (when, entity id), in order."""
    written: list[tuple[datetime, str]] = []

    @callback
    def heard(event: StateWriteEvent) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and new_state.state == STATE_UNAVAILABLE:
            written.append((dt_util.utcnow(), new_state.entity_id))

    async_listen_to_state_writes(hass, heard)
    return written


# Simulated days: the integration polling the simulator one chargers poll at a time

SESSIONS_BY_CHARGER = "/sessions by charger"
"""A `/sessions` look-up of one charger's sessions (`charger_id` and `from`), not the newest page."""


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
    listed: frozenset[str]
    """Of those, the ones Joulo listed as ended at least one chargers poll before the end."""
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
        return Counter(row_of(request) for request in self.requests)

    @property
    def refused(self) -> int:
        """Requests the simulator did not answer with 200 (e.g. 429 for the rate limit)."""
        return sum(1 for request in self.requests if request.status != 200)

    @property
    def never_seen(self) -> frozenset[str]:
        """Sessions Joulo listed as completed in time that never reached the integration."""
        return self.listed - self.seen


def real_time() -> float:
    """Real seconds, for intervals: `time.perf_counter` stands still while the test's clock is frozen."""
    seconds: float = freezegun.api.real_perf_counter()
    return seconds


def row_of(request: RecordedRequest) -> str:
    """The table row of a request: its endpoint, or `SESSIONS_BY_CHARGER` for a charger's look-up."""
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
    completed = [
        s
        for s in simulator.account().sessions
        if s.ended_at is not None and start <= s.ended_at <= end
    ]
    return Run(
        name=name,
        chargers=len(simulator.account().chargers),
        start=start,
        end=end,
        requests=tuple(r for r in simulator.requests if start <= r.at < end),
        completed=frozenset(s.id for s in completed),
        listed=frozenset(s.id for s in completed if listed_at(simulator, s) <= end - ONE_POLL),
        ended_events=ended_ids,
        seen=frozenset(seen) | frozenset(ended_ids),
        entities=len(er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)),
        setup_seconds=setup_seconds,
        minute_seconds=tuple(minute_seconds),
        chargers_only_seconds=tuple(chargers_only),
    )


# TD: requests that hang on purpose


class HangingApi:
    """Moves the frozen clock while requests hang in the simulator, once nothing else is under way.

    Under a frozen clock the event loop's timers run on Home Assistant's time, so the client's 20 s
    timeout fires only when a test moves time. `advance_time` waits for requests to finish, which a
    hanging one never does; moving on without waiting would time requests out before they even
    reached the API (or before their answer was read). So before each step this waits until every
    request a Joulo client has open is one the simulator holds, and every task Home Assistant tracks
    has finished or waits, itself or through what it awaits, for such a request (a debounced
    refresh, a setup's first refreshes). The step then times them out, as 20 s of silence would.
    """

    step_length = timedelta(seconds=30)
    """How far each step moves the clock: longer than the client's timeout."""

    def __init__(
        self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: JouloSimulator
    ) -> None:
        """Move `hass`'s clock with `freezer` while requests hang in `simulator` (see `watch`)."""
        self.hass = hass
        self.freezer = freezer
        self.simulator = simulator
        self.hangs: list[Fault] = []
        """The hangs `hang` injected (random ones and outages hang too)."""
        self.open_requests: Counter[asyncio.Task[Any]] = Counter()
        """The tasks inside a client request (a retry too)."""
        self.held = 0
        """The requests the simulator holds: the hangs it served since the last step."""
        self.timed_out: Counter[str] = Counter()
        """The requests the clients gave up on after their timeout, per endpoint."""
        self.clients: list[JouloClient] = []
        """Every client that sent a request, one per setup of the entry."""
        self._changed = asyncio.Event()

    def hang(self, *, endpoint: str | None = None, times: int | None = None) -> Fault:
        """Let the next `times` requests for `endpoint` (None: all, until cleared) hang."""
        fault = self.simulator.faults.inject("hang", endpoint=endpoint, times=times, delay=3600.0)
        self.hangs.append(fault)
        return fault

    def watch(self, patch: pytest.MonkeyPatch) -> None:
        """Count the requests the clients have open and the hangs the simulator serves, until undone."""
        original_request = JouloClient._request
        original_record = self.simulator.record
        original_consume = self.simulator.faults.consume

        async def counted_request(client: JouloClient, *args: Any, **kwargs: Any) -> Any:
            self.opened(client)
            try:
                return await original_request(client, *args, **kwargs)
            except JouloConnectionError as err:
                if isinstance(err.__cause__, TimeoutError):
                    self.timed_out[args[1]] += 1
                raise
            finally:
                self.closed()

        def counted_consume(fault: Fault) -> None:
            original_consume(fault)
            if fault.kind is FaultKind.HANG:
                self.held += 1

        def signalled_record(request: RecordedRequest) -> None:
            original_record(request)
            self._changed.set()

        patch.setattr(JouloClient, "_request", counted_request)
        patch.setattr(self.simulator.faults, "consume", counted_consume)
        patch.setattr(self.simulator, "record", signalled_record)

    def opened(self, client: JouloClient) -> None:
        """A client starts a request."""
        if client not in self.clients:
            self.clients.append(client)
        task = asyncio.current_task()
        assert task is not None
        self.open_requests[task] += 1
        self._changed.set()

    def closed(self) -> None:
        """A client's request ended: answered, held back by the gate, timed out or cancelled."""
        task = asyncio.current_task()
        assert task is not None
        self.open_requests[task] -= 1
        if not self.open_requests[task]:
            del self.open_requests[task]
        self._changed.set()

    async def advance(self, duration: timedelta) -> None:
        """Move the clock `duration` forward in steps, each once Home Assistant has settled."""
        await self.settle()
        remaining = duration
        while remaining > timedelta(0):
            await self.step(min(self.step_length, remaining))
            remaining -= self.step_length

    async def step(self, duration: timedelta) -> None:
        """Move the clock once (ending every hang: a step is longer than the client's timeout)."""
        self.freezer.tick(duration)
        self.held = 0
        async_fire_time_changed(self.hass)
        await self.settle()

    async def run[T](self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` as a task Home Assistant tracks, moving time while it waits for a hang."""
        task = self.hass.async_create_task(coroutine)
        await self.settle()
        while not task.done():
            await self.step(self.step_length)
        return task.result()

    async def settle(self) -> None:
        """Wait until Home Assistant waits for nothing but requests the simulator holds."""
        while True:
            working = self._working()
            if not working and self.open_requests.total() == self.held:
                return
            self._changed.clear()
            changed = asyncio.ensure_future(self._changed.wait())
            await asyncio.wait([*working, changed], return_when=asyncio.FIRST_COMPLETED)
            changed.cancel()

    def _working(self) -> list[asyncio.Future[Any]]:
        """The tasks Home Assistant tracks that are neither done nor waiting for a hang.

        Home Assistant's own wait (`async_block_till_done`) would wait for the tasks that wait for a
        hang too, forever; this is the one place that reads its task sets.
        """
        current = asyncio.current_task()
        return [
            task
            for task in self.hass._tasks | self.hass._background_tasks
            if task is not current
            and not task.done()
            and not (isinstance(task, asyncio.Task) and task.cancelling())
            and not self._waits_for_hang(task)
        ]

    def _waits_for_hang(self, awaited: object) -> bool:
        """Whether `awaited` (a task, or what a task awaits) can only finish once time moves on.

        A task inside a request waits for a hang when every open request is held; so does a task
        awaiting such a task (a debounced refresh), or `asyncio.gather` of them (the first
        refreshes of a setup). asyncio has no public way to ask what a task awaits: CPython keeps
        it in `_fut_waiter` (None while it runs), and a gather's futures in `_children`.
        """
        if self.open_requests.total() != self.held:
            return False
        if isinstance(awaited, asyncio.Task):
            return awaited in self.open_requests or self._waits_for_hang(
                getattr(awaited, "_fut_waiter", None)
            )
        children: list[asyncio.Future[Any]] = getattr(awaited, "_children", [])
        pending = [child for child in children if not child.done()]
        return bool(pending) and all(self._waits_for_hang(child) for child in pending)


# Group TB: the four fixtures most integration tests take, as one (`live` and `recorded` in conftest)


class Live(NamedTuple):
    """Home Assistant, its clock, the simulator and the entry of the simulator's account."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    simulator: JouloSimulator
    entry: MockConfigEntry


SHORT_TIMEOUT = 0.5
"""A request timeout (real seconds) for the hang tests: short, but long enough to connect."""


def time_out_the_next_chargers_read(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, simulator: JouloSimulator
) -> None:
    """Give the clients `module` makes a short timeout, and let the next `/chargers` read outlast it."""
    monkeypatch.setattr(module, "JouloClient", partial(JouloClient, request_timeout=SHORT_TIMEOUT))
    simulator.faults.inject(FaultKind.HANG, endpoint="/chargers", delay=30.0)


async def logbook_rows(hass: HomeAssistant, start: datetime) -> list[dict[str, Any]]:
    """The Activity panel's rows of the session events since `start` (logbook set up, recorded).

    (It lists the entities' state changes too; those are not ours to describe.)
    """
    from homeassistant.components.logbook.processor import EventProcessor  # noqa: PLC0415

    await async_wait_recording_done(hass)
    processor = EventProcessor(hass, (EVENT_SESSION_STARTED, EVENT_SESSION_ENDED))
    rows = await get_instance(hass).async_add_executor_job(
        processor.get_events, start, dt_util.utcnow() + timedelta(hours=1)
    )
    return [row for row in rows if row.get("domain") == DOMAIN]


async def logbook_messages(hass: HomeAssistant, start: datetime) -> list[str]:
    """The Activity panel's lines of the session events since `start`: name and message."""
    return [f"{row['name']} {row['message']}" for row in await logbook_rows(hass, start)]
