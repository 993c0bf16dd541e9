"""The reimbursement statement as pure functions: months, a vehicle's sessions, figures, totals, CSV."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.joulo.api import Session
from custom_components.joulo.cost import SessionCost
from custom_components.joulo.ere import ErePrice, SessionEre, session_ere
from custom_components.joulo.statement import (
    SESSION_KEYS,
    Month,
    statement,
    statement_csv,
    vehicle_sessions,
)
from custom_components.joulo.vehicles import Reimbursement, Vehicle
from tests.factories import make_session

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MARCH = Month(2026, 3)
PRICE = ErePrice(0.87, 12.5)
"""An ERE is worth 0.87 x 0.875 = 0.76125 EUR."""
GARAGE, CARPORT, DRIVEWAY = "garage-id", "carport-id", "driveway-id"
LEASE = Vehicle(
    "sub-lease",
    "Lease car",
    frozenset({"lease-card"}),
    frozenset({GARAGE}),
    Reimbursement.FIXED_RATE,
    0.25,
)
OTHER = Vehicle("sub-other", "Other", frozenset({"other-card"}), frozenset({DRIVEWAY}))
VEHICLES = (LEASE, OTHER)
NAMES = {GARAGE: "Garage", CARPORT: "Carport", DRIVEWAY: "Oprit"}


def session(
    session_id: str,
    started_at: datetime,
    *,
    charger_id: str = GARAGE,
    id_tag: str | None = "LEASE-CARD",
    kwh: float | None = 10.0,
    ere_credits: float | None = 3.33,
    mid: bool = True,
    running: bool = False,
) -> Session:
    """A session of two hours (running: without an end) that says whether it counts for ERE."""
    return make_session(
        session_id,
        charger_id=charger_id,
        started_at=started_at,
        running=running,
        kwh=kwh,
        ere_credits=ere_credits,
        id_tag=id_tag,
        counts_for_ere=mid,
    )


def cost(cost_eur: float | None, price_per_kwh: float | None = 0.3) -> SessionCost:
    """A session's cost (its net cost is the statement's own business)."""
    return SessionCost(
        cost_eur=cost_eur,
        net_cost_eur=None,
        price_per_kwh=None if cost_eur is None else price_per_kwh,
        missing_hours=(),
        basis="spread",
    )


# Two sessions of March: on the garage (MID) with the lease card, on the carport (no MID) with it.
ON_GARAGE = session("a", datetime(2026, 3, 2, 18, tzinfo=UTC), kwh=12.34, ere_credits=4.11)
ON_CARPORT = session(
    "b",
    datetime(2026, 3, 5, 19, tzinfo=UTC),
    charger_id=CARPORT,
    kwh=20.0,
    ere_credits=6.66,
    mid=False,
)
COSTS = {"a": cost(3.70), "b": cost(6.0)}


def make_statement(
    sessions: list[Session],
    vehicle: Vehicle = LEASE,
    *,
    costs: dict[str, SessionCost] | None = COSTS,
    price: ErePrice | None = PRICE,
) -> dict[str, object]:
    """The statement of `sessions` in March, in Amsterdam; ERE by Joulo's rules at `price`."""

    def ere_of(session: Session) -> SessionEre:
        return session_ere(session, None, price)

    return statement(
        vehicle,
        MARCH,
        sessions,
        id_tags=["LEASE-CARD"],
        time_zone=AMSTERDAM,
        charger_name=lambda session: NAMES[session.charger_id],
        ere_of=ere_of,
        costs=costs,
    )


def figures(result: dict[str, object], key: str) -> list[object]:
    """One figure of each session of a statement."""
    rows = result["sessions"]
    assert isinstance(rows, list)
    return [row[key] for row in rows]


# Months


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-03", Month(2026, 3)),
        (" 2025-12 ", Month(2025, 12)),
        ("1970-01", Month(1970, 1)),
        ("2026-3", None),
        ("2026-13", None),
        ("2026-00", None),
        ("1969-12", None),
        ("0001-01", None),
        ("2026-03-01", None),
        ("March", None),
        ("", None),
    ],
)
def test_a_month_is_written_yyyy_mm(text: str, month: Month | None) -> None:
    """`YYYY-MM` from 1970 on, spaces around it aside; anything else is no month."""
    assert Month.parse(text) == month


def test_months_in_a_time_zone() -> None:
    """A month runs from local midnight of its 1st to that of the next; January follows December."""
    assert str(MARCH) == "2026-03"
    assert MARCH.start(AMSTERDAM) == datetime(2026, 3, 1, tzinfo=AMSTERDAM)
    assert MARCH.start(AMSTERDAM) == datetime(2026, 2, 28, 23, tzinfo=UTC)
    # Summer time began on 29 March: April starts at 22:00 UTC.
    assert MARCH.end(AMSTERDAM) == datetime(2026, 3, 31, 22, tzinfo=UTC)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert MARCH.previous() == Month(2026, 2)
    assert Month.of(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), AMSTERDAM) == Month(2026, 4)
    assert Month.of(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), UTC) == MARCH
    assert Month(2025, 12) < Month(2026, 1) < MARCH


# Which sessions


def test_the_vehicles_sessions_of_the_local_month_oldest_first() -> None:
    """Its TAG, or no TAG on its charger; started in March in Amsterdam; completed; oldest first.

    00:30 on 1 March in Amsterdam is 23:30 UTC on 28 February: March. 00:15 on 1 April is 22:15
    UTC on 31 March: April.
    """
    first_local = session("first", datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    last_local = session("last", datetime(2026, 3, 31, 21, 30, tzinfo=UTC), id_tag=None)
    tie_b = session("tie-b", datetime(2026, 3, 10, 18, tzinfo=UTC), charger_id=CARPORT)
    tie_a = session("tie-a", datetime(2026, 3, 10, 18, tzinfo=UTC), id_tag=" lease-card ")
    left_out = [
        session("april", datetime(2026, 3, 31, 22, 15, tzinfo=UTC)),
        session("february", datetime(2026, 2, 28, 22, 59, tzinfo=UTC)),
        session("running", datetime(2026, 3, 20, 18, tzinfo=UTC), running=True),
        session("other-card", datetime(2026, 3, 11, 18, tzinfo=UTC), id_tag="other-card"),
        session("unknown-card", datetime(2026, 3, 12, 18, tzinfo=UTC), id_tag="guest"),
        session(
            "untagged-elsewhere",
            datetime(2026, 3, 13, 18, tzinfo=UTC),
            id_tag=None,
            charger_id=CARPORT,
        ),
    ]
    sessions = [last_local, *left_out, tie_b, first_local, tie_a]

    chosen = vehicle_sessions(
        sessions, LEASE, VEHICLES, MARCH.start(AMSTERDAM), MARCH.end(AMSTERDAM)
    )

    assert [session.id for session in chosen] == ["first", "tie-a", "tie-b", "last"]


# Figures and totals


def test_a_fixed_rate_is_the_kwh_at_the_rate_rounded_half_up() -> None:
    """12.34 kWh at 0.25 is 3.085: 3.09 (a float would make it 3.08). Costs and ERE are shown too."""
    result = make_statement([ON_GARAGE, ON_CARPORT])

    assert result == {
        "vehicle": "Lease car",
        "month": "2026-03",
        "id_tags": ["LEASE-CARD"],
        "reimbursement": "fixed_rate",
        "rate": 0.25,
        "sessions": [
            {
                "started_at": "2026-03-02T19:00:00+01:00",
                "ended_at": "2026-03-02T21:00:00+01:00",
                "charger_name": "Garage",
                "mid_certified": True,
                "id_tag": "LEASE-CARD",
                "kwh": 12.34,
                "cost_eur": 3.7,
                "price_per_kwh": 0.3,
                "ere_credits": 4.11,
                "ere_value_eur": 3.13,  # 4.11 x 0.76125 = 3.1287
                "reimbursement_eur": 3.09,
            },
            {
                "started_at": "2026-03-05T20:00:00+01:00",
                "ended_at": "2026-03-05T22:00:00+01:00",
                "charger_name": "Carport",
                "mid_certified": False,
                "id_tag": "LEASE-CARD",
                "kwh": 20.0,
                "cost_eur": 6.0,
                "price_per_kwh": 0.3,
                "ere_credits": 0.0,
                "ere_value_eur": 0.0,
                "reimbursement_eur": 5.0,
            },
        ],
        "total": {
            "sessions": 2,
            "kwh": 32.34,
            "cost_eur": 9.7,
            "ere_value_eur": 3.13,
            "reimbursement_eur": 8.09,
        },
    }


@pytest.mark.parametrize(
    ("reimbursement", "rate", "rows", "total"),
    [
        pytest.param(Reimbursement.NONE, 0.25, [None, None], None, id="none"),
        pytest.param(Reimbursement.COST, None, [3.7, 6.0], 9.7, id="cost"),
        pytest.param(Reimbursement.NET_COST, None, [0.57, 6.0], 6.57, id="net_cost"),
        pytest.param(Reimbursement.FIXED_RATE, None, [None, None], None, id="rate-unreadable"),
    ],
)
def test_each_kind_of_reimbursement(
    reimbursement: Reimbursement,
    rate: float | None,
    rows: list[float | None],
    total: float | None,
) -> None:
    """None, the cost, the cost less the ERE euros (none on the carport); a rate only for a fixed rate.

    A fixed rate whose rate could not be read reimburses an unknown amount.
    """
    vehicle = replace(LEASE, reimbursement=reimbursement, rate=rate)

    result = make_statement([ON_GARAGE, ON_CARPORT], vehicle)

    assert (result["reimbursement"], result["rate"]) == (reimbursement.value, None)
    assert figures(result, "reimbursement_eur") == rows
    assert result["total"] == {
        "sessions": 2,
        "kwh": 32.34,
        "cost_eur": 9.7,
        "ere_value_eur": 3.13,
        "reimbursement_eur": total,
    }


def test_an_unknown_figure_makes_its_total_unknown() -> None:
    """A cost without a price for an hour: its session's cost and what it reimburses are unknown.

    So are their totals: a total of the known ones would look complete. The other totals stand.
    """
    vehicle = replace(LEASE, reimbursement=Reimbursement.COST)

    result = make_statement(
        [ON_GARAGE, ON_CARPORT], vehicle, costs={"a": cost(None), "b": cost(6.0)}
    )

    assert figures(result, "cost_eur") == [None, 6.0]
    assert figures(result, "price_per_kwh") == [None, 0.3]
    assert figures(result, "reimbursement_eur") == [None, 6.0]
    assert result["total"] == {
        "sessions": 2,
        "kwh": 32.34,
        "cost_eur": None,
        "ere_value_eur": 3.13,
        "reimbursement_eur": None,
    }


def test_without_an_ere_price_net_costs_are_unknown_but_not_on_a_charger_without_mid() -> None:
    """No ERE price: the garage's ERE euros and net cost are unknown; the carport earned none: 0."""
    vehicle = replace(LEASE, reimbursement=Reimbursement.NET_COST)

    result = make_statement([ON_GARAGE, ON_CARPORT], vehicle, price=None)

    assert figures(result, "ere_credits") == [4.11, 0.0]
    assert figures(result, "ere_value_eur") == [None, 0.0]
    assert figures(result, "reimbursement_eur") == [None, 6.0]
    total = result["total"]
    assert isinstance(total, dict)
    assert (total["ere_value_eur"], total["reimbursement_eur"]) == (None, None)


def test_without_a_price_source_costs_are_unknown_and_a_fixed_rate_still_known() -> None:
    """No price source: every cost and price is null, and so is the cost total; the rate still pays."""
    result = make_statement([ON_GARAGE, ON_CARPORT], costs=None)

    assert figures(result, "cost_eur") == [None, None]
    assert figures(result, "price_per_kwh") == [None, None]
    assert figures(result, "reimbursement_eur") == [3.09, 5.0]
    total = result["total"]
    assert isinstance(total, dict)
    assert (total["cost_eur"], total["reimbursement_eur"]) == (None, 8.09)


@pytest.mark.parametrize(
    ("reimbursement", "costs", "cost_total", "reimbursed_total"),
    [
        pytest.param(Reimbursement.FIXED_RATE, COSTS, 0.0, 0.0, id="priced"),
        pytest.param(Reimbursement.NONE, None, None, None, id="no-price-source"),
    ],
)
def test_a_month_without_sessions(
    reimbursement: Reimbursement,
    costs: dict[str, SessionCost] | None,
    cost_total: float | None,
    reimbursed_total: float | None,
) -> None:
    """No sessions: zero totals, but null for costs without a price source and without reimbursement."""
    result = make_statement([], replace(LEASE, reimbursement=reimbursement), costs=costs)

    assert result["sessions"] == []
    assert result["total"] == {
        "sessions": 0,
        "kwh": 0.0,
        "cost_eur": cost_total,
        "ere_value_eur": 0.0,
        "reimbursement_eur": reimbursed_total,
    }


def test_totals_are_exact() -> None:
    """A thousand sessions of 0.1 kWh at 0.1 EUR/kWh are 100 kWh and 10 EUR, not what floats add up to."""
    start = datetime(2026, 3, 2, 18, tzinfo=UTC)
    sessions = [
        session(f"s{index}", start + timedelta(minutes=index), kwh=0.1, ere_credits=0.03)
        for index in range(1000)
    ]
    costs = {one.id: cost(0.01, 0.1) for one in sessions}

    result = make_statement(sessions, replace(LEASE, rate=0.1), costs=costs)

    assert result["total"] == {
        "sessions": 1000,
        "kwh": 100.0,
        "cost_eur": 10.0,
        "ere_value_eur": 20.0,  # 0.03 ERE are 0.02 EUR each
        "reimbursement_eur": 10.0,
    }


def test_a_session_without_figures_counts_zero_kwh() -> None:
    """Joulo may list a completed session without kWh: it is 0 kWh, and reimbursed nothing."""
    empty = session("a", datetime(2026, 3, 2, 18, tzinfo=UTC), kwh=None, ere_credits=None)

    result = make_statement([empty], costs={"a": cost(0.0, None)})

    assert figures(result, "kwh") == [0.0]
    assert figures(result, "ere_credits") == [0.0]
    assert figures(result, "reimbursement_eur") == [0.0]


# CSV


def test_the_csv_has_a_header_a_row_per_session_and_the_totals() -> None:
    """Plain decimals with a dot, ISO times, empty cells for what is unknown, true/false for MID."""
    tiny = session(
        "c", datetime(2026, 3, 31, 21, 30, tzinfo=UTC), kwh=0.00001, ere_credits=None, mid=True
    )
    result = make_statement(
        [ON_GARAGE, ON_CARPORT, tiny], costs={"a": cost(3.70), "b": cost(6.0), "c": cost(None)}
    )

    assert statement_csv(result).split("\r\n") == [
        ",".join(SESSION_KEYS),
        (
            "2026-03-02T19:00:00+01:00,2026-03-02T21:00:00+01:00,Garage,true,LEASE-CARD,"
            "12.34,3.7,0.3,4.11,3.13,3.09"
        ),
        (
            "2026-03-05T20:00:00+01:00,2026-03-05T22:00:00+01:00,Carport,false,LEASE-CARD,"
            "20.0,6.0,0.3,0.0,0.0,5.0"
        ),
        (
            "2026-03-31T23:30:00+02:00,2026-04-01T01:30:00+02:00,Garage,true,LEASE-CARD,"
            "0.00001,,,0.0,0.0,0.0"
        ),
        "total,,,,,32.34,,,,3.13,8.09",
        "",
    ]


def test_csv_cells_are_quoted_when_they_must_be() -> None:
    """A charger named with a comma or a quote stays one cell; a session without TAG an empty one."""
    untagged = session("a", datetime(2026, 3, 2, 18, tzinfo=UTC), id_tag=None)
    result = statement(
        LEASE,
        MARCH,
        [untagged],
        id_tags=[],
        time_zone=UTC,
        charger_name=lambda _: 'Garage, "links"',
        ere_of=lambda session: session_ere(session, None, PRICE),
        costs=None,
    )

    assert statement_csv(result).splitlines()[1] == (
        '2026-03-02T18:00:00+00:00,2026-03-02T20:00:00+00:00,"Garage, ""links""",true,,'
        "10.0,,,3.33,2.53,2.5"
    )
