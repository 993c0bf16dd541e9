"""The client over real HTTP against the simulator: every method returns the right typed models."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta, timezone

import aiohttp
import pytest

from custom_components.joulo.api import (
    DEFAULT_BASE_URL,
    Account,
    ChargerStatus,
    ConnectionType,
    CurrentSession,
    Energy,
    EstimateBasis,
    JouloClient,
    MonthlyEnergy,
    RateLimitGate,
    Session,
    SessionPage,
    SessionStatus,
)
from joulo_simulator import FaultKind, JouloSimulator, ManualClock, SimSession, SimulatorServer
from joulo_simulator.account import CARPORT_ID, DEFAULT_ID_TAG, DRIVEWAY_ID, GARAGE_ID
from tests.client.helpers import START, make_client
from tests.factories import make_charger, make_session


def _expected_session(session: SimSession, now: datetime) -> Session:
    """The model of a simulator session as the API shows it at `now`."""
    return Session(
        id=session.id,
        charger_id=session.charger_id,
        charger_nickname=session.charger_nickname,
        started_at=session.started_at,
        ended_at=session.ended_at,
        kwh=session.energy_at(now),
        status=session.status,
        ere_credits=session.ere_credits,
        id_tag=session.id_tag,
        counts_for_ere=session.mid_certified,
    )


BASIS = EstimateBasis(price_per_ere=0.87, effective_fee_pct=12.5)
"""The default account's price and fee, which `/sessions` gives as its estimate basis."""


def _newest_first(simulator: JouloSimulator) -> list[SimSession]:
    """The default account's sessions in the API's order."""
    return sorted(
        simulator.default_account.sessions,
        key=lambda session: (session.started_at, session.id),
        reverse=True,
    )


async def test_chargers_of_the_default_account(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """`get_chargers` returns the three chargers, with meter fields only on the OCPP one."""
    chargers = await client.get_chargers()

    driveway = simulator.charger(DRIVEWAY_ID)
    assert driveway.meter_updated_at is not None
    assert chargers == (
        make_charger(
            GARAGE_ID, nickname="Garage", mid_eligible=True, connection_type=ConnectionType.EASEE
        ),
        make_charger(
            DRIVEWAY_ID,
            nickname="Oprit",
            connection_type=ConnectionType.OCPP,
            mid_eligible=True,
            meter_wh=float(int(driveway.meter_wh or 0)),
            meter_at=driveway.meter_updated_at,
        ),
        make_charger(
            CARPORT_ID,
            nickname="Carport",
            connection_type=ConnectionType.WALLBOX,
            status=ChargerStatus.OFFLINE,
            mid_certified=False,
            mid_eligible=False,
        ),
    )
    assert all(type(charger.connection_type) is ConnectionType for charger in chargers)
    assert all(type(charger.status) is ChargerStatus for charger in chargers)
    assert simulator.request_count("/chargers") == 1


async def test_chargers_with_running_sessions(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock
) -> None:
    """A running session shows as `current_session`, with the TAG id only when it has one."""
    meter_before = (await client.get_chargers())[1].latest_meter_wh
    assert meter_before is not None
    ocpp_session = simulator.start_session(DRIVEWAY_ID, power_kw=11.0)
    simulator.set_charger_status(CARPORT_ID, "online")
    untagged_session = simulator.start_session(CARPORT_ID, power_kw=7.4)
    clock.advance(timedelta(hours=1))

    garage, driveway, carport = await client.get_chargers()

    assert driveway.is_charging
    assert driveway.current_session == CurrentSession(
        id=ocpp_session.id, started_at=START, kwh_so_far=11.0, id_tag=DEFAULT_ID_TAG
    )
    assert driveway.latest_meter_wh == meter_before + 11_000
    assert driveway.meter_updated_at == START + timedelta(hours=1)
    assert carport.is_charging
    assert carport.current_session == CurrentSession(
        id=untagged_session.id, started_at=START, kwh_so_far=7.4, id_tag=None
    )
    assert not garage.is_charging
    assert garage.current_session is None

    simulator.start_session(GARAGE_ID, id_tag="CAFEBABE")
    garage = (await client.get_chargers())[0]
    assert garage.current_session is not None
    assert garage.current_session.id_tag == "CAFEBABE"
    assert garage.current_session.started_at == START + timedelta(hours=1)


async def test_sessions_default_page(client: JouloClient, simulator: JouloSimulator) -> None:
    """`get_sessions` without filters returns the newest 20 sessions and sends no query."""
    page = await client.get_sessions()

    expected = [_expected_session(session, START) for session in _newest_first(simulator)[:20]]
    assert page == SessionPage(sessions=tuple(expected), limit=20, offset=0, estimate_basis=BASIS)
    assert all(type(session.status) is SessionStatus for session in page.sessions)
    assert all(session.is_completed for session in page.sessions)
    assert simulator.requests[-1].endpoint == "/sessions"
    assert simulator.requests[-1].query == {}


async def test_sessions_filtered_by_charger(client: JouloClient, simulator: JouloSimulator) -> None:
    """`charger_id` returns only that charger's sessions and is sent as `charger_id`."""
    page = await client.get_sessions(charger_id=DRIVEWAY_ID, limit=100)

    expected = [s for s in _newest_first(simulator) if s.charger_id == DRIVEWAY_ID][:100]
    assert page.sessions == tuple(_expected_session(session, START) for session in expected)
    assert page.sessions
    assert {session.id_tag for session in page.sessions} == {DEFAULT_ID_TAG}
    assert simulator.requests[-1].query == {"charger_id": DRIVEWAY_ID, "limit": "100"}


async def test_sessions_filtered_by_start(client: JouloClient, simulator: JouloSimulator) -> None:
    """`started_from` and `started_to` are sent as ISO 8601 UTC and filter on the start."""
    window_start = datetime(2026, 2, 1, tzinfo=UTC)
    window_end = datetime(2026, 3, 1, tzinfo=UTC)

    page = await client.get_sessions(
        started_from=window_start.astimezone(timezone(timedelta(hours=1))),
        started_to=window_end.replace(tzinfo=None),  # naive: taken as UTC
        limit=100,
    )

    assert simulator.requests[-1].query == {
        "from": "2026-02-01T00:00:00Z",
        "to": "2026-03-01T00:00:00Z",
        "limit": "100",
    }
    expected = [
        session
        for session in _newest_first(simulator)
        if window_start <= session.started_at < window_end
    ]
    assert expected
    assert page.sessions == tuple(_expected_session(session, START) for session in expected)


async def test_sessions_limit_and_offset(client: JouloClient, simulator: JouloSimulator) -> None:
    """`limit` and `offset` page through the history, newest first."""
    everything = [_expected_session(session, START) for session in _newest_first(simulator)]

    first = await client.get_sessions(limit=5)
    assert simulator.requests[-1].query == {"limit": "5"}
    second = await client.get_sessions(limit=5, offset=5)
    assert simulator.requests[-1].query == {"limit": "5", "offset": "5"}
    beyond = await client.get_sessions(offset=len(everything))
    assert simulator.requests[-1].query == {"offset": str(len(everything))}
    edges = (await client.get_sessions(limit=1, offset=0), await client.get_sessions(limit=100))

    assert first == SessionPage(
        sessions=tuple(everything[:5]), limit=5, offset=0, estimate_basis=BASIS
    )
    assert second == SessionPage(
        sessions=tuple(everything[5:10]), limit=5, offset=5, estimate_basis=BASIS
    )
    assert beyond == SessionPage(
        sessions=(), limit=20, offset=len(everything), estimate_basis=BASIS
    )
    assert edges[0].sessions == tuple(everything[:1])
    assert edges[1].sessions == tuple(everything[:100])


async def test_sessions_with_a_running_session(
    client: JouloClient, simulator: JouloSimulator, clock: ManualClock
) -> None:
    """A running session comes first, without an end, and is not completed."""
    running = simulator.start_session(GARAGE_ID, power_kw=11.0)
    clock.advance(timedelta(minutes=30))

    newest = (await client.get_sessions(limit=1)).sessions[0]

    assert newest == make_session(
        running.id,
        charger_id=GARAGE_ID,
        nickname="Garage",
        started_at=START,
        running=True,
        kwh=5.5,
        id_tag=running.id_tag,
        counts_for_ere=True,
    )
    assert newest.status is SessionStatus.CHARGING
    assert not newest.is_completed

    simulator.end_session(GARAGE_ID)
    ended = (await client.get_sessions(limit=1)).sessions[0]
    assert ended.is_completed
    assert ended.ended_at == START + timedelta(minutes=30)
    assert ended.status is SessionStatus.COMPLETED
    assert ended.ere_credits == round(5.5 * 0.505 * 0.6588, 2)


async def test_energy(client: JouloClient, simulator: JouloSimulator) -> None:
    """`get_energy` returns the MID and all-charger totals and the months, newest first."""
    energy = await client.get_energy()

    completed = [s for s in simulator.default_account.sessions if not s.is_active]
    mid = [s for s in completed if s.mid_certified]
    assert energy.total_sessions == len(mid)
    assert energy.total_sessions_all == len(completed)
    assert energy.total_kwh == pytest.approx(sum(s.kwh for s in mid), abs=0.01)
    assert energy.total_kwh_all == pytest.approx(sum(s.kwh for s in completed), abs=0.01)
    assert energy.total_ere_credits == pytest.approx(
        sum(s.ere_credits or 0.0 for s in mid), abs=0.01
    )
    assert isinstance(energy, Energy)
    assert all(isinstance(entry, MonthlyEnergy) for entry in energy.months)
    assert [entry.month for entry in energy.months] == sorted(
        {s.started_at.date().replace(day=1) for s in completed}, reverse=True
    )
    assert sum(entry.sessions_all or 0 for entry in energy.months) == len(completed)

    april = energy.month(date(2026, 4, 9))
    assert april is not None
    assert april is energy.months[0]
    assert april.month == date(2026, 4, 1)
    assert april.sessions == sum(
        1 for s in mid if (s.started_at.year, s.started_at.month) == (2026, 4)
    )
    assert energy.month(date(2026, 5, 1)) is None
    assert energy.month(date(2020, 1, 31)) is None


async def test_energy_of_an_empty_account(
    http_session: aiohttp.ClientSession,
    simulator_server: SimulatorServer,
    simulator: JouloSimulator,
    gate: RateLimitGate,
) -> None:
    """An account without chargers has no chargers, no sessions and zero totals."""
    account = simulator.add_account(empty=True)
    client = make_client(http_session, simulator_server, gate, account.token)

    assert await client.get_chargers() == ()
    assert await client.get_sessions() == SessionPage(
        sessions=(), limit=20, offset=0, estimate_basis=BASIS
    )
    assert await client.get_energy() == Energy(
        total_kwh=0.0,
        total_ere_credits=0.0,
        total_sessions=0,
        months=(),
        total_kwh_all=0.0,
        total_sessions_all=0,
    )


async def test_account(client: JouloClient, simulator: JouloSimulator) -> None:
    """`get_account` returns the account behind the token."""
    account = simulator.default_account

    assert await client.get_account() == Account(
        id=account.id,
        email=account.email,
        name=account.name,
        ere_price_mid=account.ere_price_mid,
        effective_fee_pct=account.effective_fee_pct,
    )
    assert simulator.request_count("/me") == 1


async def test_models_are_frozen_and_comparable(client: JouloClient) -> None:
    """The same data gives equal, equally hashed models; assigning to a field raises."""
    chargers = await client.get_chargers()
    page = await client.get_sessions(limit=3)
    energy = await client.get_energy()
    account = await client.get_account()

    assert await client.get_chargers() == chargers
    assert await client.get_sessions(limit=3) == page
    assert await client.get_energy() == energy
    assert await client.get_account() == account
    assert hash(await client.get_chargers()) == hash(chargers)
    assert hash(await client.get_sessions(limit=3)) == hash(page)
    assert page != await client.get_sessions(limit=2)

    with pytest.raises(FrozenInstanceError):
        chargers[0].nickname = "Schuur"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        page.sessions[0].kwh = 1.0  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        page.limit = 1  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        energy.months[0].kwh = 1.0  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        account.ere_price_mid = 1.0  # type: ignore[misc]


async def test_unknown_enum_values_stay_plain_strings(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """Connection types and statuses the API adds later are kept as the plain strings."""
    simulator.faults.inject(FaultKind.UNKNOWN_ENUM, endpoint="/chargers")
    simulator.faults.inject(FaultKind.UNKNOWN_ENUM, endpoint="/sessions")

    chargers = await client.get_chargers()
    sessions = (await client.get_sessions(limit=5)).sessions

    assert chargers
    for charger in chargers:
        assert type(charger.connection_type) is str
        assert type(charger.status) is str
        assert charger.connection_type not in set(ConnectionType)
        assert charger.status not in set(ChargerStatus)
    assert sessions
    for session in sessions:
        assert type(session.status) is str
        assert session.status not in set(SessionStatus)
    # The next answers are normal again, and parse to the enums.
    assert (await client.get_chargers())[0].connection_type is ConnectionType.EASEE


@pytest.mark.parametrize(
    ("limit", "offset"), [(0, None), (101, None), (-1, None), (None, -1), (5, -5)]
)
async def test_bad_paging_raises_value_error_before_any_request(
    client: JouloClient, simulator: JouloSimulator, limit: int | None, offset: int | None
) -> None:
    """A `limit` outside 1 to 100 or a negative `offset` raises `ValueError` and sends nothing."""
    with pytest.raises(ValueError, match=r"limit|offset"):
        await client.get_sessions(limit=limit, offset=offset)
    assert simulator.request_count() == 0


async def test_defaults_and_base_url(http_session: aiohttp.ClientSession) -> None:
    """A trailing slash is dropped from the base URL; the default gate keeps wall-clock UTC time."""
    client = JouloClient(http_session, "joulo_" + "a" * 32, base_url="http://127.0.0.1:1/api/")
    assert client.base_url == "http://127.0.0.1:1/api"
    assert repr(client) == "JouloClient(base_url='http://127.0.0.1:1/api')"
    assert JouloClient(http_session, "joulo_" + "a" * 32).base_url == DEFAULT_BASE_URL

    before = datetime.now(UTC)
    error = client.gate.close(None)
    assert (
        before + timedelta(seconds=60)
        <= error.retry_at
        <= datetime.now(UTC) + timedelta(seconds=60)
    )
    assert client.gate.closed_until == error.retry_at
