"""The reimbursement statement of `joulo.get_reimbursement_statement`: one vehicle's month, pure.

A statement lists the completed sessions of one vehicle (`vehicles.vehicle_of`) that started in one
month of a time zone, oldest first, each with its energy, its cost, the ERE it earned and what is
reimbursed for it, and their totals; `statement_csv` writes the same as CSV. Nothing of Home
Assistant or the API: what a lease-car driver hands in is tested on its own.

What is reimbursed per session follows the vehicle's `Reimbursement`: nothing (`none`: null), its
kWh at the vehicle's rate (`fixed_rate`, rounded half up to the cent, as a bill is), its cost
(`cost`), or its cost less the euros of its ERE (`net_cost`). A figure that is not known is null: a
cost without a price for every hour it charged, ERE euros while no ERE price is known (a session on a
charger without MID earns none: 0), what is reimbursed when what it is made of is not known.

A total is null when any of its sessions' figures is: a sum of the known ones would look complete and
be too low, and a statement is handed in as it is. Costs and what is reimbursed are null without a
price source or without reimbursement, also for a month without sessions. Totals are added in whole
Wh and cents, so they are exact however many sessions there are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
import csv
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
import io
import re
from typing import Any, Final, Self

from .api import Session
from .cost import SessionCost
from .ere import SessionEre
from .periods import DECEMBER, month_start, next_month_start
from .vehicles import Reimbursement, Vehicle, vehicle_of

SESSION_KEYS: Final = (
    "started_at",
    "ended_at",
    "charger_name",
    "mid_certified",
    "id_tag",
    "kwh",
    "cost_eur",
    "price_per_kwh",
    "ere_credits",
    "ere_value_eur",
    "reimbursement_eur",
)
"""The figures of each session, in the order of the CSV's columns."""
TOTAL_LABEL: Final = "total"
"""The first cell of the CSV's last row, which holds the totals."""
FIRST_YEAR: Final = 1970
"""The first year a month can be in: no session is older, and a month's start in any time zone is
then within what a `datetime` holds (that of January in year 1 is not, east of UTC)."""
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A calendar month, `YYYY-MM`: which moments are in it depends on the time zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Self | None:
        """The month written as `YYYY-MM` (from `FIRST_YEAR` on); None for anything else."""
        if (match := _MONTH.fullmatch(text.strip())) is None:
            return None
        year, month = int(match[1]), int(match[2])
        if year < FIRST_YEAR or not 1 <= month <= DECEMBER:
            return None
        return cls(year, month)

    @classmethod
    def of(cls, moment: datetime, zone: tzinfo) -> Self:
        """The month the aware `moment` lies in, in `zone`."""
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    def previous(self) -> Month:
        """The month before this one."""
        if self.month == 1:
            return Month(self.year - 1, DECEMBER)
        return Month(self.year, self.month - 1)

    def start(self, zone: tzinfo) -> datetime:
        """Its first moment in `zone`."""
        return month_start(self.year, self.month, zone)

    def end(self, zone: tzinfo) -> datetime:
        """The first moment of the next month in `zone`."""
        return next_month_start(self.start(zone), zone)

    def __str__(self) -> str:
        """`YYYY-MM`."""
        return f"{self.year:04d}-{self.month:02d}"


def vehicle_sessions(
    sessions: Iterable[Session],
    vehicle: Vehicle,
    vehicles: Sequence[Vehicle],
    start: datetime,
    end: datetime,
) -> list[Session]:
    """The completed sessions of `vehicle` among `vehicles` that started in [start, end), oldest first.

    Sessions that started at the same moment are in the order of their ids.
    """
    return sorted(
        (
            session
            for session in sessions
            if session.is_completed
            and start <= session.started_at < end
            and vehicle_of(session.id_tag, session.charger_id, vehicles) == vehicle
        ),
        key=lambda session: (session.started_at, session.id),
    )


def statement(
    vehicle: Vehicle,
    month: Month,
    sessions: Iterable[Session],
    *,
    id_tags: Sequence[str],
    time_zone: tzinfo,
    charger_name: Callable[[Session], str],
    ere_of: Callable[[Session], SessionEre],
    costs: Mapping[str, SessionCost] | None,
) -> dict[str, Any]:
    """The statement of `vehicle`'s `sessions` (see `vehicle_sessions`) in `month`, in their order.

    Returns `{"vehicle", "month", "id_tags", "reimbursement", "rate", "sessions", "total"}`: each
    session with the figures of `SESSION_KEYS` (times in ISO 8601 in `time_zone`; `mid_certified`
    whether it counts for ERE, as `ere_of` says; its cost from `costs`, by session id, None without
    a price source) and the totals of its `sessions`, `kwh`, `cost_eur`, `ere_value_eur` and
    `reimbursement_eur`. `id_tags` are the vehicle's TAG ids as they are spelled; `rate` is given
    for a fixed rate only.
    """
    rows = [
        _row(session, vehicle, time_zone, charger_name(session), ere_of(session), costs=costs)
        for session in sessions
    ]
    priced = costs is not None
    reimbursed = vehicle.reimbursement is not Reimbursement.NONE
    return {
        "vehicle": vehicle.name,
        "month": str(month),
        "id_tags": list(id_tags),
        "reimbursement": vehicle.reimbursement.value,
        "rate": vehicle.rate if vehicle.reimbursement is Reimbursement.FIXED_RATE else None,
        "sessions": rows,
        "total": {
            "sessions": len(rows),
            "kwh": _sum([row["kwh"] for row in rows], 3),
            "cost_eur": _sum([row["cost_eur"] for row in rows], 2) if priced else None,
            "ere_value_eur": _sum([row["ere_value_eur"] for row in rows], 2),
            "reimbursement_eur": (
                _sum([row["reimbursement_eur"] for row in rows], 2) if reimbursed else None
            ),
        },
    }


def statement_csv(statement: Mapping[str, Any]) -> str:
    """A statement as CSV: a header of `SESSION_KEYS`, a row per session, then a row of the totals.

    The totals' row starts with "total" and holds each total under its column. Numbers are plain
    decimals with a dot, unknown figures empty cells, `mid_certified` `true` or `false`.
    """
    total = {**statement["total"], SESSION_KEYS[0]: TOTAL_LABEL}
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(SESSION_KEYS)
    for row in [*statement["sessions"], total]:
        writer.writerow([_cell(row.get(key)) for key in SESSION_KEYS])
    return text.getvalue()


def _row(
    session: Session,
    vehicle: Vehicle,
    time_zone: tzinfo,
    charger_name: str,
    ere: SessionEre,
    *,
    costs: Mapping[str, SessionCost] | None,
) -> dict[str, Any]:
    """One session's figures (`SESSION_KEYS`)."""
    kwh = session.kwh or 0.0
    cost = None if costs is None else costs.get(session.id)
    cost_eur = None if cost is None else cost.cost_eur
    ere_value_eur = ere.value if ere.counts else 0.0
    return {
        "started_at": session.started_at.astimezone(time_zone).isoformat(),
        "ended_at": session.ended_or_started_at.astimezone(time_zone).isoformat(),
        "charger_name": charger_name,
        "mid_certified": ere.counts,
        "id_tag": session.id_tag,
        "kwh": kwh,
        "cost_eur": cost_eur,
        "price_per_kwh": None if cost is None else cost.price_per_kwh,
        "ere_credits": ere.credits,
        "ere_value_eur": ere_value_eur,
        "reimbursement_eur": _reimbursed(vehicle, kwh, cost_eur, ere_value_eur),
    }


def _reimbursed(
    vehicle: Vehicle, kwh: float, cost_eur: float | None, ere_value_eur: float | None
) -> float | None:
    """What is reimbursed for a session of `kwh` that cost `cost_eur` and earned `ere_value_eur`."""
    kind = vehicle.reimbursement
    if kind is Reimbursement.NONE:
        return None
    if kind is Reimbursement.FIXED_RATE:
        if vehicle.rate is None:
            return None
        # In decimals, as written: 12.34 kWh at 0.25 is 3.085, which a float holds as 3.08499...
        amount = Decimal(repr(kwh)) * Decimal(repr(vehicle.rate))
        return float(amount.quantize(_CENT, rounding=ROUND_HALF_UP))
    if kind is Reimbursement.COST:
        return cost_eur
    if cost_eur is None or ere_value_eur is None:  # net_cost
        return None
    return round(cost_eur - ere_value_eur, 2)


def _sum(values: Sequence[float | None], decimals: int) -> float | None:
    """The exact sum of `values` to `decimals` decimals; None when any is unknown."""
    scale: int = 10**decimals
    units = 0
    for value in values:
        if value is None:
            return None
        units += round(value * scale)
    return round(units / scale, decimals)


def _cell(value: object) -> str:
    """A figure as a CSV cell: empty when unknown, a plain decimal for a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)
