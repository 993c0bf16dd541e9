"""The price rules on their own: which units are prices per energy unit, and the entry's price source."""

from __future__ import annotations

from typing import Any

from homeassistant.components.energy.validate import ENERGY_PRICE_UNITS
from homeassistant.util.unit_conversion import EnergyConverter
import pytest

from custom_components.joulo.pricing import (
    PriceSource,
    price_per_kwh,
    price_source,
    price_unit_factor,
)


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("EUR/kWh", 1.0),
        ("EUR/MWh", 0.001),
        ("EUR/Wh", 1000.0),
        ("SEK/kWh", 1.0),
        ("€/kWh", 1.0),
        ("ct/kWh", 1.0),
        ("EUR/GJ", 0.0036),
        ("/kWh", 1.0),
    ],
)
def test_a_currency_per_energy_unit_is_a_price_unit(unit: str, factor: float) -> None:
    """The factor turns a price in the unit into a price per kWh; the currency is not read."""
    assert price_unit_factor(unit) == pytest.approx(factor)


@pytest.mark.parametrize(
    "unit",
    [
        None,
        0.25,
        "",
        "kWh",
        "EUR",
        "EUR/",
        "EUR/kwh",
        "EUR/KWH",
        "EUR / kWh",
        "EUR/m³",
        "kWh/100km",
    ],
)
def test_anything_else_is_no_price_unit(unit: object) -> None:
    """No unit, an energy unit alone, another case or spacing, or a price per volume: no factor."""
    assert price_unit_factor(unit) is None


@pytest.mark.parametrize("suffix", ENERGY_PRICE_UNITS)
def test_every_price_unit_of_the_energy_dashboard_is_read_at_home_assistants_ratio(
    suffix: str,
) -> None:
    """What the Energy dashboard of this Home Assistant accepts as a price unit, we read too, alike."""
    energy_unit = suffix.removeprefix("/")

    assert price_unit_factor(f"EUR{suffix}") == pytest.approx(
        EnergyConverter.get_unit_ratio(energy_unit, "kWh")
    )


@pytest.mark.parametrize(
    ("value", "unit", "price"),
    [
        ("0.25", "EUR/kWh", 0.25),
        ("250", "EUR/MWh", 0.25),
        ("0.00025", "EUR/Wh", 0.25),
        ("-0.05", "EUR/kWh", -0.05),
        ("0", "EUR/kWh", 0.0),
        (250.0, "EUR/MWh", 0.25),
        (3, "EUR/kWh", 3.0),
    ],
)
def test_a_number_in_a_price_unit_is_a_price_per_kwh(
    value: str | float, unit: str, price: float
) -> None:
    """A state's text or a statistic's number, in any price unit, turned into EUR/kWh (0 and less too)."""
    assert price_per_kwh(value, unit) == pytest.approx(price)


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        ("unavailable", "EUR/kWh"),
        ("unknown", "EUR/kWh"),
        ("", "EUR/kWh"),
        ("cheap", "EUR/kWh"),
        ("nan", "EUR/kWh"),
        ("inf", "EUR/MWh"),
        (None, "EUR/kWh"),
        ("0.25", None),
        ("0.25", "kWh"),
        (0.25, "EUR"),
    ],
)
def test_what_is_not_a_number_in_a_price_unit_is_no_price(
    value: str | float | None, unit: object
) -> None:
    """Unavailable, unknown, text, not finite, no value, or no price unit: no price."""
    assert price_per_kwh(value, unit) is None


@pytest.mark.parametrize(
    ("options", "source"),
    [
        ({"price_entity": "sensor.price"}, PriceSource(entity_id="sensor.price")),
        ({"fixed_price": 0.25}, PriceSource(fixed_price=0.25)),
        ({"fixed_price": 1}, PriceSource(fixed_price=1.0)),
        ({"fixed_price": 0.0}, PriceSource(fixed_price=0.0)),
        (
            {"price_entity": "sensor.price", "fixed_price": 0.25},
            PriceSource(entity_id="sensor.price"),
        ),
        ({}, None),
        ({"price_entity": ""}, None),
        ({"fixed_price": "0.25"}, None),
        ({"fixed_price": True}, None),
        ({"fixed_price": None}, None),
    ],
)
def test_the_price_source_is_read_from_the_options(
    options: dict[str, Any], source: PriceSource | None
) -> None:
    """A price entity, else a fixed price that is a number (0 is a price), else no price source."""
    assert price_source(options) == source


def test_a_price_source_cannot_be_changed() -> None:
    """Frozen: a price source read once stays what the options said."""
    source = PriceSource(fixed_price=0.25)

    with pytest.raises(AttributeError):
        source.fixed_price = 0.3  # type: ignore[misc]
