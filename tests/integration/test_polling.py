"""Chargers polling follows what Joulo lists: a session listed running brings it back to every minute."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import DOMAIN
from joulo_simulator import FaultKind, JouloSimulator, SimulatorServer

from .common import advance_time, set_up_entry


async def test_a_session_listed_running_polls_the_chargers_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
) -> None:
    """Idle cloud chargers (every 5 min); `/sessions` lists a running session: `/chargers` at once."""
    account = simulator.add_account("joulo_followtherunningsession000000000", empty=True)
    charger = simulator.add_charger(token=account.token, nickname="Voor", connection_type="easee")
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=account.id,
        data={CONF_API_TOKEN: account.token, CONF_URL: simulator_server.base_url},
    )
    await set_up_entry(hass, entry)
    # `/chargers` leaves the session out (an answer that lags): only `/sessions` shows it.
    simulator.faults.inject(
        FaultKind.MISSING_FIELDS,
        endpoint="/chargers",
        fields=["current_session", "is_charging"],
        times=None,
    )
    simulator.start_session(charger.id, power_kw=7.4, token=account.token)
    await advance_time(hass, freezer, timedelta(minutes=7), step=timedelta(seconds=30))
    before = len(simulator.requests)

    await entry.runtime_data.sessions.async_refresh()
    await hass.async_block_till_done()

    # Between two 5-minute polls: the sessions refresh, then at once the chargers.
    assert [r.endpoint for r in simulator.requests[before:]] == ["/sessions", "/chargers"]
    assert entry.runtime_data.chargers.update_interval == timedelta(minutes=5)
