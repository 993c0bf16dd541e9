"""Vehicles: which car a charging session was, read from the vehicles a user added to the account.

Pure: no Home Assistant import. Each vehicle is stored as the data of one config subentry: a name, the
TAG ids (RFID cards) it charges with, the chargers whose sessions without a TAG id are its own, and how
its charging is reimbursed. The TAG id of a session says which vehicle it was; tags are compared
without case and surrounding spaces.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Protocol

from .cost import EURO_DECIMALS, CostSums, SessionCost

SUBENTRY_TYPE_VEHICLE: Final = "vehicle"
"""The type of the config subentries that store vehicles."""

CONF_NAME: Final = "name"
CONF_ID_TAGS: Final = "id_tags"
"""The TAG ids of the vehicle's cards, as entered."""
CONF_CHARGERS: Final = "chargers"
"""The Joulo ids of the chargers whose sessions without a TAG id are the vehicle's."""
CONF_REIMBURSEMENT: Final = "reimbursement"
CONF_RATE: Final = "rate"
"""The fixed rate of a `fixed_rate` reimbursement, in EUR/kWh."""

DEFAULT_NAME: Final = "Vehicle"
"""The name of a vehicle whose stored name is unreadable."""


class Reimbursement(StrEnum):
    """How the charging of a vehicle is reimbursed (by an employer, say)."""

    NONE = "none"
    FIXED_RATE = "fixed_rate"
    """A fixed rate per kWh."""
    COST = "cost"
    """What the charging cost."""
    NET_COST = "net_cost"
    """What the charging cost, less what its ERE credits brought."""


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle of the account, as read from its stored data."""

    subentry_id: str
    name: str
    id_tags: frozenset[str]
    """Its TAG ids, normalised (see `normalise_tag`)."""
    chargers: frozenset[str]
    """The chargers whose sessions without a TAG id are this vehicle's."""
    reimbursement: Reimbursement = Reimbursement.NONE
    rate: float | None = None
    """EUR/kWh, for a fixed rate."""


def normalise_tag(tag: str) -> str:
    """A TAG id as it is compared: without surrounding spaces, and without case."""
    return tag.strip().casefold()


def clean_tags(tags: Iterable[str]) -> list[str]:
    """TAG ids as they are stored: stripped, empty ones left out, each once (the first spelling)."""
    kept: dict[str, str] = {}
    for tag in tags:
        if (stripped := tag.strip()) and (key := normalise_tag(stripped)) not in kept:
            kept[key] = stripped
    return list(kept.values())


def vehicle_data(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A vehicle's data as it is stored, from its form's answer or from data stored before.

    Its name and TAG ids without surrounding spaces, each tag and charger once; a rate only when one
    is given. What cannot be read counts as not given: a blank name is "Vehicle", an unknown
    reimbursement `none`; a single tag or charger stored as text rather than a list is a list of one.
    """
    name = answer.get(CONF_NAME)
    try:
        reimbursement = Reimbursement(answer.get(CONF_REIMBURSEMENT, Reimbursement.NONE))
    except ValueError:
        reimbursement = Reimbursement.NONE
    data: dict[str, Any] = {
        CONF_NAME: name.strip() if isinstance(name, str) and name.strip() else DEFAULT_NAME,
        CONF_ID_TAGS: clean_tags(_texts(answer.get(CONF_ID_TAGS))),
        CONF_CHARGERS: list(dict.fromkeys(filter(None, _texts(answer.get(CONF_CHARGERS))))),
        CONF_REIMBURSEMENT: reimbursement.value,
    }
    rate = answer.get(CONF_RATE)
    if isinstance(rate, int | float) and not isinstance(rate, bool):
        data[CONF_RATE] = float(rate)
    return data


def vehicle_from(subentry_id: str, data: Mapping[str, Any]) -> Vehicle:
    """Read a vehicle from its stored data (see `vehicle_data`)."""
    clean = vehicle_data(data)
    return Vehicle(
        subentry_id=subentry_id,
        name=clean[CONF_NAME],
        id_tags=frozenset(normalise_tag(tag) for tag in clean[CONF_ID_TAGS]),
        chargers=frozenset(clean[CONF_CHARGERS]),
        reimbursement=Reimbursement(clean[CONF_REIMBURSEMENT]),
        rate=clean.get(CONF_RATE),
    )


class StoredSubentry(Protocol):
    """A config subentry as it is stored: Home Assistant's `ConfigSubentry` is one."""

    @property
    def subentry_id(self) -> str:
        """Its id."""

    @property
    def subentry_type(self) -> str:
        """What it stores: a vehicle, or something else."""

    @property
    def data(self) -> Mapping[str, Any]:
        """What it stores."""


def vehicles_from(subentries: Iterable[StoredSubentry]) -> tuple[Vehicle, ...]:
    """The vehicles among an entry's subentries, read from their stored data."""
    return tuple(
        vehicle_from(subentry.subentry_id, subentry.data)
        for subentry in subentries
        if subentry.subentry_type == SUBENTRY_TYPE_VEHICLE
    )


def vehicle_of(
    id_tag: str | None, charger_id: str | None, vehicles: Iterable[Vehicle]
) -> Vehicle | None:
    """Which vehicle a session was, from its TAG id and its charger.

    The vehicle that lists the TAG id; for a session without one (an empty or blank one is none),
    the vehicle that claims its charger. A TAG id no vehicle lists is no vehicle's, even on a claimed
    charger: another car charged there.
    """
    if id_tag and (tag := normalise_tag(id_tag)):
        return next((vehicle for vehicle in vehicles if tag in vehicle.id_tags), None)
    if charger_id is None:
        return None
    return next((vehicle for vehicle in vehicles if charger_id in vehicle.chargers), None)


def vehicle_errors(data: Mapping[str, Any], others: Collection[Vehicle]) -> dict[str, str]:
    """What is wrong with a vehicle's data, by field of its form (`base` for the whole).

    It needs a TAG id or a charger to recognise its sessions by; no other vehicle may list one of its
    tags or claim one of its chargers; a fixed rate needs its rate.
    """
    vehicle = vehicle_from("", data)
    errors: dict[str, str] = {}
    if not vehicle.id_tags and not vehicle.chargers:
        errors["base"] = "no_tag_or_charger"
    if any(vehicle.id_tags & other.id_tags for other in others):
        errors[CONF_ID_TAGS] = "tag_in_use"
    if any(vehicle.chargers & other.chargers for other in others):
        errors[CONF_CHARGERS] = "charger_in_use"
    if vehicle.reimbursement is Reimbursement.FIXED_RATE and vehicle.rate is None:
        errors[CONF_RATE] = "rate_required"
    return errors


def _texts(value: object) -> list[str]:
    """The texts of a stored list (one text alone counts as a list of one); anything else: none."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


class KeptSession(Protocol):
    """A completed session as the month figures of a vehicle need it."""

    @property
    def charger_id(self) -> str:
        """Its charger."""

    @property
    def id_tag(self) -> str | None:
        """Its TAG id, if any."""

    @property
    def started_at(self) -> datetime:
        """When it started."""

    @property
    def kwh(self) -> float:
        """What it charged."""

    @property
    def ere_credits(self) -> float:
        """Its ERE credits that count (0 on a charger without MID)."""

    @property
    def cost(self) -> SessionCost | None:
        """What it cost (None without a price source)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleFigures:
    """What a vehicle charged in a period: sessions, kWh, cost, ERE value and reimbursement (EUR).

    The cost adds up the sessions with a known cost (None without a price source, or when none is
    known); the ERE value is of the credits that count, at today's price (None while none is known).
    """

    sessions: int
    kwh: float
    cost_eur: float | None
    ere_value_eur: float | None
    reimbursement_eur: float | None


def sessions_of[SessionT: KeptSession](
    vehicle: Vehicle, vehicles: Iterable[Vehicle], sessions: Iterable[SessionT]
) -> list[SessionT]:
    """The sessions that were `vehicle`'s (see `vehicle_of`), oldest first."""
    others = tuple(vehicles)
    return sorted(
        (
            session
            for session in sessions
            if vehicle_of(session.id_tag, session.charger_id, others) == vehicle
        ),
        key=lambda session: session.started_at,
    )


def vehicle_figures(
    vehicle: Vehicle,
    sessions: Iterable[KeptSession],
    *,
    priced: bool,
    ere_value: Callable[[float], float | None],
) -> VehicleFigures:
    """Add up a vehicle's `sessions` (already its own), and what its employer pays back for them.

    `priced`: whether there is a price source; `ere_value` values ERE credits in EUR (None while no
    price is known). The reimbursement follows the vehicle's kind: `none` none; `fixed_rate` the kWh
    at its rate; `cost` the cost; `net_cost` the cost less the ERE value. Each in cents.
    """
    costs = CostSums()
    count = 0
    wh = 0
    credits_ = 0.0
    for session in sessions:
        count += 1
        wh += round(session.kwh * 1000)
        credits_ += session.ere_credits
        if session.cost is not None:
            costs.add(session.kwh, session.cost)
    kwh = wh / 1000
    # Nothing charged costs nothing; charged, but nothing priced, costs what is not known.
    cost = costs.cost_eur if priced and (costs.sessions_priced or not count) else None
    value = ere_value(round(credits_, 3))
    return VehicleFigures(
        sessions=count,
        kwh=kwh,
        cost_eur=cost,
        ere_value_eur=value,
        reimbursement_eur=_reimbursement(vehicle, kwh, cost, value),
    )


def _reimbursement(
    vehicle: Vehicle, kwh: float, cost: float | None, ere_value: float | None
) -> float | None:
    """What the vehicle's employer pays back for `kwh` that cost `cost` and earned `ere_value`."""
    match vehicle.reimbursement:
        case Reimbursement.FIXED_RATE:
            return None if vehicle.rate is None else round(kwh * vehicle.rate, EURO_DECIMALS)
        case Reimbursement.COST:
            return cost
        case Reimbursement.NET_COST:
            if cost is None or ere_value is None:
                return None
            return round(cost - ere_value, EURO_DECIMALS)
        case _:
            return None
