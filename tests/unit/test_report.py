"""The energy report as a pure function: months in a time zone, groups, exact sums, running sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial, reduce
from itertools import count
import operator
from zoneinfo import ZoneInfo

from custom_components.joulo.api import Session
from custom_components.joulo.cost import SessionCost
from custom_components.joulo.ere import ErePrice
from custom_components.joulo.report import GroupBy, energy_report
from custom_components.joulo.vehicles import Vehicle, vehicle_of
from tests.factories import make_session

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TAG = "DEADBEEF12345678"
OTHER_TAG = "0A1B2C3D"
_ids = count()
VEHICLES = (
    Vehicle("sub-tesla", "tesla", frozenset({TAG.casefold()}), frozenset()),
    Vehicle("sub-lease", "Lease car", frozenset({OTHER_TAG.casefold()}), frozenset({"oprit-id"})),
    Vehicle("sub-lease-2", "Lease car", frozenset({"spare"}), frozenset()),
)
"""Two vehicles of the same name: each is a group of its own."""


def session(
    started_at: datetime,
    *,
    charger_id: str = "garage-id",
    nickname: str | None = "Garage",
    kwh: float | None = 10.0,
    ere_credits: float | None = 3.33,
    id_tag: str | None = None,
    running: bool = False,
    counts_for_ere: bool | None = None,
) -> Session:
    """A session of two hours (running: without an end) as the client parses it."""
    return make_session(
        f"s{next(_ids)}",
        charger_id=charger_id,
        nickname=nickname,
        started_at=started_at,
        running=running,
        kwh=kwh,
        ere_credits=None if running else ere_credits,
        id_tag=id_tag,
        counts_for_ere=counts_for_ere,
    )


def sums(
    sessions: int,
    kwh: float,
    ere_credits: float,
    *,
    ere_kwh: float | None = None,
    eur: float | None = None,
    **group: object,
) -> dict[str, object]:
    """A group's keys (`group`) and its sums, as the report gives them; `ere_kwh` is all `kwh`."""
    return {
        **group,
        "sessions": sessions,
        "kwh": kwh,
        "ere_kwh": kwh if ere_kwh is None else ere_kwh,
        "ere_credits": ere_credits,
        "ere_value_eur": eur,
        "cost_eur": None,
        "net_cost_eur": None,
        "sessions_priced": 0,
    }


def report(
    sessions: list[Session], *group_by: GroupBy, price: ErePrice | None = None
) -> dict[str, object]:
    """The report in Amsterdam time, charger names from the sessions (else the id).

    A session counts for ERE unless it says it does not; its vehicle is `VEHICLES`' by the rule.
    """
    return energy_report(
        sessions,
        group_by=set(group_by),
        time_zone=AMSTERDAM,
        charger_name=lambda session: session.charger_nickname or session.charger_id,
        counts=lambda session: session.counts_for_ere is not False,
        vehicle_of=lambda session: vehicle_of(session.id_tag, session.charger_id, VEHICLES),
        price=price,
    )


def test_only_sessions_that_count_earn_ere_and_euros() -> None:
    """A session without MID adds its kWh to `kwh` only: not to `ere_kwh`, its credits to nothing.

    The euros are the counted credits at the price and fee given: 6.66 x 0.87 x 0.875 = 5.07.
    """
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    sessions = [
        session(start, charger_id="garage-id", kwh=20.0, ere_credits=6.66),
        session(start, charger_id="carport-id", nickname="Carport", counts_for_ere=False),
    ]

    result = report(sessions, GroupBy.CHARGER, price=ErePrice(0.87, 12.5))

    assert result["groups"] == [
        sums(1, 10.0, 0.0, ere_kwh=0.0, eur=0.0, charger_id="carport-id", charger_name="Carport"),
        sums(1, 20.0, 6.66, eur=5.07, charger_id="garage-id", charger_name="Garage"),
    ]
    assert result["total"] == sums(2, 30.0, 6.66, ere_kwh=20.0, eur=5.07)


def test_sessions_count_in_the_local_month_they_started() -> None:
    """23:30 on 31 March in Amsterdam is March, though it ends in April; 00:15 on 1 April is April.

    In UTC the second one started on 31 March (22:15Z): the month is Home Assistant's, not UTC's.
    """
    late = session(datetime(2026, 3, 31, 21, 30, tzinfo=UTC), kwh=11.0, ere_credits=3.66)
    early = session(datetime(2026, 3, 31, 22, 15, tzinfo=UTC), kwh=7.25, ere_credits=2.41)

    assert report([early, late], GroupBy.MONTH) == {
        "groups": [
            sums(1, 11.0, 3.66, month="2026-03"),
            sums(1, 7.25, 2.41, month="2026-04"),
        ],
        "total": sums(2, 18.25, 6.07),
        "running": 0,
    }


def test_sums_are_exact_to_the_wh() -> None:
    """A thousand sessions of 0.1 kWh are 100 kWh, not what adding up floats one by one gives."""
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    sessions = [
        session(start + timedelta(minutes=index), kwh=0.1, ere_credits=0.03)
        for index in range(1000)
    ]
    assert reduce(operator.add, [0.1] * 1000) != 100.0  # adding up one by one drifts

    result = report(sessions, GroupBy.MONTH)

    assert result["total"] == sums(1000, 100.0, 30.0)
    assert result["groups"] == [sums(1000, 100.0, 30.0, month="2026-05")]


def test_running_sessions_are_left_out_and_counted() -> None:
    """A running session adds nothing but is counted; an unknown status without an end too."""
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    odd = make_session(
        "odd",
        charger_id="garage-id",
        nickname="Garage",
        started_at=start,
        running=True,
        kwh=4.0,
        status="paused",
    )
    sessions = [session(start, running=True, kwh=5.5), odd, session(start, kwh=12.5)]

    result = report(sessions, GroupBy.MONTH)

    assert result["total"] == sums(1, 12.5, 3.33)
    assert result["running"] == 2


def test_missing_figures_count_as_zero() -> None:
    """A session without kWh or ERE credits (zero-kWh sessions have none) is counted with 0."""
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)

    result = report([session(start, kwh=None, ere_credits=None), session(start, kwh=0.0)])

    assert result["groups"] == [sums(2, 0.0, 3.33)]


def test_grouping_by_tag_puts_untagged_sessions_together_last() -> None:
    """Per TAG id, sorted, with the sessions without one in a group of their own: `id_tag` None."""
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    sessions = [
        session(start, id_tag=None, kwh=1.0, ere_credits=0.33),
        session(start, id_tag=TAG, kwh=2.0, ere_credits=0.67),
        session(start, id_tag=OTHER_TAG, kwh=4.0, ere_credits=1.33),
        session(start, id_tag=None, charger_id="oprit-id", nickname="Oprit", kwh=8.0),
        session(start, id_tag=TAG, kwh=16.0, ere_credits=5.33),
    ]

    assert report(sessions, GroupBy.ID_TAG)["groups"] == [
        sums(1, 4.0, 1.33, id_tag=OTHER_TAG),
        sums(2, 18.0, 6.0, id_tag=TAG),
        sums(2, 9.0, 3.66, id_tag=None),
    ]


def test_grouping_by_month_charger_and_tag() -> None:
    """All three dimensions: each combination once, by month, charger name (any case) and TAG."""
    april = datetime(2026, 4, 20, 18, tzinfo=UTC)
    may = datetime(2026, 5, 2, 18, tzinfo=UTC)
    oprit = partial(session, charger_id="oprit-id", nickname="oprit")
    sessions = [
        oprit(may, id_tag=TAG, kwh=3.0, ere_credits=1.0),
        session(may, charger_id="carport-id", nickname="Carport", kwh=1.5, ere_credits=0.5),
        oprit(april, id_tag=TAG, kwh=6.0, ere_credits=2.0),
        oprit(april, kwh=12.0, ere_credits=4.0),
        oprit(april, id_tag=TAG, kwh=24.0, ere_credits=8.0),
        session(april, kwh=48.0, ere_credits=16.0),
    ]

    result = report(sessions, GroupBy.ID_TAG, GroupBy.CHARGER, GroupBy.MONTH)

    def group(month: str, charger: tuple[str, str], id_tag: str | None, *figures: float) -> object:
        count, kwh, ere_credits = figures
        return sums(
            int(count),
            kwh,
            ere_credits,
            month=month,
            charger_id=charger[0],
            charger_name=charger[1],
            id_tag=id_tag,
        )

    assert result["groups"] == [
        group("2026-04", ("garage-id", "Garage"), None, 1, 48.0, 16.0),
        group("2026-04", ("oprit-id", "oprit"), TAG, 2, 30.0, 10.0),
        group("2026-04", ("oprit-id", "oprit"), None, 1, 12.0, 4.0),
        group("2026-05", ("carport-id", "Carport"), None, 1, 1.5, 0.5),
        group("2026-05", ("oprit-id", "oprit"), TAG, 1, 3.0, 1.0),
    ]
    assert result["total"] == sums(6, 94.5, 31.5)


def test_grouping_by_vehicle_puts_sessions_of_no_vehicle_together_last() -> None:
    """Per vehicle, by name in any case (and each of two of the same name apart), then no vehicle.

    A vehicle's sessions are those of its TAG ids and, without a TAG id, of its chargers.
    """
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    oprit = partial(session, charger_id="oprit-id", nickname="Oprit")
    sessions = [
        session(start, id_tag=TAG, kwh=1.0, ere_credits=0.33),
        oprit(start, id_tag=None, kwh=2.0, ere_credits=0.67),
        session(start, id_tag="SPARE", kwh=4.0, ere_credits=1.33),
        session(start, id_tag=None, kwh=8.0, ere_credits=2.67),
        oprit(start, id_tag="guest", kwh=16.0, ere_credits=5.33),
        session(start, id_tag=OTHER_TAG, kwh=32.0, ere_credits=10.67),
    ]

    result = report(sessions, GroupBy.VEHICLE, GroupBy.MONTH)

    assert result["groups"] == [
        sums(2, 34.0, 11.34, month="2026-05", vehicle="Lease car"),
        sums(1, 4.0, 1.33, month="2026-05", vehicle="Lease car"),
        sums(1, 1.0, 0.33, month="2026-05", vehicle="tesla"),
        sums(2, 24.0, 8.0, month="2026-05", vehicle=None),
    ]


def test_charger_groups_are_named_from_their_first_session() -> None:
    """A charger renamed since gets the name the caller gives for its first (newest) session."""
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    newest = session(start + timedelta(days=2), nickname="Schuur")
    oldest = session(start, nickname="Garage")

    result = report([newest, oldest], GroupBy.CHARGER)

    assert result["groups"] == [sums(2, 20.0, 6.66, charger_id="garage-id", charger_name="Schuur")]


def test_without_dimensions_one_group_and_without_sessions_none() -> None:
    """No dimension gives one group of everything; no session gives no group and zeros."""
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)

    assert report([session(start), session(start, charger_id="other")])["groups"] == [
        sums(2, 20.0, 6.66)
    ]
    assert report([], GroupBy.MONTH, GroupBy.ID_TAG) == {
        "groups": [],
        "total": sums(0, 0.0, 0.0),
        "running": 0,
    }


def _cost(cost_eur: float | None, net_cost_eur: float | None) -> SessionCost:
    return SessionCost(
        cost_eur=cost_eur,
        net_cost_eur=net_cost_eur,
        price_per_kwh=None,
        missing_hours=(),
        basis="spread",
    )


def test_costs_add_up_over_the_sessions_priced() -> None:
    """Cost and net cost of the sessions with a known cost; unknown ones only count as sessions."""
    start = datetime(2026, 4, 8, 18, tzinfo=UTC)
    priced, unknown, no_net, elsewhere = (
        session(start + timedelta(days=day), charger_id=charger)
        for day, charger in ((0, "garage-id"), (1, "garage-id"), (2, "garage-id"), (3, "oprit"))
    )
    costs = {
        priced.id: _cost(4.12, 1.2),
        unknown.id: _cost(None, None),
        no_net.id: _cost(2.5, None),
        elsewhere.id: _cost(1.0, 0.5),
    }
    result = energy_report(
        [priced, unknown, no_net, elsewhere],
        group_by={GroupBy.CHARGER},
        time_zone=AMSTERDAM,
        charger_name=lambda session: session.charger_id,
        counts=lambda _: True,
        vehicle_of=lambda _: None,
        price=None,
        costs=costs,
    )
    picked = [
        {key: group[key] for key in ("charger_id", "cost_eur", "net_cost_eur", "sessions_priced")}
        for group in result["groups"]
    ]
    assert picked == [
        {"charger_id": "garage-id", "cost_eur": 6.62, "net_cost_eur": 1.2, "sessions_priced": 2},
        {"charger_id": "oprit", "cost_eur": 1.0, "net_cost_eur": 0.5, "sessions_priced": 1},
    ]
    total = result["total"]
    assert (total["cost_eur"], total["net_cost_eur"], total["sessions_priced"]) == (7.62, 1.7, 3)


def test_with_a_price_source_but_nothing_priced_the_costs_are_unknown() -> None:
    """No session with a known cost: cost and net cost unknown, not 0."""
    only = session(datetime(2026, 4, 8, 18, tzinfo=UTC))
    result = energy_report(
        [only],
        group_by=set(),
        time_zone=AMSTERDAM,
        charger_name=lambda session: session.charger_id,
        counts=lambda _: True,
        vehicle_of=lambda _: None,
        price=None,
        costs={only.id: _cost(None, None)},
    )
    total = result["total"]
    assert (total["cost_eur"], total["net_cost_eur"], total["sessions_priced"]) == (None, None, 0)
