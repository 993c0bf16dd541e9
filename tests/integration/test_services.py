"""The Joulo actions against the simulator: `joulo.get_sessions` and `joulo.get_energy_report`.

Results, filters, paging, the rate-limit gate and the translated errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import math
from pathlib import Path
import re
from typing import Any, cast
import uuid
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.joulo.const import DOMAIN
from custom_components.joulo.validation import vol
from joulo_simulator import (
    CAR_A_TAG,
    CAR_B_TAG,
    FaultKind,
    JouloSimulator,
    SimSession,
    SimulatorServer,
    ere_credits_for,
)
from joulo_simulator.account import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID
from tests.factories import SESSION_FIELDS
from tests.integration.common import (
    advance_time,
    device_id_of,
    net_euros,
    set_up_entry,
)

API_FIELDS = set(SESSION_FIELDS)
"""The fields of a session in the actions' answers: the API's own."""


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
            "counts_for_ere": session.mid_certified,
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
            "counts_for_ere": True,
            "id_tag": session.id_tag,
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


@pytest.mark.usefixtures("init_integration")
async def test_unknown_entry_is_refused(hass: HomeAssistant) -> None:
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


# joulo.get_energy_report

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NAMES = {GARAGE_ID: "Garage", DRIVEWAY_ID: "Oprit", CARPORT_ID: "Carport"}


async def get_energy_report(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call the report action and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "get_energy_report", data, blocking=True, return_response=True
    )
    assert response is not None
    assert set(response) == {"groups", "total", "running"}
    return dict(response)


def period(start: datetime, end: datetime) -> dict[str, str]:
    """The action's `from` and `to`."""
    return {"from": start.isoformat(), "to": end.isoformat()}


def completed_in(simulator: JouloSimulator, start: datetime, end: datetime) -> list[SimSession]:
    """The default account's completed sessions that started in the period."""
    return [
        session
        for session in simulator.account().sessions
        if start <= session.started_at < end and not session.is_active
    ]


def sums(sessions: list[SimSession]) -> dict[str, Any]:
    """What the report says of these sessions: their number and kWh, to the Wh.

    And of those that count for ERE (on a MID charger then): their kWh, ERE credits and net euros.
    """
    counted = [session for session in sessions if session.mid_certified]
    credits_ = round(math.fsum(session.ere_credits or 0.0 for session in counted), 3)
    return {
        "sessions": len(sessions),
        "kwh": round(math.fsum(session.kwh for session in sessions), 3),
        "ere_kwh": round(math.fsum(session.kwh for session in counted), 3),
        "ere_credits": credits_,
        "ere_value_eur": net_euros(credits_),
        "cost_eur": None,  # no price source in the options
        "net_cost_eur": None,
        "sessions_priced": 0,
    }


def grouped(
    sessions: list[SimSession], key: Callable[[SimSession], tuple[Any, ...]]
) -> dict[tuple[Any, ...], list[SimSession]]:
    """The sessions by `key`, keys sorted."""
    groups: dict[tuple[Any, ...], list[SimSession]] = {}
    for session in sessions:
        groups.setdefault(key(session), []).append(session)
    return dict(sorted(groups.items(), key=lambda item: [(v is None, v or "") for v in item[0]]))


def local_month(session: SimSession) -> str:
    """The month in Amsterdam in which the session started."""
    return session.started_at.astimezone(AMSTERDAM).strftime("%Y-%m")


def session_requests(simulator: JouloSimulator) -> list[dict[str, str]]:
    """The queries of the `/sessions` requests the simulator answered."""
    return [request.query for request in simulator.requests if request.endpoint == "/sessions"]


def add_session(
    simulator: JouloSimulator,
    charger_id: str,
    started_at: datetime,
    kwh: float,
    id_tag: str | None = None,
) -> SimSession:
    """Add a completed two-hour session to the default account's history."""
    session = SimSession(
        id=str(uuid.uuid4()),
        charger_id=charger_id,
        charger_nickname=NAMES[charger_id],
        started_at=started_at,
        mid_certified=charger_id != CARPORT_ID,
        ended_at=started_at + timedelta(hours=2),
        kwh=kwh,
        ere_credits=ere_credits_for(kwh),
        id_tag=id_tag,
    )
    simulator.account().sessions.append(session)
    return session


@pytest.mark.usefixtures("frozen_time")
async def test_report_of_a_year_by_month(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A year by month: the simulator's sessions to the Wh, read in pages of 100."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    start = datetime(2025, 4, 1, tzinfo=AMSTERDAM)
    end = datetime(2026, 4, 1, tzinfo=AMSTERDAM)
    expected = completed_in(simulator, start, end)
    assert len(expected) > 300
    simulator.clear_requests()

    report = await get_energy_report(
        hass,
        config_entry_id=init_integration.entry_id,
        **{"from": "2025-04-01T00:00:00", "to": "2026-04-01T00:00:00"},
    )

    by_month = grouped(expected, lambda session: (local_month(session),))
    assert len(by_month) == 12
    assert report["groups"] == [
        {"month": month} | sums(sessions) for (month,), sessions in by_month.items()
    ]
    assert report["total"] == sums(expected)
    assert report["running"] == 0
    pages = len(expected) // 100 + 1
    assert session_requests(simulator) == [
        {
            "from": api_timestamp(start),
            "to": api_timestamp(end),
            "limit": "100",
            "offset": str(100 * page),
        }
        for page in range(pages)
    ]
    assert simulator.request_count() == pages


@pytest.mark.usefixtures("frozen_time")
async def test_report_reads_one_page_more_when_the_last_is_full(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """Exactly 200 sessions in the period: two full pages and an empty one end the reading."""
    newest = sorted(simulator.account().sessions, key=lambda s: s.started_at, reverse=True)
    start = newest[199].started_at
    end = newest[0].started_at + timedelta(seconds=1)
    assert newest[200].started_at < start
    simulator.clear_requests()

    report = await get_energy_report(
        hass, config_entry_id=init_integration.entry_id, **period(start, end)
    )

    assert report["total"] == sums(completed_in(simulator, start, end))
    assert report["total"]["sessions"] + report["running"] == 200
    assert [query["offset"] for query in session_requests(simulator)] == ["0", "100", "200"]


@pytest.mark.usefixtures("frozen_time")
async def test_late_session_counts_in_the_month_it_started(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """23:30 on the last day of March (Amsterdam) is March; 00:15 on 1 April, still March in UTC, April."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    start = datetime(2026, 3, 31, tzinfo=AMSTERDAM)
    end = datetime(2026, 4, 2, tzinfo=AMSTERDAM)
    account = simulator.account()
    account.sessions[:] = [s for s in account.sessions if not start <= s.started_at < end]
    late = add_session(simulator, GARAGE_ID, datetime(2026, 3, 31, 23, 30, tzinfo=AMSTERDAM), 21.5)
    early = add_session(simulator, GARAGE_ID, datetime(2026, 4, 1, 0, 15, tzinfo=AMSTERDAM), 8.25)
    assert early.started_at.astimezone(UTC).month == 3

    report = await get_energy_report(
        hass, config_entry_id=init_integration.entry_id, **period(start, end)
    )

    assert report["groups"] == [
        {"month": "2026-03"} | sums([late]),
        {"month": "2026-04"} | sums([early]),
    ]


@pytest.mark.usefixtures("frozen_time")
async def test_sessions_with_impossible_times_are_left_out_of_the_report(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sessions listed as ending ten years ahead, or before they start, count nowhere in the report.

    One WARNING names each, however often the report is asked for.
    """
    start = datetime(2026, 3, 1, tzinfo=AMSTERDAM)
    end = datetime(2026, 3, 8, tzinfo=AMSTERDAM)
    account = simulator.account()
    account.sessions[:] = [s for s in account.sessions if not start <= s.started_at < end]
    kept = add_session(simulator, GARAGE_ID, datetime(2026, 3, 2, 18, tzinfo=AMSTERDAM), 21.5)
    ahead = add_session(simulator, GARAGE_ID, datetime(2026, 3, 3, 18, tzinfo=AMSTERDAM), 30.0)
    ahead.listed_ended_at = datetime(2036, 3, 3, 20, tzinfo=AMSTERDAM)
    backwards = add_session(simulator, DRIVEWAY_ID, datetime(2026, 3, 4, 18, tzinfo=AMSTERDAM), 9.0)
    backwards.listed_ended_at = backwards.started_at - timedelta(hours=2)

    for _ in range(2):
        report = await get_energy_report(
            hass, config_entry_id=init_integration.entry_id, **period(start, end)
        )
        assert report["groups"] == [{"month": "2026-03"} | sums([kept])]
        assert report["total"] == sums([kept])
        assert report["running"] == 0

    warned = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    # Newest first, as the API lists them.
    assert [message for message in warned if ahead.id in message or backwards.id in message] == [
        (
            f"Joulo lists session {backwards.id} of charger {DRIVEWAY_ID} with times that cannot be "
            "(start 2026-03-04T17:00:00+00:00, end 2026-03-04T15:00:00+00:00): it is left out of the "
            "charging statistics, the ERE missed, the energy report and the last session"
        ),
        (
            f"Joulo lists session {ahead.id} of charger {GARAGE_ID} with times that cannot be (start "
            "2026-03-03T17:00:00+00:00, end 2036-03-03T19:00:00+00:00): it is left out of the charging "
            "statistics, the ERE missed, the energy report and the last session"
        ),
    ]


@pytest.mark.usefixtures("frozen_time")
async def test_report_by_tag_for_reimbursement(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """By TAG id: each car's sessions, and those without a TAG id together under `id_tag: null`."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    start = datetime(2026, 3, 1, tzinfo=AMSTERDAM)
    end = datetime(2026, 4, 1, tzinfo=AMSTERDAM)
    add_session(
        simulator, GARAGE_ID, datetime(2026, 3, 10, 19, tzinfo=AMSTERDAM), 30.0, "LEASE0001"
    )
    expected = completed_in(simulator, start, end)
    tags = grouped(expected, lambda session: (session.id_tag,))
    assert list(tags) == [(CAR_B_TAG,), (CAR_A_TAG,), ("LEASE0001",), (None,)]

    report = await get_energy_report(
        hass, config_entry_id=init_integration.entry_id, group_by="id_tag", **period(start, end)
    )

    assert report["groups"] == [
        {"id_tag": tag} | sums(sessions) for (tag,), sessions in tags.items()
    ]
    assert report["total"] == sums(expected)


@pytest.mark.usefixtures("frozen_time")
async def test_report_by_month_charger_and_tag(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """Every dimension at once: one group per month, charger and TAG id, sorted in that order."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 4, 1, tzinfo=UTC)
    expected = completed_in(simulator, start, end)

    report = await get_energy_report(
        hass,
        config_entry_id=init_integration.entry_id,
        group_by=["id_tag", "charger", "month"],
        **period(start, end),
    )

    groups = grouped(
        expected,
        lambda session: (
            session.started_at.strftime("%Y-%m"),
            NAMES[session.charger_id],
            session.charger_id,
            session.id_tag,
        ),
    )
    # Three months of four: the Garage's two cars, the Oprit's car A, the Carport without a TAG id.
    assert len(groups) == 12
    assert report["groups"] == [
        {"month": month, "charger_id": charger_id, "charger_name": name, "id_tag": tag}
        | sums(sessions)
        for (month, name, charger_id, tag), sessions in groups.items()
    ]


async def test_report_of_one_charger_leaves_running_sessions_out(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """For one charger: only its sessions are asked for; the running one is counted, not summed."""
    running = simulator.start_session(DRIVEWAY_ID)
    now = dt_util.utcnow()
    start = now - timedelta(days=30)
    simulator.clear_requests()

    report = await get_energy_report(
        hass,
        config_entry_id=init_integration.entry_id,
        charger=device_id_of(hass, init_integration, DRIVEWAY_ID),
        group_by=["charger"],
        **period(start, now + timedelta(hours=1)),
    )

    expected = [
        session
        for session in completed_in(simulator, start, now + timedelta(hours=1))
        if session.charger_id == DRIVEWAY_ID
    ]
    assert expected
    assert running.is_active
    assert report == {
        "groups": [{"charger_id": DRIVEWAY_ID, "charger_name": "Oprit"} | sums(expected)],
        "total": sums(expected),
        "running": 1,
    }
    assert [query["charger_id"] for query in session_requests(simulator)] == [DRIVEWAY_ID]


async def test_empty_period_has_no_groups(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A period without sessions: no groups, zero totals, one request."""
    start = datetime(2001, 1, 1, tzinfo=UTC)
    simulator.clear_requests()

    report = await get_energy_report(
        hass, config_entry_id=init_integration.entry_id, **period(start, start + timedelta(days=1))
    )

    assert report == {
        "groups": [],
        "total": {
            "sessions": 0,
            "kwh": 0.0,
            "ere_kwh": 0.0,
            "ere_credits": 0.0,
            "ere_value_eur": 0.0,
            "cost_eur": None,
            "net_cost_eur": None,
            "sessions_priced": 0,
        },
        "running": 0,
    }
    assert simulator.request_count() == 1


async def test_report_period_of_1100_days_is_accepted(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """1100 days exactly is the longest period; the message of one day more says the limit."""
    end = dt_util.utcnow()
    report = await get_energy_report(
        hass,
        config_entry_id=init_integration.entry_id,
        **period(end - timedelta(days=1100), end),
    )
    assert report["total"]["sessions"] == len(
        completed_in(simulator, end - timedelta(days=1100), end)
    )

    with pytest.raises(ServiceValidationError) as caught:
        await get_energy_report(
            hass,
            config_entry_id=init_integration.entry_id,
            **period(end - timedelta(days=1100, seconds=1), end),
        )
    assert "longer than 1100 days" in str(caught.value)


async def test_report_refuses_what_is_not_a_charger_or_an_entry(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """The account's device, an unknown entry and an unloaded one are refused; nothing is asked."""
    now = dt_util.utcnow()
    account_device = device_id_of(hass, init_integration, simulator.account().id)
    simulator.clear_requests()
    with pytest.raises(ServiceValidationError) as caught:
        await get_energy_report(
            hass,
            config_entry_id=init_integration.entry_id,
            charger=account_device,
            **period(now - timedelta(days=1), now),
        )
    assert caught.value.translation_key == "device_not_found"
    with pytest.raises(ServiceValidationError) as caught:
        await get_energy_report(
            hass, config_entry_id="01JNOSUCHENTRY", **period(now - timedelta(days=1), now)
        )
    assert caught.value.translation_key == "entry_not_found"
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as caught:
        await get_energy_report(
            hass, config_entry_id=init_integration.entry_id, **period(now - timedelta(days=1), now)
        )
    assert caught.value.translation_key == "entry_not_loaded"
    assert simulator.requests == []


async def test_report_refuses_unknown_dimensions(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """`group_by` takes only month, charger, id_tag and vehicle; `from` and `to` are required."""
    now = dt_util.utcnow()
    with pytest.raises(vol.Invalid):
        await get_energy_report(
            hass,
            config_entry_id=init_integration.entry_id,
            group_by=["month", "car"],
            **period(now - timedelta(days=1), now),
        )
    with pytest.raises(vol.Invalid):
        await get_energy_report(hass, config_entry_id=init_integration.entry_id, to=now.isoformat())


async def test_refused_token_starts_reauth(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """A token Joulo refuses in an action asks for a new one, as it does in a poll."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=401)

    with pytest.raises(HomeAssistantError) as caught:
        await get_sessions(hass, config_entry_id=init_integration.entry_id)

    assert caught.value.translation_key == "authentication_failed"
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


# What both actions refuse or fail with in the same way

type Action = Callable[..., Awaitable[Any]]
ACTIONS = [
    pytest.param(get_sessions, id="get_sessions"),
    pytest.param(get_energy_report, id="get_energy_report"),
]
LAST_YEAR = {"from": "2025-04-01T00:00:00+00:00", "to": "2026-04-01T00:00:00+00:00"}
"""A period either action takes (the report needs one)."""


@pytest.mark.parametrize(
    ("action", "start", "end", "key"),
    [
        *(
            pytest.param(action, start, end, "invalid_period", id=f"{name}-{id_}")
            for action, name in ((get_sessions, "get_sessions"), (get_energy_report, "report"))
            for start, end, id_ in (
                ("2026-04-02T00:00:00+00:00", "2026-04-01T00:00:00+00:00", "ends-before"),
                ("2026-04-01T02:00:00+02:00", "2026-04-01T00:00:00+00:00", "ends-at-start"),
            )
        ),
        pytest.param(
            get_energy_report,
            "2023-03-27T00:00:00+00:00",
            "2026-04-01T00:00:00+00:00",
            "period_too_long",
            id="report-too-long",
        ),
    ],
)
async def test_period_is_checked(
    *,
    hass: HomeAssistant,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    action: Action,
    start: str,
    end: str,
    key: str,
) -> None:
    """A period that ends before (or when) it starts, or one too long, is refused; nothing is asked."""
    simulator.clear_requests()
    with pytest.raises(ServiceValidationError) as caught:
        await action(hass, config_entry_id=init_integration.entry_id, **{"from": start, "to": end})
    assert caught.value.translation_key == key
    assert simulator.requests == []


@pytest.mark.parametrize("action", ACTIONS)
async def test_api_failure_is_a_translated_error(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    action: Action,
) -> None:
    """A failing read (its retry too) fails the action with a translated error, not a partial one."""
    for fault, key, message in (
        (
            {"kind": FaultKind.HTTP_ERROR, "status": 503},
            "cannot_connect",
            "Could not reach the Joulo API",
        ),
        ({"kind": FaultKind.MALFORMED_JSON}, "invalid_response", None),
    ):
        simulator.faults.inject(endpoint="/sessions", **fault)
        with pytest.raises(HomeAssistantError) as caught:
            await action(hass, config_entry_id=init_integration.entry_id, **LAST_YEAR)
        assert not isinstance(caught.value, ServiceValidationError)
        assert caught.value.translation_key == key
        if message is not None:
            assert str(caught.value) == message


@pytest.mark.parametrize("action", ACTIONS)
async def test_action_waits_for_the_rate_limit_gate(
    hass: HomeAssistant,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
    action: Action,
) -> None:
    """After a 429 the action says when to try again, and sends nothing while the gate is closed."""
    simulator.faults.inject(
        FaultKind.HTTP_ERROR, endpoint="/sessions", status=429, retry_after="120"
    )
    simulator.clear_requests()

    for _ in range(2):
        with pytest.raises(HomeAssistantError) as caught:
            await action(hass, config_entry_id=init_integration.entry_id, **LAST_YEAR)
        assert caught.value.translation_key == "rate_limited"
        assert caught.value.translation_placeholders == {"retry_after": "120"}
        assert "120 seconds" in str(caught.value)
    assert [request.status for request in simulator.requests] == [429]


# The reimbursement example of the README.

README = Path(__file__).parents[2] / "README.md"
AUTOMATION = "automation.charging_report_for_the_employer"


def readme_report_automation() -> dict[str, Any]:
    """The README's automation that calls `joulo.get_energy_report`, as Home Assistant parses it."""
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    (block,) = [block for block in blocks if "action: joulo.get_energy_report" in block]
    config = yaml.parse_yaml(block)
    assert isinstance(config, dict)
    return config


@pytest.fixture
def first_of_april(freezer: FrozenDateTimeFactory) -> None:
    """Half a minute before 07:00 on 1 April 2026 in Amsterdam, before the simulator builds its history."""
    freezer.move_to(datetime(2026, 4, 1, 4, 59, 30, tzinfo=UTC))


@pytest.mark.usefixtures("first_of_april")
async def test_readme_reimbursement_automation(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The README's automation, set up as written: at 07:00 on the 1st, March per TAG id on the phone."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    notifications = async_mock_service(hass, "notify", "mobile_app_my_phone")
    config = readme_report_automation()
    config["actions"][1]["data"]["config_entry_id"] = init_integration.entry_id
    assert await async_setup_component(hass, "automation", {"automation": [config]})
    await hass.async_block_till_done()
    assert hass.states.get(AUTOMATION) is not None

    await advance_time(hass, freezer, timedelta(seconds=60))

    march = completed_in(
        simulator, datetime(2026, 3, 1, tzinfo=AMSTERDAM), datetime(2026, 4, 1, tzinfo=AMSTERDAM)
    )
    tags = grouped(march, lambda session: (session.id_tag,))
    assert list(tags) == [(CAR_B_TAG,), (CAR_A_TAG,), (None,)]
    lines = [
        f"{tag or 'Without TAG id'}: {sums(sessions)['kwh']} kWh in {len(sessions)} sessions"
        for (tag,), sessions in tags.items()
    ]
    assert [call.data for call in notifications] == [
        {
            "title": "Home charging 2026-03",
            "message": "\n".join([*lines, f"Total: {sums(march)['kwh']} kWh"]),
        }
    ]
    # Its time trigger waits for tomorrow's 07:00: switching it off ends that wait with the test.
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": AUTOMATION}, blocking=True
    )
