"""The energy report of `joulo.get_energy_report`: completed sessions by month, charger, TAG and vehicle.

Pure: it turns sessions into the action's response and knows nothing of Home Assistant or the API,
so what a lease-car driver hands in for reimbursement is tested on its own.

Only the sessions that count for ERE add to `ere_kwh` and `ere_credits` (a charger without a MID meter
earns none); `kwh` is every session's energy. `ere_value_eur` values those credits at the price known
now (None while none is). With a price source, `cost_eur` and `net_cost_eur` add up the costs of the
sessions whose cost is known (`sessions_priced` of them; None while none is), without one they are
None and `sessions_priced` 0.

A session counts in the month (in the given time zone) in which it started, so a session from 23:30
on the last day of a month into the next morning is in the month it started in. Sums are kept in
whole Wh and thousandths of an ERE credit, so they are exact however many sessions there are.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum
from typing import Any

from .api import Session
from .cost import CostSums, SessionCost
from .ere import ErePrice, ere_value
from .vehicles import Vehicle

MILLI = 1000


class GroupBy(StrEnum):
    """What the report can group sessions by, in any combination."""

    MONTH = "month"
    """The month it started in, `YYYY-MM`: the group gets a `month` key."""
    CHARGER = "charger"
    """The charger: the group gets `charger_id` and `charger_name`."""
    ID_TAG = "id_tag"
    """The RFID/TAG id (the car, for EVCC users): the group gets `id_tag`, None for untagged."""
    VEHICLE = "vehicle"
    """The vehicle (see `vehicles.vehicle_of`): the group gets its name as `vehicle`, None for none."""


@dataclass(slots=True)
class _Sums:
    """Sessions counted, energy in Wh (all, and of ERE) and ERE credits in thousandths, all exact."""

    sessions: int = 0
    wh: int = 0
    ere_wh: int = 0
    milli_ere: int = 0
    costs: CostSums = field(default_factory=CostSums)

    def add(self, session: Session, *, counts: bool, cost: SessionCost | None) -> None:
        wh = round((session.kwh or 0.0) * MILLI)
        self.sessions += 1
        self.wh += wh
        if counts:
            self.ere_wh += wh
            self.milli_ere += round((session.ere_credits or 0.0) * MILLI)
        if cost is not None:
            self.costs.add(session.kwh or 0.0, cost)

    def as_dict(self, price: ErePrice | None) -> dict[str, Any]:
        credits_ = round(self.milli_ere / MILLI, 3)
        costs = self.costs
        return {
            "sessions": self.sessions,
            "kwh": round(self.wh / MILLI, 3),
            "ere_kwh": round(self.ere_wh / MILLI, 3),
            "ere_credits": credits_,
            "ere_value_eur": ere_value(credits_, price),
            "cost_eur": costs.cost_eur if costs.sessions_priced else None,
            "net_cost_eur": costs.net_cost_eur if costs.net_kwh else None,
            "sessions_priced": costs.sessions_priced,
        }


@dataclass(slots=True)
class _Group:
    """One group's dimension values (the response keys) and its sums."""

    keys: dict[str, str | None]
    vehicle_id: str | None
    """The vehicle's subentry id: two vehicles may share a name."""
    sums: _Sums = field(default_factory=_Sums)

    def sort_key(self) -> tuple[str, str, str, bool, str, bool, str, str]:
        """Month, charger name (and id, for equal names), TAG id, vehicle name: with none last."""
        id_tag = self.keys.get("id_tag")
        vehicle = self.keys.get("vehicle")
        return (
            self.keys.get("month") or "",
            (self.keys.get("charger_name") or "").casefold(),
            self.keys.get("charger_id") or "",
            id_tag is None,
            id_tag or "",
            vehicle is None,
            (vehicle or "").casefold(),
            self.vehicle_id or "",
        )


def energy_report(
    sessions: Iterable[Session],
    *,
    group_by: Collection[GroupBy],
    time_zone: tzinfo,
    charger_name: Callable[[Session], str],
    counts: Callable[[Session], bool],
    vehicle_of: Callable[[Session], Vehicle | None],
    price: ErePrice | None,
    costs: Mapping[str, SessionCost] | None = None,
) -> dict[str, Any]:
    """Sum the completed sessions per group; count the others as running.

    Returns `{"groups": [...], "total": {...}, "running": N}`. Each group holds the keys of the
    dimensions in `group_by` (`month`; `charger_id` and `charger_name`; `id_tag`; `vehicle`, the name
    of the session's vehicle as `vehicle_of` says, None for none) and `sessions`,
    `kwh`, `ere_kwh`, `ere_credits` (of the sessions that `counts` for ERE) and `ere_value_eur` (at
    `price`), and the sums of `costs` (by session id; None without a price source); without any
    dimension there is one group of every session. Groups are sorted by month, charger name, TAG id
    and vehicle name. `charger_name` names a group's charger from its first session (pass the
    newest first, as the API lists them, for the current name).
    """
    groups: dict[tuple[str | None, str | None, str | None, str | None], _Group] = {}
    total = _Sums()
    running = 0
    for session in sessions:
        if not session.is_completed:
            running += 1
            continue
        month = _month(session, time_zone) if GroupBy.MONTH in group_by else None
        charger_id = session.charger_id if GroupBy.CHARGER in group_by else None
        id_tag = session.id_tag if GroupBy.ID_TAG in group_by else None
        vehicle = vehicle_of(session) if GroupBy.VEHICLE in group_by else None
        key = (month, charger_id, id_tag, None if vehicle is None else vehicle.subentry_id)
        group = groups.get(key)
        if group is None:
            keys: dict[str, str | None] = {}
            if GroupBy.MONTH in group_by:
                keys["month"] = month
            if GroupBy.CHARGER in group_by:
                keys["charger_id"] = charger_id
                keys["charger_name"] = charger_name(session)
            if GroupBy.ID_TAG in group_by:
                keys["id_tag"] = id_tag
            if GroupBy.VEHICLE in group_by:
                keys["vehicle"] = None if vehicle is None else vehicle.name
            group = groups[key] = _Group(keys, key[3])
        counted = counts(session)
        cost = None if costs is None else costs.get(session.id)
        group.sums.add(session, counts=counted, cost=cost)
        total.add(session, counts=counted, cost=cost)
    return {
        "groups": [
            group.keys | group.sums.as_dict(price)
            for group in sorted(groups.values(), key=_Group.sort_key)
        ],
        "total": total.as_dict(price),
        "running": running,
    }


def _month(session: Session, time_zone: tzinfo) -> str:
    """The month (`YYYY-MM`) in which the session started, in `time_zone`."""
    started = session.started_at.astimezone(time_zone)
    return f"{started.year:04d}-{started.month:02d}"
