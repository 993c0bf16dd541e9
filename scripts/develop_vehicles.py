# ruff: noqa: INP001  (scripts/ holds stand-alone commands, not a package)
"""The demo's vehicles: the simulator's two cars, added through Joulo's "Add vehicle"; a statement.

Used by `develop_setup.py`. The simulator's account has two cars, each with its RFID card (TAG id):
car A, the lease car, charges at the Oprit and sometimes at the Garage, car B at the Garage; the
Carport's sessions carry no TAG id. The demo adds them as "Lease car" (car A's TAG id, reimbursed at a
fixed rate) and "Second car" (car B's TAG id and the Carport's sessions without one, reimbursed at
their cost less their ERE), through the subentry flow that the frontend's "Add vehicle" dialog runs
(`/api/config/config_entries/subentries/flow`, handler `[entry_id, "vehicle"]`). The TAG ids and the
Carport's id are read from the simulator's own module, so that they are written once.

The check asks for the lease car's statement of last month (`joulo.get_reimbursement_statement`, over
REST), says its totals and the first lines of its CSV file, and whether its totals are its rows' sums.
"""

from __future__ import annotations

from collections.abc import Mapping
import importlib
from pathlib import Path
import sys
from typing import Any, Protocol

from develop_dashboards import Websocket

REPO = Path(__file__).resolve().parent.parent
SUBENTRY_TYPE = "vehicle"
FLOW = "/api/config/config_entries/subentries/flow"
LEASE_CAR = "Lease car"
SECOND_CAR = "Second car"
NAMES = (LEASE_CAR, SECOND_CAR)
LEASE_RATE = 0.35
"""EUR/kWh that the lease car's employer pays back."""
STATEMENT = "/api/services/joulo/get_reimbursement_statement?return_response"
CSV_LINES = 3
"""How many of the statement's CSV lines the check says: the header and the first sessions."""
SUMMED = {"kwh": 3, "cost_eur": 2, "ere_value_eur": 2, "reimbursement_eur": 2}
"""A statement's totals that add up its rows' figures, with their decimals."""


class VehicleError(Exception):
    """Joulo's vehicle flow or its statement did not do what the demo asked."""


class Api(Protocol):
    """Home Assistant's HTTP API, logged in (`develop_setup.HomeAssistant` is one)."""

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and return its body; any status but 2xx raises."""


def planned() -> dict[str, dict[str, Any]]:
    """The demo's vehicles by name, each as its form is filled in, with the simulator's cars."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    account = importlib.import_module("joulo_simulator.account")
    return {
        LEASE_CAR: {
            "name": LEASE_CAR,
            "id_tags": [account.CAR_A_TAG],
            "reimbursement": "fixed_rate",
            "rate": LEASE_RATE,
        },
        SECOND_CAR: {
            "name": SECOND_CAR,
            "id_tags": [account.CAR_B_TAG],
            "chargers": [account.CARPORT_ID],
            "reimbursement": "net_cost",
        },
    }


async def existing(ws: Websocket, entry_id: str) -> set[str]:
    """The names of the entry's vehicles (their subentries' titles)."""
    subentries = await ws.command("config_entries/subentries/list", entry_id=entry_id)
    return {item["title"] for item in subentries if item["subentry_type"] == SUBENTRY_TYPE}


def add(api: Api, entry_id: str, answer: Mapping[str, Any]) -> str:
    """Add a vehicle as the "Add vehicle" dialog does, filled in with `answer`; what was added.

    The chargers it claims must be among those the form offers, as a person could only pick those.
    """
    flow = api.ok("POST", FLOW, json_body={"handler": [entry_id, SUBENTRY_TYPE]})
    if flow.get("type") != "form" or flow.get("step_id") != "user":
        raise VehicleError(f"the vehicle flow did not show its form: {flow}")
    offered = charger_choices(flow["data_schema"])
    if absent := [charger for charger in answer.get("chargers", []) if charger not in offered]:
        api.ok("DELETE", f"{FLOW}/{flow['flow_id']}")
        raise VehicleError(f"the vehicle form offers no charger {', '.join(absent)}: {offered}")
    result = api.ok("POST", f"{FLOW}/{flow['flow_id']}", json_body=dict(answer))
    if result.get("type") != "create_entry":
        raise VehicleError(f"the vehicle flow did not add '{answer['name']}': {result}")
    claimed = [offered[charger] for charger in answer.get("chargers", [])]
    figures = [
        f"TAG id {', '.join(answer.get('id_tags', []))}",
        *(f"the sessions without a TAG id of {name}" for name in claimed),
        f"reimbursed: {answer['reimbursement']}",
        *([f"{answer['rate']} EUR/kWh"] if "rate" in answer else []),
    ]
    return f"added the vehicle '{result['title']}' ({'; '.join(figures)})"


def charger_choices(data_schema: list[dict[str, Any]]) -> dict[str, str]:
    """The chargers a vehicle's form offers (its `chargers` select): id → name."""
    field = next((field for field in data_schema if field["name"] == "chargers"), None)
    if field is None:
        raise VehicleError(f"the vehicle form has no chargers field: {data_schema}")
    options = field["selector"]["select"]["options"]
    return {option["value"]: option["label"] for option in options}


def statement_of(api: Api, device_id: str) -> dict[str, Any]:
    """The reimbursement statement of last month of the vehicle whose device is `device_id`."""
    body = api.ok("POST", STATEMENT, json_body={"vehicle": device_id}, timeout=120)
    statement: dict[str, Any] = body["service_response"]
    return statement


def unsummed(statement: Mapping[str, Any]) -> list[str]:
    """The statement's totals that are not the sums of its rows (a total with an unknown is null)."""
    rows = statement["sessions"]
    total = statement["total"]
    wrong = (
        [] if total["sessions"] == len(rows) else [f"sessions {total['sessions']} of {len(rows)}"]
    )
    for key, decimals in SUMMED.items():
        figures = [row[key] for row in rows]
        summed = None if None in figures else round(sum(figures), decimals)
        if key == "reimbursement_eur" and statement["reimbursement"] == "none":
            summed = None
        if total[key] != summed:
            wrong.append(f"{key} {total[key]}, its rows sum to {summed}")
    return wrong


def csv_head(config: Path, statement: Mapping[str, Any]) -> list[str]:
    """The first lines of the statement's CSV file, which the action wrote to the config folder."""
    path = config / str(statement["file"])
    if not path.is_file():
        raise VehicleError(f"the statement's file {path} is missing")
    return path.read_text(encoding="utf-8").splitlines()[:CSV_LINES]
