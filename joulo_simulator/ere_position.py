"""The ``GET /ere-position`` answer: the money side of an account's ERE in one compliance year.

Built from the completed MID sessions that ``/energy`` counts, so it agrees with ``/energy`` and
``/me``. The compliance year is the current UTC year; a session belongs to the quarter in which it
started, as it belongs to that month in ``/energy``. Quarters before the previous one have been
paid; the previous quarter is sold, partly payable and the rest reserved; of the current quarter
part is reserved and the rest unsold. Prices and shares are drawn per quarter (and the indicative
price per day) from the account, so the same seed and date give the same answer.

``pending_ere`` is what has not been paid out yet; ``unsold.future_ere`` is the unsold ERE of
this month's sessions (registered at the month's end), ``unsold.ytd_ere`` the rest. Euro amounts
are net of the platform fee; ``total_expected_eur`` adds to ``ytd_expected_eur`` the rest of the
year at the charging rate of the last 90 days (of this year) at the indicative price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from .account import SimAccount, SimSession, seeded_random
from .clock import as_utc
from .responses import Json

FORECAST_HISTORY = timedelta(days=90)
"""How far back the forecast looks for the account's charging rate."""
_PRICE_SPREAD = (0.92, 1.08)
"""Realized prices per quarter, relative to the mid price."""
_INDICATIVE_SPREAD = (0.96, 1.04)
_PAYABLE_SHARE = (0.55, 0.85)
"""The part of the previous quarter that is payable; the rest is reserved."""
_RESERVED_SHARE = (0.15, 0.45)
"""The part of the current quarter already reserved by buyers; the rest is unsold."""
_HIGH_CONFIDENCE_DAYS = 60
_MEDIUM_CONFIDENCE_DAYS = 30
_STATUSES = ("paid", "payable", "reserved")


@dataclass
class _Sold:
    """ERE sold with one status (paid, payable or reserved), and their gross value."""

    ere: float = 0.0
    gross_eur: float = 0.0

    def add(self, ere: float, price: float) -> None:
        self.ere += ere
        self.gross_eur += ere * price


@dataclass
class _Quarter:
    number: int
    ere: float = 0.0
    price: float = 0.0
    sold: dict[str, float] = field(default_factory=dict)
    """ERE per status."""


def ere_position_document(
    account: SimAccount, completed: Iterable[SimSession], now: datetime
) -> dict[str, Json]:
    """Return the ``GET /ere-position`` answer of ``account`` at ``now``.

    ``completed`` are the sessions ``/energy`` counts; the year's ``allocatable_ere`` is the ERE of
    those that are MID and started this year, and ``paid + payable + reserved + unsold`` adds up
    to it.
    """
    now = as_utc(now)
    year, current = now.year, (now.month - 1) // 3 + 1
    history_start = max(datetime(year, 1, 1, tzinfo=UTC), now - FORECAST_HISTORY)
    quarters = [_Quarter(number) for number in range(1, current + 1)]
    this_month = recent = 0.0
    for session in completed:
        started = as_utc(session.started_at)
        if not session.mid_certified or session.ere_credits is None or started.year != year:
            continue
        quarters[(started.month - 1) // 3].ere += session.ere_credits
        this_month += session.ere_credits if started.month == now.month else 0.0
        recent += session.ere_credits if started >= history_start else 0.0

    net = 1 - account.effective_fee_pct / 100
    totals = {status: _Sold() for status in _STATUSES}
    for quarter in quarters:
        _sell(account, year, current, quarter)
        for status, ere in quarter.sold.items():
            totals[status].add(ere, quarter.price)
    allocatable = round(sum(quarter.ere for quarter in quarters), 2)
    unsold = round(allocatable - sum(sold.ere for sold in totals.values()), 2)
    future_unsold = round(min(this_month, quarters[-1].ere - sum(quarters[-1].sold.values())), 2)

    indicative = _indicative_price(account, now.date())
    unsold_eur = round(unsold * indicative * net, 2)
    ytd_unsold_eur = round((unsold - future_unsold) * indicative * net, 2)
    sold_eur = {status: round(sold.gross_eur * net, 2) for status, sold in totals.items()}
    ytd_expected = round(sum(sold_eur.values()) + unsold_eur, 2)
    history_days = (now - history_start).days
    days_left = (datetime(year + 1, 1, 1, tzinfo=UTC) - now) / timedelta(days=1)
    projected = recent / history_days * days_left if history_days else 0.0
    sold_ere = sum(sold.ere for sold in totals.values())
    sold_gross = sum(sold.gross_eur for sold in totals.values())
    document: dict[str, Json] = {
        "compliance_year": year,
        "pending_ere": round(allocatable - totals["paid"].ere, 2),
        "allocatable_ere": allocatable,
        "ytd_expected_eur": ytd_expected,
        "total_expected_eur": round(ytd_expected + projected * indicative * net, 2),
        "pending_forecast_net_eur": unsold_eur,
        "effective_fee_pct": round(account.effective_fee_pct, 2),
        "indicative_price_per_ere": indicative,
        "realized_avg_price": round(sold_gross / sold_ere, 2) if sold_ere else None,
        "forecast_confidence": _confidence(history_days, recent),
        "forecast_is_projected": history_days < FORECAST_HISTORY.days,
        "forecast_history_days": history_days,
    }
    for status, sold in totals.items():
        document[status] = {
            "ere": round(sold.ere, 2),
            "net_eur": sold_eur[status],
            "price_per_ere": round(sold.gross_eur / sold.ere, 2) if sold.ere else None,
        }
    return document | {
        "unsold": {
            "ere": unsold,
            "ytd_ere": round(unsold - future_unsold, 2),
            "future_ere": future_unsold,
            "forecast_net_eur": unsold_eur,
            "ytd_forecast_net_eur": ytd_unsold_eur,
            "future_forecast_net_eur": round(unsold_eur - ytd_unsold_eur, 2),
        },
        "quarters": [_quarter_json(year, current, quarter, net) for quarter in quarters],
    }


def _sell(account: SimAccount, year: int, current: int, quarter: _Quarter) -> None:
    """Give ``quarter`` its price and split its ERE over paid, payable and reserved."""
    rng = seeded_random(f"{account.id}:{year}-Q{quarter.number}")
    quarter.price = round(account.ere_price_mid * rng.uniform(*_PRICE_SPREAD), 2)
    payable_share, reserved_share = rng.uniform(*_PAYABLE_SHARE), rng.uniform(*_RESERVED_SHARE)
    ere = quarter.ere = round(quarter.ere, 2)
    if quarter.number < current - 1:
        quarter.sold = {"paid": ere}
    elif quarter.number == current - 1:
        payable = round(ere * payable_share, 2)
        quarter.sold = {"payable": payable, "reserved": round(ere - payable, 2)}
    else:
        quarter.sold = {"reserved": round(ere * reserved_share, 2)}


def _quarter_json(year: int, current: int, quarter: _Quarter, net: float) -> dict[str, Json]:
    by_status = {
        status: round(quarter.sold.get(status, 0.0) * quarter.price * net, 2)
        for status in _STATUSES
    }
    net_eur_by_status: dict[str, Json] = dict(by_status)
    sold = round(sum(quarter.sold.values()), 2)
    return {
        "quarter": f"{year}-Q{quarter.number}",
        "final": quarter.number < current,
        "ere": quarter.ere,
        "sold_ere": sold,
        "unsold_ere": round(quarter.ere - sold, 2),
        "price_per_ere": quarter.price,
        "realized_net_eur": round(sum(by_status.values()), 2),
        "net_eur_by_status": net_eur_by_status,
    }


def _indicative_price(account: SimAccount, day: date) -> float:
    """The day's indicative price per ERE, around the account's mid price."""
    rng = seeded_random(f"{account.id}:{day.isoformat()}")
    return round(account.ere_price_mid * rng.uniform(*_INDICATIVE_SPREAD), 2)


def _confidence(history_days: int, recent_ere: float) -> str:
    """How sure the forecast is: it rests on up to 90 days of this year's charging."""
    if recent_ere <= 0 or history_days < _MEDIUM_CONFIDENCE_DAYS:
        return "low"
    return "high" if history_days >= _HIGH_CONFIDENCE_DAYS else "medium"
