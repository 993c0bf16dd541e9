"""Tests of ``GET /ere-position``: its shape, its agreement with ``/energy`` and ``/me``, its switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

import aiohttp
import pytest

from joulo_simulator import FaultKind, JouloSimulator, ManualClock, SimulatorServer
from joulo_simulator.account import DRIVEWAY_ID, GARAGE_ID
from tests.factories import ERE_AMOUNT_FIELDS, QUARTER_FIELDS

from .common import START, SimClient, all_sessions

POSITION = "/ere-position"
DATES = [
    datetime(2026, 1, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 2, 20, 9, 0, tzinfo=UTC),
    START,
    datetime(2026, 8, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
]


def _numbers(value: Any) -> list[float]:
    """Every number in a JSON value."""
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [value]
    return []


async def _position(client: SimClient, token: str | None = None) -> dict[str, Any]:
    reply = await client.get(POSITION) if token is None else await client.get(POSITION, token=token)
    assert reply.status == 200, reply.text
    position: dict[str, Any] = reply.json()
    return position


async def _mid_sessions_this_year(client: SimClient, year: int) -> list[dict[str, Any]]:
    """The completed sessions with ERE on MID chargers that started in ``year``."""
    chargers = (await client.get("/chargers")).json()["chargers"]
    mid = {c["id"] for c in chargers if c["mid_certified"]}
    return [
        s
        for s in await all_sessions(client)
        if s["charger_id"] in mid and s["started_at"].startswith(str(year)) and s["ere_credits"]
    ]


@pytest.fixture(params=DATES, ids=[d.strftime("%b-%d") for d in DATES])
def clock(request: pytest.FixtureRequest) -> ManualClock:
    """The manual clock, at dates in each quarter and at both ends of the year."""
    return ManualClock(request.param)


async def test_agrees_with_the_sessions_energy_and_me(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """Allocatable ERE are this year's MID sessions' ERE; the parts and the euros add up."""
    now = clock()
    position = await _position(client)
    energy = (await client.get("/energy")).json()
    me = (await client.get("/me")).json()
    year = str(now.year)
    ours = await _mid_sessions_this_year(client, now.year)

    assert position["compliance_year"] == now.year
    assert position["allocatable_ere"] == round(sum(s["ere_credits"] for s in ours), 2)
    months = sum(m["ere_credits"] for m in energy["months"] if m["month"].startswith(year))
    assert position["allocatable_ere"] == pytest.approx(months, abs=0.01 * 12)

    parts = [position[status]["ere"] for status in ("paid", "payable", "reserved", "unsold")]
    assert sum(parts) == pytest.approx(position["allocatable_ere"], abs=0.001)
    assert all(part >= 0 for part in parts)
    assert position["pending_ere"] == pytest.approx(sum(parts[1:]), abs=0.001)
    unsold = position["unsold"]
    assert unsold["ytd_ere"] + unsold["future_ere"] == pytest.approx(unsold["ere"], abs=0.001)
    assert unsold["ytd_forecast_net_eur"] + unsold["future_forecast_net_eur"] == pytest.approx(
        unsold["forecast_net_eur"], abs=0.001
    )
    assert position["pending_forecast_net_eur"] == unsold["forecast_net_eur"]

    net = 1 - me["effective_fee_pct"] / 100
    assert position["effective_fee_pct"] == me["effective_fee_pct"]
    for price in (
        position["indicative_price_per_ere"],
        *(position[s]["price_per_ere"] for s in ("paid", "payable", "reserved")),
        *(q["price_per_ere"] for q in position["quarters"]),
    ):
        assert price is None or abs(price / me["ere_price_mid"] - 1) <= 0.1
    for status in ("paid", "payable", "reserved"):
        sold = position[status]
        assert set(sold) == set(ERE_AMOUNT_FIELDS)
        if sold["ere"]:
            assert sold["net_eur"] == pytest.approx(sold["ere"] * sold["price_per_ere"] * net, 0.01)
        else:
            assert (sold["net_eur"], sold["price_per_ere"]) == (0, None)
    assert unsold["forecast_net_eur"] == pytest.approx(
        unsold["ere"] * position["indicative_price_per_ere"] * net, abs=0.01
    )
    money = [position[s]["net_eur"] for s in ("paid", "payable", "reserved")]
    assert position["ytd_expected_eur"] == pytest.approx(
        sum(money) + unsold["forecast_net_eur"], abs=0.01
    )
    assert position["total_expected_eur"] >= position["ytd_expected_eur"]
    assert position["forecast_confidence"] in {"high", "medium", "low"}
    assert all(round(n, 2) == n for n in _numbers(position))


async def test_quarters_of_this_year(client: SimClient, clock: ManualClock) -> None:
    """Quarters up to now, only the current one in progress, each split by its age."""
    now = clock()
    position = await _position(client)
    ours = await _mid_sessions_this_year(client, now.year)
    year = str(now.year)
    quarters = position["quarters"]
    current = (now.month - 1) // 3 + 1
    assert [q["quarter"] for q in quarters] == [f"{year}-Q{n}" for n in range(1, current + 1)]
    assert [q["final"] for q in quarters] == [True] * (current - 1) + [False]
    assert sum(q["ere"] for q in quarters) == pytest.approx(position["allocatable_ere"], abs=0.001)
    for number, quarter in enumerate(quarters, start=1):
        assert set(quarter) == set(QUARTER_FIELDS)
        in_quarter = [s for s in ours if (int(s["started_at"][5:7]) - 1) // 3 + 1 == number]
        assert quarter["ere"] == round(sum(s["ere_credits"] for s in in_quarter), 2)
        assert quarter["sold_ere"] + quarter["unsold_ere"] == pytest.approx(
            quarter["ere"], abs=0.001
        )
        by_status = quarter["net_eur_by_status"]
        assert quarter["realized_net_eur"] == pytest.approx(sum(by_status.values()), abs=0.001)
        if number == current:
            expected = {"reserved"}
            assert 0 < quarter["sold_ere"] < quarter["ere"] or quarter["ere"] < 1
        elif number == current - 1:
            expected = {"payable", "reserved"}
        else:
            expected = {"paid"}
        assert {s for s, eur in by_status.items() if eur} <= expected
        if quarter["final"]:
            assert quarter["unsold_ere"] == 0
    for status in ("paid", "payable", "reserved"):
        total = sum(q["net_eur_by_status"][status] for q in quarters)
        assert position[status]["net_eur"] == pytest.approx(total, abs=0.01)


async def test_it_follows_finished_sessions(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A running session does not count; once completed its ERE joins this quarter's unsold.

    On New Year's Eve it ends in the next compliance year, which starts from nothing.
    """
    before = await _position(client)
    session = sim.start_session(DRIVEWAY_ID, power_kw=11)
    clock.advance(timedelta(minutes=50))
    assert (await _position(client))["allocatable_ere"] == before["allocatable_ere"]
    clock.advance(timedelta(minutes=70))
    sim.end_session(DRIVEWAY_ID)
    after = await _position(client)
    assert session.ere_credits is not None
    if clock().year != session.started_at.year:
        assert (after["compliance_year"], after["allocatable_ere"]) == (2027, 0)
        assert [q["quarter"] for q in after["quarters"]] == ["2027-Q1"]
        return
    gained = after["allocatable_ere"] - before["allocatable_ere"]
    assert gained == pytest.approx(session.ere_credits, abs=0.001)
    assert after["quarters"][-1]["ere"] == pytest.approx(
        before["quarters"][-1]["ere"] + session.ere_credits, abs=0.001
    )
    assert after["paid"] == before["paid"]


async def test_same_seed_and_date_same_answer(
    socket_enabled: None, client: SimClient, clock: ManualClock
) -> None:
    """Another simulator of the same seed at the same moment gives the very same position."""
    first = await _position(client)
    again = JouloSimulator(ManualClock(clock()), seed=1, upstream_sync=False)
    async with (
        SimulatorServer(again) as server,
        aiohttp.ClientSession() as session,
    ):
        assert await _position(SimClient(session, server)) == first


@pytest.mark.parametrize("clock", [START], indirect=True)
async def test_accounts_and_the_404_switch(client: SimClient, sim: JouloSimulator) -> None:
    """Every account has its own position; an empty one all zeros; the switch makes it 404."""
    other = sim.add_account()
    empty = sim.add_account(empty=True)
    mine, theirs = await _position(client), await _position(client, other.token)
    assert mine["allocatable_ere"] != theirs["allocatable_ere"]
    nothing = await _position(client, empty.token)
    assert (nothing["allocatable_ere"], nothing["total_expected_eur"]) == (0, 0)
    assert nothing["forecast_confidence"] == "low"
    assert [q["ere"] for q in nothing["quarters"]] == [0, 0]
    assert nothing["realized_avg_price"] is None

    sim.account().ere_position_available = False
    reply = await client.get(POSITION)
    assert (reply.status, reply.json()) == (404, {"error": "Not found"})
    assert (await client.get(POSITION, token=other.token)).status == 200
    switched = await client.admin(
        "POST", "/accounts/settings", {"token": other.token, "ere_position_available": False}
    )
    assert switched.json()["ere_position_available"] is False
    assert (await client.get(POSITION, token=other.token)).status == 404
    await client.admin("POST", "/accounts/settings", {"ere_position_available": True})
    assert (await client.get(POSITION)).status == 200
    created = await client.admin("POST", "/accounts", {"ere_position_available": False})
    assert (await client.get(POSITION, token=created.json()["token"])).status == 404
    assert (await client.get(POSITION, token=None)).status == 401


@pytest.mark.parametrize("clock", [START], indirect=True)
@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ({"kind": FaultKind.HTTP_ERROR, "status": 401}, lambda r: r.status == 401),
        ({"kind": FaultKind.HTTP_ERROR, "status": 403}, lambda r: r.status == 403),
        ({"kind": FaultKind.HTTP_ERROR, "status": 429}, lambda r: r.status == 429),
        ({"kind": FaultKind.HTTP_ERROR, "status": 500}, lambda r: r.status == 500),
        ({"kind": FaultKind.HANG, "delay": 0.01}, lambda r: "allocatable_ere" in r.json()),
        ({"kind": FaultKind.MALFORMED_JSON}, lambda r: _does_not_parse(r.text)),
        ({"kind": FaultKind.MISSING_FIELDS, "fields": ["paid"]}, lambda r: "paid" not in r.json()),
        ({"kind": FaultKind.UNKNOWN_ENUM}, lambda r: r.status == 200),
        ({"kind": FaultKind.WRONG_SHAPE}, lambda r: isinstance(r.json(), list)),
    ],
)
async def test_every_fault_kind(
    client: SimClient, sim: JouloSimulator, fault: dict[str, Any], check: Any
) -> None:
    """Faults aimed at ``/ere-position`` apply to it and not to ``/energy``."""
    sim.faults.inject(endpoint=POSITION, **fault)
    assert (await client.get("/energy")).status == 200
    assert check(await client.get(POSITION))
    assert sim.faults.active == []
    assert (await client.get(POSITION)).json()["compliance_year"] == 2026


def _does_not_parse(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return True
    return False


@pytest.mark.parametrize("clock", [START], indirect=True)
async def test_non_mid_sessions_do_not_count(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """A session on a charger without MID adds nothing; one on a MID cloud charger does."""
    before = await _position(client)
    sim.add_charger(nickname="Werk", mid_certified=False, charger_id="no-mid")
    sim.start_session("no-mid")
    sim.start_session(GARAGE_ID)
    clock.advance(timedelta(hours=1))
    sim.end_session("no-mid")
    garage = sim.end_session(GARAGE_ID)
    after = await _position(client)
    assert garage.ere_credits is not None
    assert after["allocatable_ere"] == pytest.approx(
        before["allocatable_ere"] + garage.ere_credits, abs=0.001
    )
