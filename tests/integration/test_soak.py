"""Seven simulated days with random faults, an outage and two restarts: nothing lost, nothing extra.

The soak (see `soak.py`) runs the real integration against the simulator with Joulo's upstream sync
and the autopilot charging. Its faults and Home Assistant's polling offsets are seeded, so a run is
the same every time (the request counts differ a little between Home Assistant versions; they are
asserted against the budget of the cadences, not exactly). A run that passes records its figures for
`scripts/bench`'s table.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import CHARGERS_RIDE_OUT
from joulo_simulator import FaultKind, JouloSimulator
from tests.integration.soak import (
    COORDINATORS,
    ENDPOINTS,
    FAULT_RATES,
    record_soak,
    run_soak,
)

pytestmark = [
    pytest.mark.usefixtures("frozen_time"),
    pytest.mark.upstream_sync,
    pytest.mark.autopilot,
]

SESSIONS_OF_THE_WEEK = 36
"""The autopilot's sessions that start and end in the soak (seeded): all of them do both."""


def alternates(states: list[str]) -> bool:
    """Whether the lines go down, back, down, back, ...: each failure said once, each recovery once."""
    return all(state == ("down", "back")[index % 2] for index, state in enumerate(states))


async def test_seven_days_of_faults(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each session announced once, no traceback, requests within budget and the gate held."""
    caplog.set_level(logging.INFO)  # a week of DEBUG lines would only slow the soak down
    run = await run_soak(hass, freezer, simulator, mock_config_entry, caplog)

    # Every session that ended is announced once as ended, on the bus and on its event entity; and
    # every session that started, once as started.
    assert len(run.ended) == len(run.started) == SESSIONS_OF_THE_WEEK
    assert run.ended_announced_once
    assert sorted(event["session_id"] for event in run.sessions.entity("ended")) == sorted(
        run.ended
    )
    assert sorted(event["session_id"] for event in run.sessions.bus("started")) == sorted(
        run.started
    )

    assert run.tracebacks == ()
    # The only errors logged are the coordinators' lines that fetching failed, in the outage: the
    # random faults are ridden out (a retry, or one failed poll kept through).
    assert run.errors == run.fetch_failures
    assert [
        (at, name)
        for at, name, state in run.fetch_log
        if state == "down" and not run.outage.start <= at < run.outage.end
    ] == []
    # Nothing reads unavailable but for the outage and the restarts.
    assert run.unexplained_unavailable_writes == []
    assert run.unavailable_writes
    # A poll that failed is ridden out for at most five minutes: then its entities are unavailable.
    assert timedelta(0) < run.longest_stale <= CHARGERS_RIDE_OUT

    # Every kind of fault was served, and each hang ran out the client's timeout.
    assert all(run.faults.hits[kind] > 0 for kind in FAULT_RATES)
    assert run.outage_errors > 0
    assert run.timed_out == run.faults.hits[FaultKind.HANG]

    # The cadences hold through it all (with at most one retry per failed request), and after a
    # 429 nothing is sent until its Retry-After.
    assert 0 < run.retries <= run.failed_requests.total()
    assert set(run.per_endpoint) <= set(ENDPOINTS)
    for endpoint, budget in run.budget.items():
        assert run.per_endpoint[endpoint] <= budget, endpoint
    assert run.held_back > 0
    assert run.sent_while_gated == []
    # Every 429 was a fault: the integration never ran into the API's own rate limit.
    assert run.served[HTTPStatus.TOO_MANY_REQUESTS] == run.faults.hits[FaultKind.RATE_LIMITED]

    # The log says once that fetching failed and once that it recovered, each time; in the outage,
    # each coordinator that polled says it once each.
    for name in COORDINATORS:
        assert all(alternates(states) for states in run.fetch_states(name)), name
    assert run.outage_logged_once, {name: run.outage_lines(name) for name in COORDINATORS}
    record_soak(run)
