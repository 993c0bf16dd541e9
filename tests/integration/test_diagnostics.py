"""Diagnostics of a Joulo entry: what the coordinators read, with the token and personal data redacted."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.joulo.const import DOMAIN
from joulo_simulator import FaultKind, JouloSimulator, SimAccount, SimulatorServer
from joulo_simulator.account import DEFAULT_ID_TAG, DEMO_TOKEN, DRIVEWAY_ID
from tests.integration.common import Live, advance_time, inject_failed_read, set_up_entry

# The simulator builds its accounts relative to "now": a fixed now makes the diagnostics repeatable.
pytestmark = pytest.mark.freeze_time("2026-04-09T10:30:00+00:00")

REDACTED = "**REDACTED**"
TOKEN = "joulo_diagnosticstoken0000000000000000"
CARD_TAG = "CAFEBABE00000001"
"""The TAG id of the small account's running session."""


@pytest.fixture
async def small_account(
    hass: HomeAssistant, simulator: JouloSimulator, freezer: FrozenDateTimeFactory
) -> SimAccount:
    """An account with two chargers, one completed session and one running: a short snapshot."""
    account = simulator.add_account(TOKEN, empty=True)
    oprit = simulator.add_charger(
        token=TOKEN, nickname="Oprit", connection_type="ocpp", meter_wh=1_000_000
    )
    garage = simulator.add_charger(token=TOKEN, nickname="Garage", connection_type="easee")
    simulator.start_session(oprit.id, token=TOKEN, power_kw=11.0, duration=timedelta(hours=2))
    await advance_time(hass, freezer, timedelta(hours=3), step=timedelta(hours=3))
    simulator.start_session(garage.id, token=TOKEN, power_kw=7.4, id_tag=CARD_TAG)
    await advance_time(hass, freezer, timedelta(minutes=30), step=timedelta(minutes=30))
    return account


def _secrets_absent(diagnostics: dict[str, Any], *secrets: str) -> None:
    """Assert that none of `secrets` appears anywhere in the diagnostics' JSON text."""
    text = json.dumps(diagnostics)
    for secret in secrets:
        assert secret not in text, secret


async def test_diagnostics_snapshot(
    small_account: SimAccount,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator_server: SimulatorServer,
    snapshot: SnapshotAssertion,
) -> None:
    """The diagnostics hold the entry and each coordinator's data, with personal data redacted."""
    # `small_account` comes first: it moves the clock, which would expire `hass_client`'s login.
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Joulo ({small_account.name})",
        unique_id=small_account.id,
        data={CONF_API_TOKEN: TOKEN, CONF_URL: simulator_server.base_url},
    )
    await set_up_entry(hass, entry)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    # The server's port changes from run to run: the URL is checked here, the rest by the snapshot.
    assert diagnostics["entry"]["data"].pop(CONF_URL) == simulator_server.base_url
    assert diagnostics == snapshot
    assert diagnostics["entry"]["data"][CONF_API_TOKEN] == REDACTED
    assert diagnostics["energy"]["account"]["email"] == REDACTED
    assert diagnostics["energy"]["account"]["name"] == REDACTED
    assert diagnostics["energy"]["account"]["id"] == small_account.id
    running = [c for c in diagnostics["chargers"] if c["current_session"] is not None]
    assert [charger["current_session"]["id_tag"] for charger in running] == [REDACTED]
    assert {session["id_tag"] for session in diagnostics["sessions"]["recent"]} == {REDACTED}
    _secrets_absent(
        diagnostics, TOKEN, small_account.email, small_account.name, CARD_TAG, DEFAULT_ID_TAG
    )


async def test_diagnostics_of_the_default_account_hide_every_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A year of history and a live OCPP session: no token, e-mail, name or TAG id in the diagnostics."""
    simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    await set_up_entry(hass, mock_config_entry)
    account = simulator.default_account

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)

    assert len(diagnostics["chargers"]) == 3
    assert len(diagnostics["sessions"]["recent"]) == 100
    total_sessions = hass.states.get("sensor.joulo_total_sessions")
    assert total_sessions is not None
    assert diagnostics["energy"]["energy"]["total_sessions"] == int(total_sessions.state)
    _secrets_absent(diagnostics, DEMO_TOKEN, account.email, account.name, DEFAULT_ID_TAG)


async def test_diagnostics_show_the_rate_limit(
    live: Live, hass_client: ClientSessionGenerator
) -> None:
    """After a 429, the diagnostics tell until when nothing is sent."""
    hass, freezer, simulator, mock_config_entry = live
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    assert diagnostics["rate_limited_until"] is None

    simulator.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/chargers", status=429, retry_after="120"
    )
    await advance_time(hass, freezer, timedelta(seconds=60), step=timedelta(seconds=60))

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    assert diagnostics["rate_limited_until"] == "2026-04-09T10:33:00+00:00"


async def test_diagnostics_show_failures_in_a_row(
    live: Live, hass_client: ClientSessionGenerator
) -> None:
    """A failed chargers poll that is ridden out: one failure in a row, the last good answer's time.

    The poll failed, and so did its retry a few seconds later.
    """
    hass, freezer, simulator, mock_config_entry = live
    set_up_at = dt_util.utcnow().isoformat()
    inject_failed_read(simulator, FaultKind.HTTP_ERROR, endpoint="/chargers", status=502)

    await advance_time(hass, freezer, timedelta(seconds=63), step=timedelta(seconds=1))

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    assert diagnostics["polling"] == {
        "chargers": {
            "failures_in_a_row": 1,
            "last_success": set_up_at,
            "last_update_success": True,
        },
        "sessions": {
            "failures_in_a_row": 0,
            "last_success": set_up_at,
            "last_update_success": True,
        },
        "energy": {
            "failures_in_a_row": 0,
            "last_success": set_up_at,
            "last_update_success": True,
        },
    }
    assert diagnostics["reads_retried"] == 1


async def test_diagnostics_show_vehicles_and_costs_without_their_names_or_cards(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
) -> None:
    """A vehicle's name and cards are redacted; its chargers, reimbursement, the costs kept shown."""
    account = simulator.default_account
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=account.id,
        data={CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: simulator_server.base_url},
        options={"fixed_price": 0.25},
        subentries_data=[
            ConfigSubentryDataWithId(
                subentry_id="sub-lease",
                subentry_type="vehicle",
                title="Lease car",
                unique_id=None,
                data={
                    "name": "Lease car",
                    "id_tags": [DEFAULT_ID_TAG],
                    "chargers": [DRIVEWAY_ID],
                    "reimbursement": "fixed_rate",
                    "rate": 0.35,
                },
            )
        ],
    )
    await set_up_entry(hass, entry)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["entry"]["options"] == {"fixed_price": 0.25}
    assert diagnostics["vehicles"] == [
        {
            "name": REDACTED,
            "id_tags": REDACTED,
            "chargers": [DRIVEWAY_ID],
            "reimbursement": "fixed_rate",
            "rate": 0.35,
        }
    ]
    costs = diagnostics["costs"]
    assert costs["priced"] is True
    assert costs["sessions_kept"] == costs["sessions_with_a_cost"] > 0
    assert costs["sessions_waiting"] == 0
    _secrets_absent(diagnostics, DEMO_TOKEN, "Lease car", DEFAULT_ID_TAG)
