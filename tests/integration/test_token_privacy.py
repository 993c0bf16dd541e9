"""The API token never leaks: not into logs (at any level), titles, unique ids, states or diagnostics."""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.joulo.const import DOMAIN
from joulo_simulator import DEMO_TOKEN, FaultKind, JouloSimulator, SimulatorServer
from tests.integration.common import (
    advance_time,
    entry_state,
    inject_failed_read,
    state_of,
    submit_form,
)

UNKNOWN_TOKEN = "joulo_mistypedtokenmistypedtoken0000"
"""A token someone typed that no account has: it must not leak either."""
_FORMATTER = logging.Formatter()


def _debug_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every record of every logger, down to DEBUG (restored after the test)."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level > logging.DEBUG:
            caplog.set_level(logging.DEBUG, logger=name)


def _record_texts(record: logging.LogRecord) -> list[str]:
    """Everything a log handler could write for `record`: message, arguments, traceback, stack."""
    texts = [str(record.msg), record.getMessage(), repr(record.args)]
    if record.exc_info:
        texts.append(_FORMATTER.formatException(record.exc_info))
        if (error := record.exc_info[1]) is not None:
            texts.extend(repr(arg) for arg in error.args)
    texts.extend(text for text in (record.exc_text, record.stack_info) if text)
    return texts


async def _poll_with_fault(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: JouloSimulator, **fault: Any
) -> None:
    """Let one chargers poll (and its retry, a few seconds later) meet `fault`."""
    inject_failed_read(
        simulator, fault.pop("kind", FaultKind.HTTP_ERROR), endpoint="/chargers", **fault
    )
    await advance_time(hass, freezer, timedelta(seconds=63), step=timedelta(seconds=3))
    assert simulator.faults.active == []


async def _add_entry_through_the_flow(
    hass: HomeAssistant, simulator: JouloSimulator, url: str
) -> ConfigEntry[Any]:
    """Set the account up through the user step, meeting every kind of error on the way."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow_id = result["flow_id"]
    # The API URL is in the form's collapsed "Advanced options" section.
    user_input: dict[str, Any] = {
        CONF_API_TOKEN: f"Bearer {UNKNOWN_TOKEN}",
        "advanced": {CONF_URL: url},
    }
    result = await submit_form(hass, flow_id, user_input)
    assert result["errors"] == {"base": "invalid_auth"}

    user_input[CONF_API_TOKEN] = f" Bearer {DEMO_TOKEN}\n"
    faults: list[tuple[dict[str, Any], str]] = [
        ({"kind": FaultKind.HTTP_ERROR, "status": 401}, "invalid_auth"),
        ({"kind": FaultKind.HTTP_ERROR, "status": 403}, "invalid_auth"),
        ({"kind": FaultKind.HTTP_ERROR, "status": 429, "retry_after": "30"}, "cannot_connect"),
        ({"kind": FaultKind.HTTP_ERROR, "status": 503}, "cannot_connect"),
        ({"kind": FaultKind.MALFORMED_JSON}, "unknown"),
    ]
    for fault, error in faults:
        simulator.faults.inject(endpoint="/chargers", **fault)
        result = await submit_form(hass, flow_id, user_input)
        assert result["errors"] == {"base": error}

    result = await submit_form(hass, flow_id, user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry: ConfigEntry[Any] = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data == {CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: url}
    return entry


async def test_token_never_leaks(
    *,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Through a flow with errors, faults while running, a refused token, reauth and diagnostics."""
    _debug_everywhere(caplog)

    entry = await _add_entry_through_the_flow(hass, simulator, simulator_server.base_url)

    # Faults while running: a server error, a broken answer, a rate limit (and its wait).
    await _poll_with_fault(hass, freezer, simulator, status=500)
    await _poll_with_fault(hass, freezer, simulator, kind=FaultKind.MALFORMED_JSON)
    await _poll_with_fault(hass, freezer, simulator, status=429, retry_after="60")
    await advance_time(hass, freezer, timedelta(seconds=120), step=timedelta(seconds=60))
    assert state_of(hass, "sensor.garage_status") == "online"

    # A setup that has to be retried.
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=502)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry_state(entry) is ConfigEntryState.SETUP_RETRY
    await advance_time(hass, freezer, timedelta(seconds=60), step=timedelta(seconds=30))
    assert entry_state(entry) is ConfigEntryState.LOADED

    # The token is rotated in the Joulo dashboard: the next poll is refused and reauth starts.
    new_token = simulator.rotate_token(DEMO_TOKEN)
    await advance_time(hass, freezer, timedelta(seconds=60), step=timedelta(seconds=60))
    assert state_of(hass, "sensor.garage_status") == STATE_UNAVAILABLE
    [flow] = entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    result = await submit_form(hass, flow["flow_id"], {CONF_API_TOKEN: UNKNOWN_TOKEN})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await submit_form(hass, flow["flow_id"], {CONF_API_TOKEN: f"Bearer {new_token}"})
    assert result["reason"] == "reauth_successful"
    assert state_of(hass, "sensor.garage_status") == "online"

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    secrets = (DEMO_TOKEN, new_token, UNKNOWN_TOKEN)
    # The checks below look where a leak would show.
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    assert any(record.exc_info for record in caplog.records)
    assert entry.data[CONF_API_TOKEN] == new_token

    for record in caplog.records:
        for text in _record_texts(record):
            for secret in secrets:
                assert secret not in text, f"{record.name}: {record.getMessage()}"
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in entry.title
        assert secret not in json.dumps(diagnostics)

    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert entities
    assert devices
    visible = [
        *(f"{entity.entity_id} {entity.unique_id}" for entity in entities),
        *(f"{device.identifiers} {device.name}" for device in devices),
        *(json.dumps(state.as_dict(), default=str) for state in hass.states.async_all()),
    ]
    for text in visible:
        for secret in secrets:
            assert secret not in text
