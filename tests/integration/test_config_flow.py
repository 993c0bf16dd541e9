"""The config flow over real HTTP against the simulator: set up, re-authenticate and reconfigure.

The API URL sits in a collapsed "Advanced options" section of the user and reconfigure forms, on every
Home Assistant version: the flow does not depend on the retired advanced mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
import logging
import socket
from typing import Any, NamedTuple

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_API_TOKEN, CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.joulo import config_flow
from custom_components.joulo.const import DOMAIN
from custom_components.joulo.validation import vol
from joulo_simulator import DEMO_TOKEN, FaultKind, JouloSimulator, SimulatorServer

from .common import (
    advance_time,
    state_of,
    submit_form,
    time_out_the_next_chargers_read,
)

UNKNOWN_TOKEN = "joulo_thistokenisnotknownbyjoulo000000"
"""A token of the right shape that no account has."""
JOULO_API_URL = "https://api.joulo.nl/functions/v1/api"
"""The URL field's default: Joulo's own API."""
ADVANCED = "advanced"
"""The key of the collapsed section that holds the API URL."""


@pytest.fixture
async def second_server(simulator: JouloSimulator) -> AsyncIterator[SimulatorServer]:
    """The same simulator served on another port: another API URL to reconfigure to."""
    async with SimulatorServer(simulator) as server:
        yield server


@pytest.fixture
def joulo_at_the_simulator(
    simulator_server: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> SimulatorServer:
    """Stand in for api.joulo.nl: the default URL of the flow's check and of the entry is the simulator."""
    monkeypatch.setattr(config_flow, "DEFAULT_BASE_URL", simulator_server.base_url)
    monkeypatch.setattr("custom_components.joulo.DEFAULT_BASE_URL", simulator_server.base_url)
    return simulator_server


def _schema(result: ConfigFlowResult) -> vol.Schema:
    """The schema of the form a flow shows."""
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    return schema


def _fields(schema: vol.Schema) -> dict[str, Any]:
    """A schema's fields (markers) by name, in form order."""
    return {str(marker): marker for marker in schema.schema}


def _input_type(schema: vol.Schema, name: str) -> str:
    """The kind of text input (`password`, `url`, ...) of a field of `schema`."""
    kind: str = schema.schema[_fields(schema)[name]].config["type"]
    return kind


def _advanced_section(result: ConfigFlowResult) -> section:
    """The form's "Advanced options" section."""
    schema = _schema(result)
    advanced = schema.schema[_fields(schema)[ADVANCED]]
    assert isinstance(advanced, section)
    return advanced


def _url_field(result: ConfigFlowResult) -> Any:
    """The API URL field (its marker) inside the form's "Advanced options" section."""
    return _fields(_advanced_section(result).schema)[CONF_URL]


def _shown_url(result: ConfigFlowResult) -> str:
    """The URL the form shows in its URL field: the suggested value, else the default."""
    field = _url_field(result)
    shown: str = (field.description or {}).get("suggested_value") or field.default()
    return shown


def _answer(token: str, url: str) -> dict[str, Any]:
    """What the user and reconfigure forms send: the token, and the URL inside its section."""
    return {CONF_API_TOKEN: token, ADVANCED: {CONF_URL: url}}


async def _start_user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the `user` step, as the "Add integration" dialog does."""
    return await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})


async def _add_account(hass: HomeAssistant, token: str, url: str) -> ConfigFlowResult:
    """Answer a new `user` step with `token` and `url`, as a user adding the integration does."""
    result = await _start_user_flow(hass)
    return await submit_form(hass, result["flow_id"], _answer(token, url))


def _entry(result: ConfigFlowResult) -> ConfigEntry[Any]:
    """The entry a flow created."""
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry: ConfigEntry[Any] = result["result"]
    return entry


def _entities_and_devices(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """The entry's entities (entity id → unique id) and devices (id → identifiers)."""
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return {
        "entities": {entity.entity_id: entity.unique_id for entity in entities},
        "devices": {device.id: device.identifiers for device in devices},
    }


class Rotated(NamedTuple):
    """A set-up entry whose account's token was replaced: the old one is refused from now on."""

    entry: MockConfigEntry
    before: dict[str, Any]
    """Its entities and devices before the new token."""
    new_token: str


@pytest.fixture
def rotated(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> Rotated:
    """The set-up entry, its entities and devices, and its account's new token."""
    before = _entities_and_devices(hass, init_integration)
    return Rotated(init_integration, before, simulator.rotate_token(DEMO_TOKEN))


def _assert_new_token_taken(
    hass: HomeAssistant, result: ConfigFlowResult, reason: str, rotated: Rotated, url: str
) -> None:
    """The flow ended with `reason`; the entry holds the new token and `url`, is loaded and works.

    It kept its entities and devices, and no second entry was made.
    """
    entry, before, new_token = rotated
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert entry.data == {CONF_API_TOKEN: new_token, CONF_URL: url}
    assert entry.state is ConfigEntryState.LOADED
    assert _entities_and_devices(hass, entry) == before
    assert state_of(hass, "sensor.garage_status") == "online"
    assert hass.config_entries.async_entries(DOMAIN) == [entry]


async def _finish_reauth(
    hass: HomeAssistant, entry: MockConfigEntry, token: str, result: ConfigFlowResult | None = None
) -> None:
    """Send `token` on the entry's reauth form (a new one, or `result`'s) and see the entry take it."""
    if result is None:
        result = await entry.start_reauth_flow(hass)
    result = await submit_form(hass, result["flow_id"], {CONF_API_TOKEN: token})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_TOKEN] == token


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# The forms


async def test_user_form_has_the_token_and_a_collapsed_url_section(hass: HomeAssistant) -> None:
    """The token field, then a collapsed "Advanced options" section with the API URL.

    The flow is opened without advanced mode: the section is there on every version and for every user.
    """
    result = await _start_user_flow(hass)

    assert result["step_id"] == "user"
    assert result["errors"] == {}
    schema = _schema(result)
    assert list(_fields(schema)) == [CONF_API_TOKEN, ADVANCED]
    assert isinstance(_fields(schema)[CONF_API_TOKEN], vol.Required)
    assert _input_type(schema, CONF_API_TOKEN) == "password"
    advanced = _advanced_section(result)
    assert advanced.options["collapsed"] is True
    assert list(_fields(advanced.schema)) == [CONF_URL]
    assert isinstance(_url_field(result), vol.Required)
    assert _url_field(result).default() == JOULO_API_URL
    assert _input_type(advanced.schema, CONF_URL) == "url"


@pytest.mark.parametrize("language", ["en", "nl"])
async def test_the_url_section_is_translated(hass: HomeAssistant, language: str) -> None:
    """The section has a name, and its URL field a label and a description, in both forms' steps."""
    translations = await async_get_translations(hass, language, "config", [DOMAIN])

    for step in ("user", "reconfigure"):
        prefix = f"component.{DOMAIN}.config.step.{step}.sections.{ADVANCED}"
        name = translations[f"{prefix}.name"]
        assert name == {"en": "Advanced options", "nl": "Geavanceerde opties"}[language]
        assert (
            translations[f"{prefix}.data.{CONF_URL}"]
            == {"en": "API URL", "nl": "API-URL"}[language]
        )
        assert translations[f"{prefix}.data_description.{CONF_URL}"]


async def test_flows_do_not_use_the_retired_advanced_mode(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No flow step reads `show_advanced_options`, which newer versions log as deprecated."""
    other = simulator.add_account()
    result = await _add_account(hass, UNKNOWN_TOKEN, simulator_server.base_url)
    result = await submit_form(
        hass, result["flow_id"], _answer(other.token, simulator_server.base_url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    result = await init_integration.start_reconfigure_flow(hass)
    result = await submit_form(hass, result["flow_id"], _answer(DEMO_TOKEN, _shown_url(result)))
    assert result["reason"] == "reconfigure_successful"

    messages = [record.getMessage() for record in caplog.records]
    assert messages  # the log was captured
    assert not [message for message in messages if "show_advanced_options" in message]


# The user step


async def test_user_creates_an_entry_for_the_account(
    hass: HomeAssistant, simulator: JouloSimulator, simulator_server: SimulatorServer
) -> None:
    """A good token makes an entry named after the account, which uses the URL of the section."""
    result = await _add_account(hass, DEMO_TOKEN, simulator_server.base_url)

    account = simulator.default_account
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Joulo ({account.name})"
    assert result["data"] == {CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: simulator_server.base_url}
    entry = _entry(result)
    assert entry.unique_id == account.id
    assert entry.state is ConfigEntryState.LOADED
    # The entry polls the simulator (where the token works), not Joulo's own API.
    assert state_of(hass, "sensor.garage_status") == "online"
    assert simulator.request_count("/chargers") == 2  # the flow's check and the first poll


@pytest.mark.parametrize(
    "section_input",
    [
        pytest.param("shown", id="as shown"),
        pytest.param("empty", id="empty"),
    ],
)
async def test_user_with_the_section_left_closed_stores_the_default_url(
    hass: HomeAssistant, joulo_at_the_simulator: SimulatorServer, section_input: str
) -> None:
    """A section left closed sends its default URL (or nothing, which the default fills in)."""
    simulator_server = joulo_at_the_simulator
    result = await _start_user_flow(hass)
    assert _shown_url(result) == simulator_server.base_url

    user_input = (
        _answer(DEMO_TOKEN, _shown_url(result))
        if section_input == "shown"
        else {CONF_API_TOKEN: DEMO_TOKEN, ADVANCED: {}}
    )
    result = await submit_form(hass, result["flow_id"], user_input)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: simulator_server.base_url}
    assert _entry(result).state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    "pasted",
    [
        f"  Bearer {DEMO_TOKEN} \n",
        f"bearer {DEMO_TOKEN}",
        f"\t{DEMO_TOKEN}  ",
        f"BEARER  {DEMO_TOKEN}",
    ],
)
async def test_user_strips_whitespace_and_a_bearer_prefix(
    hass: HomeAssistant, simulator_server: SimulatorServer, pasted: str
) -> None:
    """A token pasted with whitespace or a `Bearer ` prefix is stored clean, the URL without its `/`."""
    result = await _start_user_flow(hass)
    result = await submit_form(
        hass, result["flow_id"], _answer(pasted, f" {simulator_server.base_url}/ ")
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: simulator_server.base_url}


@pytest.mark.parametrize(
    ("token", "fault", "error"),
    [
        pytest.param(UNKNOWN_TOKEN, None, "invalid_auth", id="unknown token"),
        pytest.param(DEMO_TOKEN, {"status": 401}, "invalid_auth", id="401"),
        pytest.param(DEMO_TOKEN, {"status": 403}, "invalid_auth", id="403"),
        pytest.param(DEMO_TOKEN, {"status": 500}, "cannot_connect", id="500"),
        pytest.param(DEMO_TOKEN, {"status": 503}, "cannot_connect", id="503"),
        pytest.param(DEMO_TOKEN, {"status": 429}, "cannot_connect", id="429"),
        pytest.param(
            DEMO_TOKEN, {"status": 429, "retry_after": "3600"}, "cannot_connect", id="429 1h"
        ),
        pytest.param(DEMO_TOKEN, {"status": 404}, "unknown", id="404"),
        pytest.param(
            DEMO_TOKEN, {"kind": FaultKind.MALFORMED_JSON}, "unknown", id="malformed JSON"
        ),
        pytest.param(DEMO_TOKEN, {"kind": FaultKind.WRONG_SHAPE}, "unknown", id="wrong shape"),
    ],
)
async def test_user_error_then_recovery(
    *,
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    token: str,
    fault: dict[str, Any] | None,
    error: str,
) -> None:
    """A refused or failed check shows the error on the form, and the same flow then succeeds."""
    if fault is not None:
        simulator.faults.inject(
            fault.pop("kind", FaultKind.HTTP_ERROR), endpoint="/chargers", **fault
        )
    result = await _add_account(hass, token, simulator_server.base_url)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await submit_form(
        hass, result["flow_id"], _answer(DEMO_TOKEN, simulator_server.base_url)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _entry(result).unique_id == simulator.default_account.id


async def test_user_unknown_error_is_logged(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An answer that cannot be read is logged with its cause, for the `unknown` error's "see the logs"."""
    simulator.faults.inject(FaultKind.MALFORMED_JSON, endpoint="/chargers")
    result = await _add_account(hass, DEMO_TOKEN, simulator_server.base_url)

    assert result["errors"] == {"base": "unknown"}
    [record] = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name == "custom_components.joulo"
    ]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Unexpected answer from the Joulo API while checking the token"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "The Joulo API answered /chargers with malformed JSON"


async def test_user_timeout_is_cannot_connect(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An API that does not answer within the client's timeout gives `cannot_connect`, then recovers."""
    time_out_the_next_chargers_read(monkeypatch, config_flow, simulator)
    result = await _add_account(hass, DEMO_TOKEN, simulator_server.base_url)

    assert result["errors"] == {"base": "cannot_connect"}
    assert simulator.faults.active == []  # the hang was used, so the check did reach the API

    result = await submit_form(
        hass, result["flow_id"], _answer(DEMO_TOKEN, simulator_server.base_url)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_unreachable_url_is_cannot_connect(
    hass: HomeAssistant, socket_enabled: None, simulator_server: SimulatorServer
) -> None:
    """A URL where nothing listens gives `cannot_connect`; the right URL then works."""
    result = await _start_user_flow(hass)

    unreachable = f"http://127.0.0.1:{_free_port()}/functions/v1/api"
    result = await submit_form(hass, result["flow_id"], _answer(DEMO_TOKEN, unreachable))

    assert result["errors"] == {"base": "cannot_connect"}
    # The section keeps the URL that was typed, to be corrected.
    assert _url_field(result).description == {"suggested_value": unreachable}
    assert _shown_url(result) == unreachable

    result = await submit_form(
        hass, result["flow_id"], _answer(DEMO_TOKEN, simulator_server.base_url)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == simulator_server.base_url


INSECURE_URL = "http://joulo.example.com/functions/v1/api"
"""An API URL over plain http to another machine: the token would cross the network unencrypted."""
SECURE_URL = "https://joulo.example.com/functions/v1/api"
"""The same API over https."""


def _mock_both_urls(aioclient_mock: AiohttpClientMocker) -> None:
    """Let the URL over http accept the token, and have the one over https refuse it.

    A check sent over http would succeed, so only refusing the URL before asking shows the error;
    the refusal over https shows the check was sent there.
    """
    aioclient_mock.get(f"{INSECURE_URL}/chargers", json={"chargers": []})
    aioclient_mock.get(f"{SECURE_URL}/chargers", status=401)


def _assert_only_asked_over_https(aioclient_mock: AiohttpClientMocker) -> None:
    """One check was sent, with the token, and it went over https."""
    [(method, url, _, headers)] = aioclient_mock.mock_calls
    assert (method, str(url)) == ("GET", f"{SECURE_URL}/chargers")
    assert headers["Authorization"] == f"Bearer {DEMO_TOKEN}"


async def test_user_insecure_url_is_refused_before_any_request(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Plain http to another machine is refused with `insecure_url`, and nothing is sent; https is asked.

    The section keeps the URL that was typed, to be corrected.
    """
    _mock_both_urls(aioclient_mock)
    result = await _add_account(hass, DEMO_TOKEN, INSECURE_URL)

    assert result["errors"] == {"base": "insecure_url"}
    assert _shown_url(result) == INSECURE_URL
    assert aioclient_mock.call_count == 0

    result = await submit_form(hass, result["flow_id"], _answer(DEMO_TOKEN, SECURE_URL))

    assert result["errors"] == {"base": "invalid_auth"}
    _assert_only_asked_over_https(aioclient_mock)
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_reconfigure_insecure_url_is_refused_before_any_request(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, mock_config_entry: MockConfigEntry
) -> None:
    """Reconfiguring to plain http on another machine is refused, nothing is sent, nothing changes."""
    _mock_both_urls(aioclient_mock)
    mock_config_entry.add_to_hass(hass)
    data = dict(mock_config_entry.data)
    result = await mock_config_entry.start_reconfigure_flow(hass)

    result = await submit_form(hass, result["flow_id"], _answer(DEMO_TOKEN, INSECURE_URL))

    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "insecure_url"}
    assert aioclient_mock.call_count == 0

    result = await submit_form(hass, result["flow_id"], _answer(DEMO_TOKEN, SECURE_URL))

    assert result["errors"] == {"base": "invalid_auth"}
    _assert_only_asked_over_https(aioclient_mock)
    assert mock_config_entry.data == data


@pytest.mark.parametrize("language", ["en", "nl"])
async def test_insecure_url_error_is_translated(hass: HomeAssistant, language: str) -> None:
    """The `insecure_url` error says, in English and Dutch, that https is needed."""
    translations = await async_get_translations(hass, language, "config", [DOMAIN])
    message = translations[f"component.{DOMAIN}.config.error.insecure_url"]
    assert "https" in message
    assert ("Use an https URL" if language == "en" else "Gebruik een https-URL") in message


async def test_user_same_account_and_token_aborts_and_changes_nothing(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """The same account with the same token cannot be added twice; the entry is left as it is."""
    entry = init_integration
    data = dict(entry.data)
    simulator.clear_requests()

    result = await _add_account(hass, DEMO_TOKEN, simulator_server.base_url)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == data
    assert hass.config_entries.async_entries(DOMAIN) == [entry]
    # Only the flow's check: nothing changed, so the entry was not reloaded.
    assert {request.endpoint for request in simulator.requests} == {"/chargers", "/me"}
    assert simulator.request_count("/chargers") == 1


async def test_user_new_token_of_a_configured_account_updates_its_entry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    rotated: Rotated,
) -> None:
    """Adding a configured account again with a rotated token aborts, but the entry takes the token.

    The old token is refused from the rotation on; the entry reloads with the new one and keeps its
    entities, which go on working without asking for re-authentication.
    """
    entry, before, new_token = rotated
    simulator.clear_requests()

    result = await _add_account(hass, f"Bearer {new_token}", simulator_server.base_url)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_API_TOKEN: new_token, CONF_URL: simulator_server.base_url}
    assert entry.state is ConfigEntryState.LOADED
    assert hass.config_entries.async_entries(DOMAIN) == [entry]
    # Reloaded: the flow's check and the setup's first poll.
    assert simulator.request_count("/chargers") == 2

    await advance_time(hass, freezer, timedelta(minutes=3), step=timedelta(seconds=60))

    assert simulator.request_count("/chargers") == 5
    assert all(request.status == 200 for request in simulator.requests)
    assert not list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert state_of(hass, "sensor.garage_status") == "online"
    assert state_of(hass, "sensor.joulo_total_energy") != STATE_UNAVAILABLE
    assert _entities_and_devices(hass, entry) == before


async def test_user_new_token_of_an_entry_not_loaded_is_stored(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An entry that is not set up takes the new token (and URL) too, for when it is."""
    mock_config_entry.add_to_hass(hass)
    new_token = simulator.rotate_token(DEMO_TOKEN)

    result = await _add_account(hass, new_token, simulator_server.base_url)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data == {
        CONF_API_TOKEN: new_token,
        CONF_URL: simulator_server.base_url,
    }
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.config_entries.async_entries(DOMAIN) == [mock_config_entry]


async def test_user_another_account_is_added(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A second account gets an entry of its own."""
    mock_config_entry.add_to_hass(hass)
    other = simulator.add_account()

    result = await _add_account(hass, other.token, simulator_server.base_url)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Joulo ({other.name})"
    assert _entry(result).unique_id == other.id
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2
    assert mock_config_entry.data[CONF_API_TOKEN] == DEMO_TOKEN


async def test_user_without_me_identifies_the_entry_by_token(
    hass: HomeAssistant, simulator: JouloSimulator, simulator_server: SimulatorServer
) -> None:
    """Without `/me` the entry has no unique id and a plain title, and its token cannot be added again."""
    simulator.default_account.me_available = False

    result = await _add_account(hass, DEMO_TOKEN, simulator_server.base_url)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Joulo"
    assert _entry(result).unique_id is None
    assert _entry(result).state is ConfigEntryState.LOADED

    result = await _add_account(hass, f" Bearer {DEMO_TOKEN}", simulator_server.base_url)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize("status", [403, 500, 503])
async def test_user_failing_me_does_not_block_setup(
    hass: HomeAssistant, simulator: JouloSimulator, simulator_server: SimulatorServer, status: int
) -> None:
    """A `/me` that fails while `/chargers` accepts the token still makes a working entry."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/me", status=status)

    result = await _add_account(hass, DEMO_TOKEN, simulator_server.base_url)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Joulo"
    assert _entry(result).unique_id is None
    assert _entry(result).state is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.joulo_total_energy") != STATE_UNAVAILABLE


# Reauth


async def test_reauth_with_a_new_token_of_the_account(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    rotated: Rotated,
) -> None:
    """A new token of the same account replaces the old one; the entry reloads and keeps its entities."""
    entry, _, new_token = rotated

    result = await entry.start_reauth_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": entry.title}
    schema = _schema(result)
    assert list(_fields(schema)) == [CONF_API_TOKEN]
    assert _input_type(schema, CONF_API_TOKEN) == "password"

    simulator.clear_requests()
    result = await submit_form(hass, result["flow_id"], {CONF_API_TOKEN: f"Bearer {new_token}\n"})

    _assert_new_token_taken(hass, result, "reauth_successful", rotated, simulator_server.base_url)
    # Reloaded: the check's request and the setup's first poll, both with the new token.
    assert simulator.request_count("/chargers") == 2
    assert all(request.status == 200 for request in simulator.requests)


@pytest.mark.parametrize("flow", ["reauth", "reconfigure"])
async def test_a_token_of_another_account_aborts(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry, flow: str
) -> None:
    """Reauth and reconfigure refuse a token of another account with `wrong_account`.

    The entry is left as it was, and loaded.
    """
    entry = init_integration
    data = dict(entry.data)
    other = simulator.add_account()

    if flow == "reauth":
        result = await entry.start_reauth_flow(hass)
        answer: dict[str, Any] = {CONF_API_TOKEN: other.token}
    else:
        result = await entry.start_reconfigure_flow(hass)
        answer = _answer(other.token, _shown_url(result))
    result = await submit_form(hass, result["flow_id"], answer)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data == data
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_error_then_recovery(
    hass: HomeAssistant, simulator: JouloSimulator, rotated: Rotated
) -> None:
    """A refused token shows `invalid_auth` on the reauth form; a good one then finishes it."""
    entry, _, new_token = rotated

    result = await entry.start_reauth_flow(hass)
    result = await submit_form(hass, result["flow_id"], {CONF_API_TOKEN: UNKNOWN_TOKEN})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth"}

    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers", status=503)
    result = await submit_form(hass, result["flow_id"], {CONF_API_TOKEN: new_token})

    assert result["errors"] == {"base": "cannot_connect"}
    await _finish_reauth(hass, entry, new_token, result)


async def test_reauth_with_the_same_token_starts_the_polls_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A token refused once stops the polls; confirmed unchanged in the reauth, it polls again.

    The entry's data does not change, so it is reloaded by the flow itself.
    """
    entry = init_integration
    before = entry.runtime_data
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/chargers", status=401)
    await advance_time(hass, freezer, timedelta(minutes=1), step=timedelta(minutes=1))
    (flow,) = entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    simulator.clear_requests()
    await advance_time(hass, freezer, timedelta(minutes=3), step=timedelta(minutes=1))
    assert simulator.request_count("/chargers") == 0

    result = await submit_form(hass, flow["flow_id"], {CONF_API_TOKEN: DEMO_TOKEN})

    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_TOKEN] == DEMO_TOKEN
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before
    simulator.clear_requests()
    await advance_time(hass, freezer, timedelta(minutes=3), step=timedelta(minutes=1))
    assert simulator.request_count("/chargers") == 3


async def test_reauth_without_me_takes_the_working_token(
    hass: HomeAssistant, simulator: JouloSimulator, rotated: Rotated
) -> None:
    """When `/me` cannot tell the account, a token that works is taken."""
    entry, _, new_token = rotated
    simulator.default_account.me_available = False
    await _finish_reauth(hass, entry, new_token)


async def test_reauth_of_an_entry_without_unique_id(
    hass: HomeAssistant, simulator: JouloSimulator, simulator_server: SimulatorServer
) -> None:
    """An entry made without `/me` has no account to compare, so any working token is taken."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Joulo",
        data={CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: simulator_server.base_url},
    )
    entry.add_to_hass(hass)
    await _finish_reauth(hass, entry, simulator.rotate_token(DEMO_TOKEN))


# Reconfigure


async def test_reconfigure_the_token(
    hass: HomeAssistant,
    simulator_server: SimulatorServer,
    rotated: Rotated,
) -> None:
    """A new token of the account replaces the old one in place; the URL, entities and devices stay."""
    result = await rotated.entry.start_reconfigure_flow(hass)

    assert result["step_id"] == "reconfigure"
    schema = _schema(result)
    assert list(_fields(schema)) == [CONF_API_TOKEN, ADVANCED]
    assert _input_type(schema, CONF_API_TOKEN) == "password"
    assert _advanced_section(result).options["collapsed"] is True
    assert list(_fields(_advanced_section(result).schema)) == [CONF_URL]
    # The section shows the URL the entry uses now, not Joulo's default.
    assert _url_field(result).description == {"suggested_value": simulator_server.base_url}
    assert _url_field(result).default() == simulator_server.base_url

    answer = _answer(f"  {rotated.new_token} ", _shown_url(result))
    result = await submit_form(hass, result["flow_id"], answer)

    _assert_new_token_taken(
        hass, result, "reconfigure_successful", rotated, simulator_server.base_url
    )


async def test_reconfigure_the_url(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    second_server: SimulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """A URL changed in the section is stored; the entry then talks to the new URL only."""
    entry = init_integration
    before = _entities_and_devices(hass, entry)

    result = await entry.start_reconfigure_flow(hass)

    assert _shown_url(result) == simulator_server.base_url

    result = await submit_form(
        hass, result["flow_id"], _answer(DEMO_TOKEN, f"{second_server.base_url}/")
    )

    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_API_TOKEN: DEMO_TOKEN, CONF_URL: second_server.base_url}
    assert entry.state is ConfigEntryState.LOADED
    assert _entities_and_devices(hass, entry) == before

    # The old URL is gone; a reload still works, through the new one.
    await simulator_server.stop()
    simulator.clear_requests()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.garage_status") == "online"
    assert simulator.request_count("/chargers") == 1

    # A next reconfigure form shows the new URL.
    result = await entry.start_reconfigure_flow(hass)
    assert _shown_url(result) == second_server.base_url


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        pytest.param({"status": 401}, "invalid_auth", id="401"),
        pytest.param({"status": 500}, "cannot_connect", id="500"),
        pytest.param({"kind": FaultKind.MALFORMED_JSON}, "unknown", id="malformed JSON"),
    ],
)
async def test_reconfigure_error_then_recovery(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    fault: dict[str, Any],
    error: str,
) -> None:
    """A failed check shows the error on the reconfigure form; the same flow then succeeds."""
    entry = init_integration
    simulator.faults.inject(fault.pop("kind", FaultKind.HTTP_ERROR), endpoint="/chargers", **fault)

    result = await entry.start_reconfigure_flow(hass)
    url = _shown_url(result)
    result = await submit_form(hass, result["flow_id"], _answer(DEMO_TOKEN, url))

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": error}
    assert _shown_url(result) == url

    result = await submit_form(hass, result["flow_id"], _answer(DEMO_TOKEN, url))

    assert result["reason"] == "reconfigure_successful"


# The documented answer: the token alone


@pytest.mark.parametrize(
    "user_input",
    [
        pytest.param({CONF_API_TOKEN: DEMO_TOKEN}, id="token"),
        pytest.param({CONF_API_TOKEN: f"Bearer {DEMO_TOKEN}"}, id="bearer token"),
        pytest.param(_answer(DEMO_TOKEN, "  "), id="blank url"),
    ],
)
@pytest.mark.usefixtures("joulo_at_the_simulator")
async def test_user_without_a_url_stores_none_and_uses_the_default(
    hass: HomeAssistant, user_input: dict[str, Any]
) -> None:
    """The token alone (as scripts send it) or a URL emptied to blanks stores no URL.

    The entry then follows Joulo's default URL.
    """
    result = await _start_user_flow(hass)

    result = await submit_form(hass, result["flow_id"], user_input)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_API_TOKEN: DEMO_TOKEN}
    assert _entry(result).state is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.garage_status") == "online"


@pytest.mark.usefixtures("joulo_at_the_simulator")
async def test_user_with_only_the_token_over_the_rest_api(
    hass: HomeAssistant, hass_client: Any, simulator: JouloSimulator
) -> None:
    """Home Assistant's REST config-flow API takes the one documented field, as the docs show it."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()

    started = await client.post("/api/config/config_entries/flow", json={"handler": DOMAIN})
    assert started.status == 200
    flow_id = (await started.json())["flow_id"]
    answered = await client.post(
        f"/api/config/config_entries/flow/{flow_id}", json={CONF_API_TOKEN: DEMO_TOKEN}
    )
    await hass.async_block_till_done()

    assert answered.status == 200
    body = await answered.json()
    assert body["type"] == "create_entry"
    assert body["title"] == f"Joulo ({simulator.account().name})"
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.data == {CONF_API_TOKEN: DEMO_TOKEN}


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda token: {CONF_API_TOKEN: f"Bearer {token}"}, id="token only"),
        pytest.param(lambda token: {CONF_API_TOKEN: token, ADVANCED: {}}, id="section empty"),
    ],
)
async def test_reconfigure_without_a_url_keeps_the_url(
    hass: HomeAssistant,
    simulator_server: SimulatorServer,
    rotated: Rotated,
    answer: Callable[[str], dict[str, Any]],
) -> None:
    """A reconfigure answer without a URL changes the token and keeps the entry's URL.

    That is the section's default, or the token alone as scripts send it.
    """
    entry, _, new_token = rotated

    result = await entry.start_reconfigure_flow(hass)
    result = await submit_form(hass, result["flow_id"], answer(new_token))

    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_API_TOKEN: new_token, CONF_URL: simulator_server.base_url}
    assert entry.state is ConfigEntryState.LOADED
