"""The `joulo.get_sessions` action: results, filters and its translated errors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import DOMAIN
from joulo_simulator import GARAGE_ID, FaultKind, JouloSimulator, SimSession, SimulatorServer
from tests.integration.common import device_id_of, set_up_entry

API_FIELDS = {
    "id",
    "charger_id",
    "charger_nickname",
    "started_at",
    "ended_at",
    "kwh",
    "status",
    "ere_credits",
    "id_tag",
}


async def get_sessions(hass: HomeAssistant, **data: Any) -> list[dict[str, Any]]:
    """Call the action and return the sessions of its response."""
    response = await hass.services.async_call(
        DOMAIN, "get_sessions", data, blocking=True, return_response=True
    )
    assert response is not None
    assert list(response) == ["sessions"]
    sessions = response["sessions"]
    assert isinstance(sessions, list)
    return cast("list[dict[str, Any]]", sessions)


def api_timestamp(moment: datetime) -> str:
    """A moment as the API writes it."""
    return dt_util.as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def newest_first(sessions: list[SimSession]) -> list[SimSession]:
    """Sessions in the API's order."""
    return sorted(sessions, key=lambda session: (session.started_at, session.id), reverse=True)


async def test_registered_without_any_entry(hass: HomeAssistant) -> None:
    """The action is there as soon as the integration is, before any account is set up."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert hass.services.has_service(DOMAIN, "get_sessions")

    with pytest.raises(ServiceValidationError) as caught:
        await get_sessions(hass, config_entry_id="01JNOSUCHENTRY")
    assert caught.value.translation_key == "entry_not_found"


async def test_returns_newest_sessions_in_api_field_names(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """Without filters: the 20 newest sessions of the account, newest first, as the API has them."""
    simulator.clear_requests()
    sessions = await get_sessions(hass, config_entry_id=init_integration.entry_id)

    assert [request.query for request in simulator.requests] == [{"limit": "20"}]
    expected = newest_first(simulator.account().sessions)[:20]
    assert [session["id"] for session in sessions] == [session.id for session in expected]
    for returned, session in zip(sessions, expected, strict=True):
        assert set(returned) == API_FIELDS
        assert session.ended_at is not None
        assert returned == {
            "id": session.id,
            "charger_id": session.charger_id,
            "charger_nickname": session.charger_nickname,
            "started_at": api_timestamp(session.started_at),
            "ended_at": api_timestamp(session.ended_at),
            "kwh": session.kwh,
            "status": "completed",
            "ere_credits": session.ere_credits,
            "id_tag": session.id_tag,
        }


async def test_running_session_has_no_end(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A running session is listed first, charging, without an end."""
    session = simulator.start_session(GARAGE_ID)

    sessions = await get_sessions(hass, config_entry_id=init_integration.entry_id, limit=1)

    assert sessions == [
        {
            "id": session.id,
            "charger_id": GARAGE_ID,
            "charger_nickname": "Garage",
            "started_at": api_timestamp(session.started_at),
            "ended_at": None,
            "kwh": 0.0,
            "status": "charging",
            "ere_credits": None,
            "id_tag": None,
        }
    ]


async def test_filters_by_charger_and_period(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A charger device and a period (local time without a zone) narrow the sessions down."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    now = dt_util.now()
    start = (now - timedelta(days=60)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=30)
    simulator.clear_requests()

    sessions = await get_sessions(
        hass,
        config_entry_id=init_integration.entry_id,
        charger=device_id_of(hass, init_integration, GARAGE_ID),
        **{"from": start.replace(tzinfo=None).isoformat(), "to": end.isoformat()},
        limit=100,
    )

    assert [request.query for request in simulator.requests] == [
        {
            "charger_id": GARAGE_ID,
            "from": api_timestamp(start),
            "to": api_timestamp(end),
            "limit": "100",
        }
    ]
    expected = newest_first(
        [
            session
            for session in simulator.account().sessions
            if session.charger_id == GARAGE_ID and start <= session.started_at < end
        ]
    )
    assert len(expected) >= 5
    assert [session["id"] for session in sessions] == [session.id for session in expected]
    assert {session["charger_nickname"] for session in sessions} == {"Garage"}


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_bounds_are_accepted(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry, limit: int
) -> None:
    """1 and 100 are the smallest and the largest limit."""
    assert len(simulator.account().sessions) > 100
    sessions = await get_sessions(hass, config_entry_id=init_integration.entry_id, limit=limit)
    assert len(sessions) == limit


@pytest.mark.parametrize("limit", [0, 101])
async def test_limit_out_of_bounds_is_refused(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry, limit: int
) -> None:
    """A limit outside 1 to 100 is refused with a translated message; nothing is asked."""
    simulator.clear_requests()
    with pytest.raises(ServiceValidationError) as caught:
        await get_sessions(hass, config_entry_id=init_integration.entry_id, limit=limit)

    assert caught.value.translation_key == "invalid_limit"
    assert str(caught.value) == f"The limit must be between 1 and 100; {limit} was given"
    assert simulator.requests == []


async def test_unknown_entry_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An entry id that is not a Joulo entry is refused."""
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    for entry_id in ("01JNOSUCHENTRY", other.entry_id):
        with pytest.raises(ServiceValidationError) as caught:
            await get_sessions(hass, config_entry_id=entry_id)
        assert caught.value.translation_key == "entry_not_found"
        assert caught.value.translation_placeholders == {"entry_id": entry_id}
        assert str(caught.value) == f"No Joulo config entry with id {entry_id} exists"


async def test_unloaded_entry_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An entry that is not loaded cannot be read from."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    with pytest.raises(ServiceValidationError) as caught:
        await get_sessions(hass, config_entry_id=init_integration.entry_id)

    assert caught.value.translation_key == "entry_not_loaded"
    assert str(caught.value) == (
        f"The Joulo config entry {init_integration.entry_id} is not loaded"
    )


async def test_device_that_is_not_a_charger_is_refused(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """The account's own device, another integration's device or an unknown id: no charger."""
    registry = dr.async_get(hass)
    account = registry.async_get(device_id_of(hass, init_integration, simulator.account().id))
    assert account is not None
    assert account.name == "Joulo"
    other_entry = MockConfigEntry(domain="demo")
    other_entry.add_to_hass(hass)
    other = registry.async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("demo", GARAGE_ID)}
    )
    simulator.clear_requests()

    for device_id in (account.id, other.id, "0123456789abcdef0123456789abcdef"):
        with pytest.raises(ServiceValidationError) as caught:
            await get_sessions(hass, config_entry_id=init_integration.entry_id, charger=device_id)
        assert caught.value.translation_key == "device_not_found"
        assert str(caught.value) == (
            f"The device {device_id} is not a charger of this Joulo account"
        )
    assert simulator.requests == []


async def test_charger_of_another_account_is_refused(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    simulator_server: SimulatorServer,
    init_integration: MockConfigEntry,
) -> None:
    """With two Joulo accounts, a charger of one is not a charger of the other."""
    account = simulator.add_account()
    second = MockConfigEntry(
        domain=DOMAIN,
        unique_id=account.id,
        data={CONF_API_TOKEN: account.token, CONF_URL: simulator_server.base_url},
    )
    await set_up_entry(hass, second)
    simulator.clear_requests()

    with pytest.raises(ServiceValidationError) as caught:
        await get_sessions(
            hass,
            config_entry_id=second.entry_id,
            charger=device_id_of(hass, init_integration, GARAGE_ID),
        )
    assert caught.value.translation_key == "device_not_found"
    assert simulator.requests == []

    own_charger = device_id_of(hass, second, next(iter(account.chargers)))
    sessions = await get_sessions(hass, config_entry_id=second.entry_id, charger=own_charger)
    assert sessions
    assert {session["charger_id"] for session in sessions} == {next(iter(account.chargers))}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-04-02T00:00:00+00:00", "2026-04-01T00:00:00+00:00"),
        ("2026-04-01T02:00:00+02:00", "2026-04-01T00:00:00+00:00"),
    ],
)
async def test_period_must_start_before_it_ends(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    start: str,
    end: str,
) -> None:
    """A period that ends before (or when) it starts is refused."""
    simulator.clear_requests()
    with pytest.raises(ServiceValidationError) as caught:
        await get_sessions(
            hass, config_entry_id=init_integration.entry_id, **{"from": start, "to": end}
        )
    assert caught.value.translation_key == "invalid_period"
    assert simulator.requests == []


async def test_only_one_end_of_the_period(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """`from` alone asks for sessions since then; `to` alone for sessions before then."""
    since = (dt_util.utcnow() - timedelta(days=14)).replace(microsecond=0)
    simulator.clear_requests()

    recent = await get_sessions(
        hass, config_entry_id=init_integration.entry_id, **{"from": since.isoformat()}
    )
    older = await get_sessions(
        hass, config_entry_id=init_integration.entry_id, to=since.isoformat(), limit=3
    )

    assert [request.query for request in simulator.requests] == [
        {"from": api_timestamp(since), "limit": "20"},
        {"to": api_timestamp(since), "limit": "3"},
    ]
    assert recent
    assert all(session["started_at"] >= api_timestamp(since) for session in recent)
    assert len(older) == 3
    assert all(session["started_at"] < api_timestamp(since) for session in older)


async def test_api_failure_is_an_error(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """When Joulo fails to answer, the action fails with a translated error."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=503)

    with pytest.raises(HomeAssistantError) as caught:
        await get_sessions(hass, config_entry_id=init_integration.entry_id)

    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "api_error"
    assert str(caught.value) == (
        "The Joulo API could not answer: The Joulo API answered /sessions with HTTP 503"
    )
