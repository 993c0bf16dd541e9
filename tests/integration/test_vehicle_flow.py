"""Vehicles of a Joulo account as a user sees them: "Add vehicle", reconfigure, remove.

Each vehicle is a config subentry of the account and a device under the account's device. Adding,
changing or removing one takes effect at once, without a restart and without reloading the account.
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import CHARGER_GONE_AFTER, DOMAIN
from custom_components.joulo.vehicles import Reimbursement, Vehicle
from joulo_simulator import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID, JouloSimulator
from tests.integration.common import (
    ONE_POLL,
    advance_time,
    async_restart_entry,
    device_of,
    set_up_entry,
    stored_vehicle,
)

pytestmark = pytest.mark.usefixtures("frozen_time")

VEHICLE = "vehicle"
TESLA: dict[str, Any] = {
    "name": "Tesla",
    "id_tags": ["04A1B2C3"],
    "chargers": [GARAGE_ID],
    "reimbursement": "none",
}
"""A vehicle as stored: its card, and the garage's sessions without a TAG id."""
FIELDS = ["name", "id_tags", "chargers", "reimbursement", "rate"]
VEHICLE_ERRORS = ("no_tag_or_charger", "tag_in_use", "charger_in_use", "rate_required")


@pytest.fixture
def stored_tesla(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The account's entry, not set up yet, with the Tesla stored as its vehicle `sub-tesla`."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[stored_vehicle("sub-tesla", TESLA)],
    )


@pytest.fixture
async def with_tesla(hass: HomeAssistant, stored_tesla: MockConfigEntry) -> MockConfigEntry:
    """The account's entry with the Tesla, set up."""
    await set_up_entry(hass, stored_tesla)
    return stored_tesla


async def _open(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str | None = None
) -> SubentryFlowResult:
    """Open "Add vehicle" on the entry, or the reconfigure dialog of the vehicle `subentry_id`."""
    if subentry_id is None:
        context: Any = {"source": SOURCE_USER}
    else:
        context = {"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id}
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, VEHICLE), context=context
    )


async def _send(hass: HomeAssistant, result: SubentryFlowResult, answer: dict[str, Any]) -> Any:
    """Send the form of `result`, and let what follows finish."""
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], answer)
    await hass.async_block_till_done()
    return result


def _fields(result: SubentryFlowResult) -> dict[str, Any]:
    """The form's fields by name: (required, suggested value, the selector's serialised config)."""
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(marker): (
            type(marker).__name__,
            (marker.description or {}).get("suggested_value"),
            selector.serialize()["selector"],
        )
        for marker, selector in schema.schema.items()
    }


def _suggested(result: SubentryFlowResult) -> dict[str, Any]:
    """The value each field of the form shows."""
    return {name: suggested for name, (_, suggested, _) in _fields(result).items()}


def _vehicles(entry: MockConfigEntry) -> dict[str, ConfigSubentry]:
    """The entry's vehicle subentries by id."""
    return {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == VEHICLE
    }


def _vehicle_device(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str
) -> dr.DeviceEntry | None:
    """The device of the vehicle `subentry_id`, if there is one."""
    return device_of(hass, entry, f"vehicle_{subentry_id}")


def _subentries_of(device: dr.DeviceEntry, entry: MockConfigEntry) -> set[str | None]:
    """The subentries of `entry` a device belongs to, as each supported Home Assistant keeps them.

    Since 2026.10 a device belongs to one subentry at most (`config_subentry_id`); before, to a set
    per entry.
    """
    if hasattr(dr.DeviceEntry, "config_subentry_id"):
        return {getattr(device, "config_subentry_id")}  # noqa: B009  # unknown to 2026.2's types
    return set(device.config_entries_subentries[entry.entry_id])


def _assert_vehicle_device(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str, name: str
) -> None:
    """The vehicle has its device: named as the vehicle, in its subentry, under the account's."""
    device = _vehicle_device(hass, entry, subentry_id)
    assert device is not None
    assert device.name == name
    assert device.model == "Vehicle"
    assert _subentries_of(device, entry) == {subentry_id}
    account = device_of(hass, entry, str(entry.unique_id))
    assert account is not None
    assert device.via_device_id == account.id


# Adding a vehicle


async def test_the_form_lists_the_accounts_chargers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A name, TAG ids as a list, the chargers by name (their Joulo ids the values), reimbursement."""
    result = await _open(hass, init_integration)

    assert result["step_id"] == "user"
    assert result["errors"] == {}
    fields = _fields(result)
    assert list(fields) == FIELDS
    assert {name: required for name, (required, _, _) in fields.items()} == {
        "name": "Required",
        "id_tags": "Optional",
        "chargers": "Optional",
        "reimbursement": "Required",
        "rate": "Optional",
    }
    assert fields["id_tags"][2]["text"]["multiple"] is True
    chargers = fields["chargers"][2]["select"]
    assert chargers["multiple"] is True
    assert chargers["options"] == [
        {"value": CARPORT_ID, "label": "Carport"},
        {"value": GARAGE_ID, "label": "Garage"},
        {"value": DRIVEWAY_ID, "label": "Oprit"},
    ]
    reimbursement = fields["reimbursement"][2]["select"]
    assert reimbursement["options"] == ["none", "fixed_rate", "cost", "net_cost"]
    assert reimbursement["translation_key"] == "reimbursement"
    rate = fields["rate"][2]["number"]
    assert (rate["min"], rate["max"], rate["unit_of_measurement"]) == (0, 10, "EUR/kWh")
    assert _suggested(result) == dict.fromkeys(FIELDS)


async def test_a_vehicle_is_added_at_once(
    hass: HomeAssistant, simulator: JouloSimulator, init_integration: MockConfigEntry
) -> None:
    """The vehicle is stored, titled with its name, and has its device; the account is not reloaded."""
    entry = init_integration
    runtime = entry.runtime_data
    simulator.clear_requests()

    result = await _send(
        hass,
        await _open(hass, entry),
        {
            "name": " Lease car ",
            "id_tags": ["Lease-Card ", "", "lease-card", "Spare"],
            "chargers": [DRIVEWAY_ID],
            "reimbursement": "fixed_rate",
            "rate": 0.35,
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Lease car"
    ((subentry_id, subentry),) = _vehicles(entry).items()
    assert subentry.title == "Lease car"
    assert dict(subentry.data) == {
        "name": "Lease car",
        "id_tags": ["Lease-Card", "Spare"],
        "chargers": [DRIVEWAY_ID],
        "reimbursement": "fixed_rate",
        "rate": 0.35,
    }
    _assert_vehicle_device(hass, entry, subentry_id, "Lease car")
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is runtime
    assert runtime.vehicles == (
        Vehicle(
            subentry_id,
            "Lease car",
            frozenset({"lease-card", "spare"}),
            frozenset({DRIVEWAY_ID}),
            Reimbursement.FIXED_RATE,
            0.35,
        ),
    )
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("answer", "errors"),
    [
        ({"name": "Bike"}, {"base": "no_tag_or_charger"}),
        ({"name": "Bike", "id_tags": [" ", ""], "chargers": []}, {"base": "no_tag_or_charger"}),
        ({"name": "Bike", "id_tags": ["new", " 04a1b2c3 "]}, {"id_tags": "tag_in_use"}),
        ({"name": "Bike", "chargers": [CARPORT_ID, GARAGE_ID]}, {"chargers": "charger_in_use"}),
        (
            {"name": "Bike", "chargers": [CARPORT_ID], "reimbursement": "fixed_rate"},
            {"rate": "rate_required"},
        ),
    ],
)
async def test_each_error_keeps_the_answer_and_adds_nothing(
    hass: HomeAssistant, with_tesla: MockConfigEntry, answer: dict[str, Any], errors: dict[str, str]
) -> None:
    """The form comes back with the error and what was answered; a corrected answer is added."""
    result = await _send(hass, await _open(hass, with_tesla), answer)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert {name: value for name, value in _suggested(result).items() if value is not None} == {
        "reimbursement": "none",
        **answer,
    }
    assert list(_vehicles(with_tesla)) == ["sub-tesla"]

    corrected = {"name": "Bike", "id_tags": ["bike-card"], "chargers": [CARPORT_ID], "rate": 0.2}
    result = await _send(hass, result, {**answer, **corrected})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Bike"
    assert len(_vehicles(with_tesla)) == 2
    assert [vehicle.name for vehicle in with_tesla.runtime_data.vehicles] == ["Tesla", "Bike"]


async def test_a_vehicle_stored_before_has_its_device_at_setup(
    hass: HomeAssistant, with_tesla: MockConfigEntry
) -> None:
    """Set up with a vehicle: its device is there, and the vehicle is the account's."""
    _assert_vehicle_device(hass, with_tesla, "sub-tesla", "Tesla")
    assert with_tesla.runtime_data.vehicles == (
        Vehicle("sub-tesla", "Tesla", frozenset({"04a1b2c3"}), frozenset({GARAGE_ID})),
    )


async def test_a_vehicle_device_is_no_charger(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, with_tesla: MockConfigEntry
) -> None:
    """Polls and restarts never take a vehicle's device for a charger that left the account."""
    await advance_time(hass, freezer, ONE_POLL + CHARGER_GONE_AFTER, step=ONE_POLL)
    await async_restart_entry(hass, with_tesla)
    await advance_time(hass, freezer, ONE_POLL + CHARGER_GONE_AFTER, step=ONE_POLL)

    _assert_vehicle_device(hass, with_tesla, "sub-tesla", "Tesla")


# Reconfiguring a vehicle


async def test_reconfigure_shows_the_vehicle_and_changes_it_at_once(
    hass: HomeAssistant, simulator: JouloSimulator, with_tesla: MockConfigEntry
) -> None:
    """The form shows what is stored; the change renames the vehicle and its device, no reload."""
    runtime = with_tesla.runtime_data
    simulator.clear_requests()

    result = await _open(hass, with_tesla, "sub-tesla")

    assert result["step_id"] == "reconfigure"
    assert _suggested(result) == {**TESLA, "rate": None}
    # Its own tag and charger are not in use: sent unchanged, it is valid.
    answer = {**TESLA, "name": "Model 3", "id_tags": ["04A1B2C3", "spare"], "reimbursement": "cost"}
    result = await _send(hass, result, answer)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = _vehicles(with_tesla)["sub-tesla"]
    assert subentry.title == "Model 3"
    assert dict(subentry.data) == answer
    _assert_vehicle_device(hass, with_tesla, "sub-tesla", "Model 3")
    assert with_tesla.runtime_data is runtime
    assert runtime.vehicles == (
        Vehicle(
            "sub-tesla",
            "Model 3",
            frozenset({"04a1b2c3", "spare"}),
            frozenset({GARAGE_ID}),
            Reimbursement.COST,
        ),
    )
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"id_tags": [], "chargers": []}, {"base": "no_tag_or_charger"}),
        ({"id_tags": ["LEASE-CARD"]}, {"id_tags": "tag_in_use"}),
        ({"chargers": [GARAGE_ID, DRIVEWAY_ID]}, {"chargers": "charger_in_use"}),
        ({"reimbursement": "fixed_rate"}, {"rate": "rate_required"}),
    ],
)
async def test_reconfigure_errors_change_nothing(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    change: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each error keeps the vehicle as it was; another vehicle's tag or charger is in use."""
    lease = {**TESLA, "name": "Lease car", "id_tags": ["lease-card"], "chargers": [DRIVEWAY_ID]}
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        subentries_data=[stored_vehicle("sub-tesla", TESLA), stored_vehicle("sub-lease", lease)],
    )
    await set_up_entry(hass, entry)

    result = await _send(hass, await _open(hass, entry, "sub-tesla"), {**TESLA, **change})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert dict(_vehicles(entry)["sub-tesla"].data) == TESLA
    _assert_vehicle_device(hass, entry, "sub-tesla", "Tesla")


async def test_a_claimed_charger_that_left_stays_a_choice(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    with_tesla: MockConfigEntry,
) -> None:
    """The garage left the account: the Tesla still claims it, so the form still offers it."""
    simulator.remove_charger(GARAGE_ID)
    await advance_time(hass, freezer, ONE_POLL + CHARGER_GONE_AFTER, step=ONE_POLL)
    assert device_of(hass, with_tesla, GARAGE_ID) is None

    result = await _open(hass, with_tesla, "sub-tesla")

    assert _fields(result)["chargers"][2]["select"]["options"] == [
        {"value": CARPORT_ID, "label": "Carport"},
        {"value": GARAGE_ID, "label": f"Charger {GARAGE_ID[:8]}"},
        {"value": DRIVEWAY_ID, "label": "Oprit"},
    ]
    result = await _send(hass, result, TESLA)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    # A new vehicle claims nothing yet: the charger that left is no choice.
    options = _fields(await _open(hass, with_tesla))["chargers"][2]["select"]["options"]
    assert [option["value"] for option in options] == [CARPORT_ID, DRIVEWAY_ID]


# Removing a vehicle


async def test_a_removed_vehicle_loses_its_device_at_once(
    hass: HomeAssistant, simulator: JouloSimulator, with_tesla: MockConfigEntry
) -> None:
    """Its device goes, the account forgets it, and nothing is reloaded."""
    runtime = with_tesla.runtime_data
    simulator.clear_requests()

    assert hass.config_entries.async_remove_subentry(with_tesla, "sub-tesla")
    await hass.async_block_till_done()

    assert _vehicles(with_tesla) == {}
    assert _vehicle_device(hass, with_tesla, "sub-tesla") is None
    assert device_of(hass, with_tesla, GARAGE_ID) is not None
    assert with_tesla.runtime_data is runtime
    assert runtime.vehicles == ()
    assert simulator.requests == []


# An account that is not loaded


async def test_an_account_not_loaded_cannot_add_or_change_vehicles(
    hass: HomeAssistant, stored_tesla: MockConfigEntry
) -> None:
    """Its chargers are not known: both dialogs close with `entry_not_loaded`, nothing changes."""
    stored_tesla.add_to_hass(hass)

    for subentry_id in (None, "sub-tesla"):
        result = await _open(hass, stored_tesla, subentry_id)

        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "entry_not_loaded"
    assert dict(_vehicles(stored_tesla)["sub-tesla"].data) == TESLA


# What the user reads


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "initiate_flow.user": "Add vehicle",
                "entry_type": "Vehicle",
                "error.tag_in_use": "Another vehicle already has this TAG id.",
                "net_cost": "Cost of the energy, less ERE",
            },
        ),
        (
            "nl",
            {
                "initiate_flow.user": "Voertuig toevoegen",
                "entry_type": "Voertuig",
                "error.tag_in_use": "Een ander voertuig heeft deze TAG-id al.",
                "net_cost": "Kosten van de energie, min ERE",
            },
        ),
    ],
)
async def test_the_vehicle_dialogs_are_translated(
    hass: HomeAssistant, language: str, expected: dict[str, str]
) -> None:
    """Titles, steps, every field with its description, the options, every error and abort.

    Every text is there, and the Dutch ones are Dutch: none is English left untranslated.
    """
    texts: dict[str, str] = {}
    english: dict[str, str] = {}
    for category in ("config_subentries", "selector"):
        texts |= await async_get_translations(hass, language, category, [DOMAIN])
        english |= await async_get_translations(hass, "en", category, [DOMAIN])
    prefix = f"component.{DOMAIN}.config_subentries.{VEHICLE}"
    options = f"component.{DOMAIN}.selector.reimbursement.options"
    keys = [
        f"{prefix}.{key}"
        for key in (
            "initiate_flow.user",
            "initiate_flow.reconfigure",
            "entry_type",
            *(f"error.{error}" for error in VEHICLE_ERRORS),
            "abort.entry_not_loaded",
            "abort.reconfigure_successful",
            *(
                f"step.{step}.{key}"
                for step in ("user", "reconfigure")
                for key in (
                    "title",
                    "description",
                    *(f"data.{field}" for field in FIELDS),
                    *(f"data_description.{field}" for field in FIELDS),
                )
            ),
        )
    ] + [f"{options}.{option}" for option in Reimbursement]

    assert all(texts.get(key) for key in keys)
    if language != "en":
        assert [key for key in keys if texts[key] == english[key]] == []
    for key in ("initiate_flow.user", "entry_type", "error.tag_in_use"):
        assert texts[f"{prefix}.{key}"] == expected[key]
    assert texts[f"{options}.net_cost"] == expected["net_cost"]
