"""What a session cost: its hourly kWh at the price of each hour, net of its ERE, pure.

A price is in EUR/kWh: one fixed price, or one per UTC hour start (the mean of a price entity over
that hour, see `time_weighted_hourly_means`). An hour in which the session charged and that has no
price makes the cost unknown: a cost from part of the hours would look right and be wrong. An hour in
which it charged nothing needs no price.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EURO_DECIMALS = 2
PRICE_DECIMALS = 4
HOUR = timedelta(hours=1)
_NEVER = datetime.max.replace(tzinfo=UTC)
"""Until when the last state of a price entity lasts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionCost:
    """A session's cost (EUR), its cost net of its ERE value, and its mean price (EUR/kWh).

    Each is None when unknown; `missing_hours` are the hours it charged in without a price, and
    `basis` says how its hours were found (`observed` or `spread`).
    """

    cost_eur: float | None
    net_cost_eur: float | None
    price_per_kwh: float | None
    missing_hours: tuple[datetime, ...]
    basis: str


def session_cost(
    hourly_kwh: Sequence[tuple[datetime, float]],
    prices: Mapping[datetime, float] | float,
    ere_value_eur: float | None,
    basis: str,
) -> SessionCost:
    """Price a session's hourly kWh at `prices`, and take its ERE value (EUR) off.

    The cost is the sum of kWh times price over the hours, to the cent; the net cost that minus the ERE
    value, to the cent. The price per kWh is the unrounded cost over the kWh (to 0.0001 EUR), so a
    fixed price comes back as itself; unknown for a session without kWh.
    """
    cost = kwh = 0.0
    missing: list[datetime] = []
    for hour, charged in hourly_kwh:
        if charged <= 0:
            continue
        price = _price_in(prices, hour)
        if price is None:
            missing.append(hour)
            continue
        cost += charged * price
        kwh += charged
    if missing:
        return SessionCost(
            cost_eur=None,
            net_cost_eur=None,
            price_per_kwh=None,
            missing_hours=tuple(missing),
            basis=basis,
        )
    cost_eur = round(cost, EURO_DECIMALS)
    return SessionCost(
        cost_eur=cost_eur,
        net_cost_eur=None
        if ere_value_eur is None
        else round(cost_eur - ere_value_eur, EURO_DECIMALS),
        price_per_kwh=round(cost / kwh, PRICE_DECIMALS) if kwh else None,
        missing_hours=(),
        basis=basis,
    )


@dataclass(slots=True)
class CostSums:
    """The costs of several sessions added up: what was priced, what it cost, and net of its ERE.

    Sessions with an unknown cost count only in `sessions`; the net cost and its price per kWh are
    over the priced sessions whose ERE value is known.
    """

    sessions: int = 0
    sessions_priced: int = 0
    cost_eur: float = 0.0
    net_cost_eur: float = 0.0
    net_kwh: float = 0.0

    def add(self, kwh: float, cost: SessionCost) -> None:
        """Add a session of `kwh` that cost `cost`."""
        self.sessions += 1
        if cost.cost_eur is None:
            return
        self.sessions_priced += 1
        self.cost_eur = round(self.cost_eur + cost.cost_eur, EURO_DECIMALS)
        if cost.net_cost_eur is not None:
            self.net_cost_eur = round(self.net_cost_eur + cost.net_cost_eur, EURO_DECIMALS)
            self.net_kwh += kwh

    @property
    def net_price_per_kwh(self) -> float | None:
        """The net cost over the kWh it is of (EUR/kWh); unknown without such kWh."""
        return round(self.net_cost_eur / self.net_kwh, PRICE_DECIMALS) if self.net_kwh else None


def _price_in(prices: Mapping[datetime, float] | float, hour: datetime) -> float | None:
    """The price (EUR/kWh) in the hour starting at `hour`: the fixed one, else the hour's own."""
    return prices.get(hour) if isinstance(prices, Mapping) else prices


def time_weighted_hourly_means(
    states: Sequence[tuple[datetime, float | None]], hours: Sequence[datetime]
) -> dict[datetime, float]:
    """The mean of a price entity over each of `hours` (hour starts), weighted by time.

    `states` are its changes: when, and the value from then on (None while unavailable or unknown),
    in any order. A state lasts until the next change, the last one for good; the state in force at
    an hour's start counts from that start. An hour is averaged over the part of it with a known
    value; an hour without one is left out.
    """
    ordered = sorted(states, key=lambda state: state[0])
    changes = [since for since, _ in ordered]
    ends = [*changes[1:], _NEVER]
    means = {}
    for hour in hours:
        end = hour + HOUR
        weighted = known = 0.0
        for index in range(max(bisect_right(changes, hour) - 1, 0), len(ordered)):
            since, value = ordered[index]
            if since >= end:
                break
            if value is not None:
                seconds = (min(ends[index], end) - max(since, hour)).total_seconds()
                weighted += value * seconds
                known += seconds
        if known:
            means[hour] = weighted / known
    return means
