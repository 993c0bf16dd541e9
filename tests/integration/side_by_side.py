"""Our integration beside the `rest:` YAML of Joulo's guide, in one Home Assistant, on one account.

The guide ("Charging sessions, ERE and status in Home Assistant") has Home Assistant's own `rest`
integration poll three endpoints into eight sensors. Here that YAML runs as written, pointed at a
simulator, next to our integration, while `simulate` (the request benchmark's) moves the clock one
chargers poll at a time. Each side polls a simulator of its own: the YAML a twin of the test's, with
the same seed, clock, chargers, autopilot and sync, so both see the same account and the same
sessions, and each log holds only its side's requests (a request's log entry does not say whose
token sent it). The two sides' entities are told apart by entity id.

`tests/integration/test_daily_requests.py` asserts the request counts of a day;
`benchmarks/test_compare.py` prints them with the writes, the entities and the freshness.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
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

from custom_components.joulo.announcer import EVENT_SESSION_ENDED
from joulo_simulator import JouloSimulator, RecordedRequest, SimulatorServer
from tests.integration.common import (
    Run,
    StateWriteEvent,
    async_listen_to_state_writes,
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
        run = await simulate(hass, freezer, simulator, entry, name=name, duration=duration)
    assert [s.id for s in twin.account().sessions] == [s.id for s in simulator.account().sessions]
    our_entities = tuple(
        registered.entity_id
        for registered in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if hass.states.get(registered.entity_id) is not None
    )
    return SideBySide(
        ours=run,
        guide_requests=tuple(r for r in twin.requests if run.start <= r.at < run.end),
        our_entities=our_entities,
        guide_entities=guide_entities,
        writes=tuple(write for write in writes if run.start < write.at < run.end),
        ended_at={event.data["session_id"]: event.time_fired for event in ended},
    )
