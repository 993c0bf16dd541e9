"""The options flow: where the price of charging comes from, taking effect without a restart."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import DOMAIN
from custom_components.joulo.validation import vol
from joulo_simulator import JouloSimulator

from .common import state_of, submit_form

PRICE_SENSOR = "sensor.price"


def _set_sensor(hass: HomeAssistant, entity_id: str, state: str, unit: str | None) -> None:
    """Write a sensor's state, with `unit` as its unit of measurement (None: no unit)."""
    attributes = {} if unit is None else {ATTR_UNIT_OF_MEASUREMENT: unit}
    hass.states.async_set(entity_id, state, attributes)


async def _open(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigFlowResult:
    """Open the entry's options, as "Configure" on its card does."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    return result


async def _answer(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> ConfigFlowResult:
    """Open the options and submit `user_input`; let the reload it may start finish."""
    result = await _open(hass, entry)
    return await submit_form(hass, result["flow_id"], user_input, hass.config_entries.options)


def _suggested(result: ConfigFlowResult) -> dict[str, Any]:
    """The value each field of the form shows, by field name."""
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(marker): (marker.description or {}).get("suggested_value") for marker in schema.schema
    }


async def test_the_form_has_an_optional_price_sensor_and_fixed_price(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Two optional fields, empty at first: a sensor picker and a price box in EUR/kWh from 0 to 10."""
    result = await _open(hass, init_integration)

    assert result["errors"] == {}
    assert _suggested(result) == {"price_entity": None, "fixed_price": None}
    schema = result["data_schema"]
    assert schema is not None
    fields = {str(marker): (marker, selector) for marker, selector in schema.schema.items()}
    assert all(isinstance(marker, vol.Optional) for marker, _ in fields.values())
    entity = fields["price_entity"][1].serialize()["selector"]["entity"]
    assert entity["domain"] == ["sensor"]
    assert entity["multiple"] is False
    number = fields["fixed_price"][1].serialize()["selector"]["number"]
    assert number["min"] == 0
    assert number["max"] == 10
    assert number["step"] == "any"
    assert number["mode"] == "box"
    assert number["unit_of_measurement"] == "EUR/kWh"


@pytest.mark.parametrize("unit", ["EUR/kWh", "EUR/MWh", "EUR/Wh", "SEK/kWh", "€/kWh"])
async def test_a_price_sensor_is_stored_and_the_entry_reloads(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry, unit: str
) -> None:
    """A sensor priced per energy unit becomes the price source; the entry reloads, no restart."""
    entry = init_integration
    _set_sensor(hass, PRICE_SENSOR, "0.25", unit)
    before = entry.runtime_data
    simulator.clear_requests()

    result = await _answer(hass, entry, {"price_entity": PRICE_SENSOR})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"price_entity": PRICE_SENSOR}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before
    # The reload's first polls, and the entities work on.
    assert simulator.request_count("/chargers") == 1
    assert state_of(hass, "sensor.garage_status") == "online"


async def test_a_fixed_price_is_stored(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A fixed price alone is stored as the price source, as the number given."""
    entry = init_integration

    result = await _answer(hass, entry, {"fixed_price": 0.2345})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"fixed_price": 0.2345}
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("entity_id", "unit"),
    [
        (PRICE_SENSOR, "kWh"),
        (PRICE_SENSOR, "EUR"),
        (PRICE_SENSOR, "EUR/kwh"),
        (PRICE_SENSOR, None),
        ("sensor.not_there", None),
    ],
)
async def test_a_sensor_that_is_no_price_per_energy_unit_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_id: str,
    unit: str | None,
) -> None:
    """`price_unit` under the sensor field, the answer kept on the form; the options stay as they were.

    A sensor that does not exist has no unit either. Choosing a price sensor then works.
    """
    entry = init_integration
    before = entry.runtime_data
    if entity_id == PRICE_SENSOR:
        _set_sensor(hass, PRICE_SENSOR, "12.5", unit)
    result = await _open(hass, entry)

    result = await submit_form(
        hass, result["flow_id"], {"price_entity": entity_id}, hass.config_entries.options
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"price_entity": "price_unit"}
    assert _suggested(result) == {"price_entity": entity_id, "fixed_price": None}
    assert entry.options == {}
    assert entry.runtime_data is before

    _set_sensor(hass, "sensor.dynamic_price", "0.31", "EUR/kWh")
    result = await submit_form(
        hass,
        result["flow_id"],
        {"price_entity": "sensor.dynamic_price"},
        hass.config_entries.options,
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"price_entity": "sensor.dynamic_price"}


async def test_a_sensor_and_a_fixed_price_together_are_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """`one_price` for the form as a whole; nothing is stored."""
    entry = init_integration
    _set_sensor(hass, PRICE_SENSOR, "0.25", "EUR/kWh")
    result = await _open(hass, entry)

    result = await submit_form(
        hass,
        result["flow_id"],
        {"price_entity": PRICE_SENSOR, "fixed_price": 0.25},
        hass.config_entries.options,
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "one_price"}
    assert _suggested(result) == {"price_entity": PRICE_SENSOR, "fixed_price": 0.25}
    assert entry.options == {}


@pytest.mark.parametrize(
    "user_input",
    [
        {"fixed_price": 10.5},
        {"fixed_price": -0.1},
        {"price_entity": "input_number.price"},
    ],
)
async def test_the_form_refuses_a_price_out_of_range_or_an_entity_that_is_no_sensor(
    hass: HomeAssistant, init_integration: MockConfigEntry, user_input: dict[str, Any]
) -> None:
    """A fixed price outside 0 to 10 EUR/kWh, or an entity of another domain, does not get through."""
    entry = init_integration
    hass.states.async_set("input_number.price", "0.25", {ATTR_UNIT_OF_MEASUREMENT: "EUR/kWh"})
    result = await _open(hass, entry)

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], user_input)

    assert entry.options == {}


async def test_the_form_shows_the_price_source_and_an_empty_answer_clears_it(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The form opens with the current source filled in; leaving both fields empty removes it."""
    entry = init_integration
    hass.config_entries.async_update_entry(entry, options={"fixed_price": 0.25})
    await hass.async_block_till_done()  # the entry reloads with the new options
    before = entry.runtime_data
    result = await _open(hass, entry)

    assert _suggested(result) == {"price_entity": None, "fixed_price": 0.25}

    result = await submit_form(hass, result["flow_id"], {}, hass.config_entries.options)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before


async def test_the_same_answer_does_not_reload(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """Saving the options unchanged keeps the entry running as it was: no reload, no extra poll."""
    entry = init_integration
    hass.config_entries.async_update_entry(entry, options={"fixed_price": 0.25})
    await hass.async_block_till_done()  # the entry reloads with the new options
    before = entry.runtime_data
    simulator.clear_requests()

    result = await _answer(hass, entry, {"fixed_price": 0.25})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"fixed_price": 0.25}
    assert entry.runtime_data is before
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("language", "title", "one_price"),
    [
        ("en", "Price of charging", "Choose a price sensor or a fixed price, not both."),
        ("nl", "Prijs van het laden", "Kies een prijssensor of een vaste prijs, niet allebei."),
    ],
)
async def test_the_options_are_translated(
    hass: HomeAssistant, language: str, title: str, one_price: str
) -> None:
    """The step's title, description, labels, field descriptions and both errors, in English and Dutch."""
    translations = await async_get_translations(hass, language, "options", [DOMAIN])
    prefix = f"component.{DOMAIN}.options"

    assert translations[f"{prefix}.step.init.title"] == title
    assert translations[f"{prefix}.step.init.description"]
    for field in ("price_entity", "fixed_price"):
        assert translations[f"{prefix}.step.init.data.{field}"]
        assert translations[f"{prefix}.step.init.data_description.{field}"]
    assert translations[f"{prefix}.error.one_price"] == one_price
    assert translations[f"{prefix}.error.price_unit"]
