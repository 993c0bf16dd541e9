"""Where charging prices come from: the entry's price source, and which price units can be read.

Pure: no Home Assistant import. A price entity's unit is read the way Home Assistant's Energy dashboard
reads an energy price entity's: any text, then `/` and an energy unit (`EUR/kWh`, `SEK/MWh`, `€/Wh`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
from types import MappingProxyType
from typing import Any, Final

CONF_PRICE_ENTITY: Final = "price_entity"
"""The option naming the sensor whose state is the energy price."""
CONF_FIXED_PRICE: Final = "fixed_price"
"""The option holding one fixed price, in EUR/kWh."""

_WH_IN_JOULES: Final = 3600.0
_CALORIES_IN_JOULES: Final = 4.184
_THERM_IN_JOULES: Final = 1.054804e8  # the U.S. therm (NIST SP 811)

_PER_KWH: Final[Mapping[str, float]] = MappingProxyType(
    {
        "J": _WH_IN_JOULES * 1e3,
        "kJ": _WH_IN_JOULES,
        "MJ": _WH_IN_JOULES / 1e3,
        "GJ": _WH_IN_JOULES / 1e6,
        "mWh": 1e6,
        "Wh": 1e3,
        "kWh": 1.0,
        "MWh": 1e-3,
        "GWh": 1e-6,
        "TWh": 1e-9,
        "cal": _WH_IN_JOULES * 1e3 / _CALORIES_IN_JOULES,
        "kcal": _WH_IN_JOULES / _CALORIES_IN_JOULES,
        "Mcal": _WH_IN_JOULES / 1e3 / _CALORIES_IN_JOULES,
        "Gcal": _WH_IN_JOULES / 1e6 / _CALORIES_IN_JOULES,
        "thm": _WH_IN_JOULES * 1e3 / _THERM_IN_JOULES,
    }
)
"""How many of each energy unit make one kWh: Home Assistant's energy units, with its ratios."""


def price_unit_factor(unit: object) -> float | None:
    """The factor that turns a price in `unit` into a price per kWh; None if it is not a price unit.

    A price unit is a currency per energy unit, as the Energy dashboard accepts it: the unit ends in
    `/` and one of Home Assistant's energy units, exactly as written (`EUR/kWh` → 1, `EUR/MWh` → 0.001,
    `EUR/Wh` → 1000; `EUR/kwh` and `kWh` are not price units). Like the dashboard, it does not read
    the currency.
    """
    if not isinstance(unit, str):
        return None
    _, slash, energy_unit = unit.rpartition("/")
    if not slash:
        return None
    return _PER_KWH.get(energy_unit)


def price_per_kwh(value: str | float | None, unit: object) -> float | None:
    """A price `value` in `unit` as a price per kWh; None when it is no price.

    `value` is a number, or a state as text: text that is not a finite number (`unavailable`,
    `unknown`, `nan`) is no price, and neither is any value in a unit that is not a price unit.
    """
    factor = price_unit_factor(unit)
    if factor is None or value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number * factor if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class PriceSource:
    """Where the price of charging comes from: a price entity, or one fixed price in EUR/kWh."""

    entity_id: str | None = None
    fixed_price: float | None = None


def price_source(options: Mapping[str, Any]) -> PriceSource | None:
    """The price source an entry's options set, or None when they set none.

    The options flow stores one of the two; should both be there, the entity wins. A fixed price
    that is not a number is no price.
    """
    if entity_id := options.get(CONF_PRICE_ENTITY):
        return PriceSource(entity_id=str(entity_id))
    fixed_price = options.get(CONF_FIXED_PRICE)
    if isinstance(fixed_price, int | float) and not isinstance(fixed_price, bool):
        return PriceSource(fixed_price=float(fixed_price))
    return None
