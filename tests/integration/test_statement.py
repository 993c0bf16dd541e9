"""`joulo.get_reimbursement_statement` against the simulator: a vehicle's month, and its CSV file.

A vehicle is added to the simulator's account as a user adds it ("Add vehicle"); the statement of
last month lists the simulator's sessions of its TAG id (and, on the charger it claims, those without
one), with the costs at the entry's fixed price when it has one. Also the energy report by vehicle.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
import math
from pathlib import Path
from typing import Any, NamedTuple

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.joulo.const import DOMAIN
from custom_components.joulo.naming import vehicle_key
from custom_components.joulo.pricing import CONF_FIXED_PRICE
from custom_components.joulo.statement import SESSION_KEYS
from joulo_simulator import FaultKind, JouloSimulator, SimSession, SimulatorServer
from joulo_simulator.account import CARPORT_ID, DEFAULT_ID_TAG, DRIVEWAY_ID, GARAGE_ID
from tests.integration.common import device_id_of, net_euros, set_up_entry
from tests.integration.test_services import (
    AMSTERDAM,
    NAMES,
    completed_in,
    get_energy_report,
    period,
    session_requests,
    sums,
)

pytestmark = pytest.mark.usefixtures("frozen_time")

PRICE = Decimal("0.2")
"""The fixed price of the priced entry, EUR/kWh: the simulator's kWh have two decimals, so no cost
at this price falls on half a cent, and any rounding makes it the same."""
MARCH = "2026-03"
"""Last month, seen from the frozen clock (15 April 2026)."""
MARCH_START = datetime(2026, 3, 1, tzinfo=AMSTERDAM)
MARCH_END = datetime(2026, 4, 1, tzinfo=AMSTERDAM)
RATE = Decimal("0.35")
"""The lease car's fixed rate, EUR/kWh."""
FILE = "joulo/statements/lease_car-2026-03.csv"
LEASE_CAR: dict[str, Any] = {
    "name": "Lease car",
    "id_tags": [DEFAULT_ID_TAG.lower()],
    "chargers": [CARPORT_ID],
    "reimbursement": "fixed_rate",
    "rate": float(RATE),
}
"""Its card charges on the Oprit (MID); the Carport's sessions without a TAG id (no MID) are its own."""


class Account(NamedTuple):
    """The account's entry, set up with the lease car, and the car's device."""

    entry: MockConfigEntry
    vehicle: str


@pytest.fixture(autouse=True)
async def config_folder(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Home Assistant's configuration folder, in Amsterdam's time zone: an empty folder of the test."""
    hass.config.config_dir = str(tmp_path)
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    return tmp_path


async def add_vehicle(hass: HomeAssistant, entry: MockConfigEntry, answer: dict[str, Any]) -> str:
    """Add a vehicle to the loaded entry as a user does ("Add vehicle"); return its device's id."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "vehicle"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], answer)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry_id,) = (
        subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.title == answer["name"]
    )
    return device_id_of(hass, entry, vehicle_key(subentry_id))


@pytest.fixture
async def unpriced(hass: HomeAssistant, init_integration: MockConfigEntry) -> Account:
    """The account without a price source, with the lease car at a fixed rate."""
    return Account(init_integration, await add_vehicle(hass, init_integration, LEASE_CAR))


async def async_set_up_priced(
    hass: HomeAssistant, simulator: JouloSimulator, server: SimulatorServer, car: dict[str, Any]
) -> Account:
    """Set up the simulator's account at the fixed `PRICE`, and add the vehicle `car` to it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=simulator.account().id,
        data={CONF_API_TOKEN: simulator.account().token, CONF_URL: server.base_url},
        options={CONF_FIXED_PRICE: float(PRICE)},
    )
    await set_up_entry(hass, entry)
    return Account(entry, await add_vehicle(hass, entry, car))


@pytest.fixture
async def priced(
    hass: HomeAssistant, simulator: JouloSimulator, simulator_server: SimulatorServer
) -> Account:
    """The account with a fixed price, with the lease car reimbursed its cost less its ERE."""
    car = {**LEASE_CAR, "reimbursement": "net_cost"}
    return await async_set_up_priced(hass, simulator, simulator_server, car)


async def get_statement(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call the action and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "get_reimbursement_statement", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def lease_car_sessions(simulator: JouloSimulator) -> list[SimSession]:
    """The lease car's completed sessions of March (in Amsterdam), oldest first.

    Its card's, and the Carport's without a TAG id.
    """
    return sorted(
        (
            session
            for session in completed_in(simulator, MARCH_START, MARCH_END)
            if session.id_tag == DEFAULT_ID_TAG
            or (session.id_tag is None and session.charger_id == CARPORT_ID)
        ),
        key=lambda session: (session.started_at, session.id),
    )


def at_price(kwh: float, price: Decimal) -> float:
    """`kwh` at `price` to the cent, as written (half up): 12.1 kWh at 0.35 is 4.235, so 4.24."""
    return float((Decimal(str(kwh)) * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_row(session: SimSession, *, priced: bool) -> dict[str, Any]:
    """What the statement says of a session: at `PRICE` and net of its ERE, or at `RATE` (half up)."""
    assert session.ended_at is not None
    counts = session.mid_certified
    ere_value = net_euros(session.ere_credits) if counts else 0.0
    cost = at_price(session.kwh, PRICE) if priced else None
    reimbursed = at_price(session.kwh, RATE) if cost is None else round(cost - ere_value, 2)
    return {
        "started_at": session.started_at.astimezone(AMSTERDAM).isoformat(),
        "ended_at": session.ended_at.astimezone(AMSTERDAM).isoformat(),
        "charger_name": NAMES[session.charger_id],
        "mid_certified": counts,
        "id_tag": session.id_tag,
        "kwh": session.kwh,
        "cost_eur": cost,
        "price_per_kwh": float(PRICE) if priced and session.kwh else None,
        "ere_credits": (session.ere_credits or 0.0) if counts else 0.0,
        "ere_value_eur": ere_value,
        "reimbursement_eur": reimbursed,
    }


def column_sum(rows: list[dict[str, Any]], key: str, decimals: int) -> float:
    """The sum of a column of the statement, to its decimals."""
    return round(math.fsum(row[key] for row in rows), decimals)


def csv_line(row: dict[str, Any]) -> str:
    """A row as the CSV writes it: this account's figures need no quoting, nor an exponent."""
    cells = {None: "", True: "true", False: "false"}
    return ",".join(
        cells[value] if value is None or isinstance(value, bool) else str(value)
        for value in (row[key] for key in SESSION_KEYS)
    )


async def test_last_months_statement_with_costs(
    hass: HomeAssistant, simulator: JouloSimulator, config_folder: Path, priced: Account
) -> None:
    """By default last month: each of the car's sessions with its cost, ERE and net cost, and a CSV.

    Its card's sessions on the Oprit and the Garage (MID) earn ERE; its sessions on the Carport (no
    MID) none.
    """
    expected = [expected_row(session, priced=True) for session in lease_car_sessions(simulator)]
    assert {row["charger_name"] for row in expected} == {"Oprit", "Garage", "Carport"}
    simulator.clear_requests()

    statement = await get_statement(hass, vehicle=priced.vehicle)

    assert session_requests(simulator) == [
        {
            "from": "2026-02-28T23:00:00Z",
            "to": "2026-03-31T22:00:00Z",
            "limit": "100",
            "offset": "0",
        }
    ]
    assert {key: value for key, value in statement.items() if key not in {"sessions", "total"}} == {
        "vehicle": "Lease car",
        "month": MARCH,
        "id_tags": [DEFAULT_ID_TAG.lower()],
        "reimbursement": "net_cost",
        "rate": None,
        "file": FILE,
    }
    assert statement["sessions"] == expected
    assert statement["total"] == {
        "sessions": len(expected),
        "kwh": column_sum(expected, "kwh", 3),
        "cost_eur": column_sum(expected, "cost_eur", 2),
        "ere_value_eur": column_sum(expected, "ere_value_eur", 2),
        "reimbursement_eur": column_sum(expected, "reimbursement_eur", 2),
    }

    lines = (config_folder / FILE).read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [",".join(SESSION_KEYS), csv_line(expected[0])]
    total = statement["total"]
    assert lines[-1] == (
        f"total,,,,,{total['kwh']},{total['cost_eur']},,,{total['ere_value_eur']},"
        f"{total['reimbursement_eur']}"
    )
    assert len(lines) == len(expected) + 2
    assert not (config_folder / "www").exists()


async def test_a_months_statement_without_a_price_source(
    hass: HomeAssistant, simulator: JouloSimulator, config_folder: Path, unpriced: Account
) -> None:
    """No price source: costs unknown, the fixed rate still pays; asked again, the file is replaced."""
    expected = [expected_row(session, priced=False) for session in lease_car_sessions(simulator)]

    for _ in range(2):
        statement = await get_statement(hass, vehicle=unpriced.vehicle, month=MARCH)

    assert statement["sessions"] == expected
    assert (statement["reimbursement"], statement["rate"]) == ("fixed_rate", 0.35)
    assert statement["total"] == {
        "sessions": len(expected),
        "kwh": column_sum(expected, "kwh", 3),
        "cost_eur": None,
        "ere_value_eur": column_sum(expected, "ere_value_eur", 2),
        "reimbursement_eur": column_sum(expected, "reimbursement_eur", 2),
    }
    lines = (config_folder / FILE).read_text(encoding="utf-8").splitlines()
    assert lines[1] == csv_line(expected[0])
    assert len(lines) == len(expected) + 2
    assert [path.name for path in (config_folder / "joulo" / "statements").iterdir()] == [
        "lease_car-2026-03.csv"
    ]


async def test_this_month_so_far_and_without_a_response(
    hass: HomeAssistant, simulator: JouloSimulator, config_folder: Path, unpriced: Account
) -> None:
    """This month is a month too; called without asking for the response, it only writes the file."""
    response = await hass.services.async_call(
        DOMAIN,
        "get_reimbursement_statement",
        {"vehicle": unpriced.vehicle, "month": "2026-04"},
        blocking=True,
    )

    assert response is None
    lines = (config_folder / "joulo/statements/lease_car-2026-04.csv").read_text().splitlines()
    april = [
        session
        for session in simulator.account().sessions
        if session.id_tag == DEFAULT_ID_TAG
        and session.started_at.astimezone(AMSTERDAM).strftime("%Y-%m") == "2026-04"
        and not session.is_active
    ]
    assert april
    assert len(lines) == len(april) + 2


@pytest.mark.parametrize(
    ("month", "key", "message"),
    [
        ("2026-05", "future_month", "The month 2026-05 has not started yet"),
        (
            "2026-13",
            "invalid_month",
            "2026-13 is not a month: give it as YYYY-MM, for example 2026-03",
        ),
        ("March", "invalid_month", "March is not a month: give it as YYYY-MM, for example 2026-03"),
    ],
)
async def test_a_month_that_is_not_or_not_yet(
    *,
    hass: HomeAssistant,
    simulator: JouloSimulator,
    config_folder: Path,
    unpriced: Account,
    month: str,
    key: str,
    message: str,
) -> None:
    """A month in the future or not written as YYYY-MM is refused; nothing is asked or written."""
    simulator.clear_requests()

    with pytest.raises(ServiceValidationError) as caught:
        await get_statement(hass, vehicle=unpriced.vehicle, month=month)

    assert caught.value.translation_key == key
    assert str(caught.value) == message
    assert simulator.requests == []
    assert not (config_folder / "joulo").exists()


async def test_a_device_that_is_not_a_loaded_vehicle(
    hass: HomeAssistant, simulator: JouloSimulator, config_folder: Path, unpriced: Account
) -> None:
    """A charger, the account, an unknown device, and the car once its account is unloaded."""
    entry = unpriced.entry
    devices = [
        device_id_of(hass, entry, GARAGE_ID),
        device_id_of(hass, entry, simulator.account().id),
        "0123456789abcdef0123456789abcdef",
    ]
    simulator.clear_requests()

    for device_id in devices:
        with pytest.raises(ServiceValidationError) as caught:
            await get_statement(hass, vehicle=device_id)
        assert caught.value.translation_key == "vehicle_not_found"
        assert str(caught.value) == (
            f"The device {device_id} is not a vehicle of a loaded Joulo account"
        )
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as caught:
        await get_statement(hass, vehicle=unpriced.vehicle)
    assert caught.value.translation_key == "vehicle_not_found"
    assert simulator.requests == []
    assert not (config_folder / "joulo").exists()


async def test_a_file_that_cannot_be_written(
    hass: HomeAssistant, config_folder: Path, unpriced: Account
) -> None:
    """A file where the statements' folder should be: the action fails with a translated reason."""
    (config_folder / "joulo").write_text("not a folder")

    with pytest.raises(HomeAssistantError) as caught:
        await get_statement(hass, vehicle=unpriced.vehicle)

    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "statement_not_written"
    assert str(caught.value).startswith(
        f"The statement could not be written to {FILE} in the configuration folder: "
    )


async def test_joulo_failing_is_a_translated_error(
    hass: HomeAssistant, simulator: JouloSimulator, config_folder: Path, unpriced: Account
) -> None:
    """Joulo does not answer (nor its retry): no statement, no file, the reason."""
    simulator.faults.inject(FaultKind.HTTP_ERROR, endpoint="/sessions", status=503)

    with pytest.raises(HomeAssistantError) as caught:
        await get_statement(hass, vehicle=unpriced.vehicle)

    assert caught.value.translation_key == "cannot_connect"
    assert not (config_folder / "joulo").exists()


async def test_the_errors_are_translated_in_dutch(hass: HomeAssistant) -> None:
    """Each error of the action has its Dutch message, with the same placeholders."""
    keys = ("vehicle_not_found", "invalid_month", "future_month", "statement_not_written")
    english = await async_get_translations(hass, "en", "exceptions", {DOMAIN})
    dutch = await async_get_translations(hass, "nl", "exceptions", {DOMAIN})

    for key in keys:
        name = f"component.{DOMAIN}.exceptions.{key}.message"
        assert dutch[name] != english[name]
        assert sorted(_placeholders(dutch[name])) == sorted(_placeholders(english[name]))


def _placeholders(message: str) -> list[str]:
    """The `{placeholder}`s of a message."""
    return [part.split("}")[0] for part in message.split("{")[1:]]


async def test_energy_report_by_vehicle(
    hass: HomeAssistant, simulator: JouloSimulator, unpriced: Account
) -> None:
    """Per vehicle: the lease car's sessions, and the others (Garage's, untagged) as no vehicle."""
    everything = completed_in(simulator, MARCH_START, MARCH_END)
    lease = lease_car_sessions(simulator)
    others = [session for session in everything if session not in lease]
    assert {session.charger_id for session in others} == {GARAGE_ID}
    assert DRIVEWAY_ID in {session.charger_id for session in lease}

    report = await get_energy_report(
        hass,
        config_entry_id=unpriced.entry.entry_id,
        group_by=["vehicle"],
        **period(MARCH_START, MARCH_END),
    )

    assert report["groups"] == [
        {"vehicle": "Lease car"} | sums(lease),
        {"vehicle": None} | sums(others),
    ]
    assert report["total"] == sums(everything)
