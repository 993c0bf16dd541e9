"""Tests of ``POST /chargers/reboot``: outcomes, cooldown, offline, token scope and faults."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any

import pytest

from joulo_simulator import (
    ChargerOfflineError,
    FaultKind,
    JouloSimulator,
    ManualClock,
    RebootCooldownError,
    SimReboot,
    SimulatorServer,
    UnknownObjectError,
)
from joulo_simulator.account import CARPORT_ID, DRIVEWAY_ID, GARAGE_ID

from .common import START, SimClient

REBOOT = "/chargers/reboot"
COOLDOWN_ERROR = {"error": "Reboot cooldown active, try again in 300 seconds"}


async def _status(client: SimClient, charger_id: str) -> str:
    chargers = (await client.get("/chargers")).json()["chargers"]
    status: str = next(c["status"] for c in chargers if c["id"] == charger_id)
    return status


async def test_ocpp_charger_confirms_by_booting(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """An OCPP charger answers 200 with ``confirmed_by_boot``; it is offline for 60 s."""
    session = sim.start_session(DRIVEWAY_ID)
    reply = await client.post(REBOOT, {"charger_id": DRIVEWAY_ID, "type": "Hard"})
    assert (reply.status, reply.json()) == (200, {"confirmed_by_boot": True})
    assert sim.charger(DRIVEWAY_ID).reboots == [SimReboot(at=START, type="Hard")]
    assert await _status(client, DRIVEWAY_ID) == "offline"
    clock.advance(59)
    assert await _status(client, DRIVEWAY_ID) == "offline"
    clock.advance(1)
    assert await _status(client, DRIVEWAY_ID) == "online"
    # The session went on through the reboot.
    charger = next(
        c for c in (await client.get("/chargers")).json()["chargers"] if c["id"] == DRIVEWAY_ID
    )
    assert charger["is_charging"] is True
    assert charger["current_session"]["id"] == session.id
    assert session.is_active


async def test_cloud_charger_sends_the_command(client: SimClient, sim: JouloSimulator) -> None:
    """A cloud charger answers 202: the command was sent to the manufacturer's cloud."""
    reply = await client.post(REBOOT, {"charger_id": GARAGE_ID, "type": "Soft"})
    assert (reply.status, reply.json()) == (202, {"message": "Reboot command sent"})
    assert await _status(client, GARAGE_ID) == "offline"
    assert [r.type for r in sim.charger(GARAGE_ID).reboots] == ["Soft"]
    assert [(r.method, r.endpoint, r.status) for r in sim.requests[:1]] == [("POST", REBOOT, 202)]


async def test_cooldown_of_five_minutes(
    client: SimClient, sim: JouloSimulator, clock: ManualClock
) -> None:
    """Within 5 minutes of an accepted reboot, another is 409; refused ones do not restart it."""
    body = {"charger_id": GARAGE_ID, "type": "Soft"}
    assert (await client.post(REBOOT, body)).status == 202
    refused = await client.post(REBOOT, {**body, "type": "Hard"})
    assert (refused.status, refused.json()) == (409, COOLDOWN_ERROR)
    clock.advance(timedelta(minutes=4, seconds=59))
    refused = await client.post(REBOOT, body)
    assert (refused.status, refused.json()) == (
        409,
        {"error": "Reboot cooldown active, try again in 1 seconds"},
    )
    # Another charger has a cooldown of its own.
    assert (await client.post(REBOOT, {**body, "charger_id": DRIVEWAY_ID})).status == 200
    clock.advance(1)
    assert (await client.post(REBOOT, body)).status == 202
    assert len(sim.charger(GARAGE_ID).reboots) == 2


async def test_offline_charger(client: SimClient, sim: JouloSimulator) -> None:
    """An offline charger gets 503 and nothing happens."""
    reply = await client.post(REBOOT, {"charger_id": CARPORT_ID, "type": "Soft"})
    assert (reply.status, reply.json()) == (503, {"error": "Charger is offline"})
    assert sim.charger(CARPORT_ID).reboots == []
    sim.set_charger_status(CARPORT_ID, "online")
    assert (await client.post(REBOOT, {"charger_id": CARPORT_ID, "type": "Soft"})).status == 202


async def test_read_only_token(client: SimClient, sim: JouloSimulator) -> None:
    """A token without control scope gets 403 (before its body is looked at); reads still work."""
    scope_error = {"error": "Insufficient scope", "required_scope": "chargers:control"}
    sim.set_token_can_control(sim.account().token, False)
    for body in ({"charger_id": GARAGE_ID, "type": "Soft"}, {"type": "Reset"}):
        reply = await client.post(REBOOT, body)
        assert (reply.status, reply.json()) == (403, scope_error)
    assert (await client.get("/chargers")).status == 200
    assert sim.charger(GARAGE_ID).reboots == []

    # The scope belongs to the token and goes with it when it is rotated.
    new = sim.rotate_token(sim.account().token)
    assert (await client.post(REBOOT, {"charger_id": GARAGE_ID}, token=new)).status == 403
    sim.set_token_can_control(new, True)
    reply = await client.post(REBOOT, {"charger_id": GARAGE_ID, "type": "Soft"}, token=new)
    assert reply.status == 202

    viewer = sim.add_account(can_control=False)
    charger_id = next(iter(viewer.chargers))
    reply = await client.post(
        REBOOT, {"charger_id": charger_id, "type": "Soft"}, token=viewer.token
    )
    assert (reply.status, reply.json()) == (403, scope_error)
    with pytest.raises(UnknownObjectError):
        sim.set_token_can_control("joulo_" + "0" * 32, True)


async def test_unknown_charger_or_another_accounts(client: SimClient, sim: JouloSimulator) -> None:
    """A charger the token's account does not have is 404, even when another account has it."""
    other = sim.add_account()
    for charger_id in ("no-such-charger", next(iter(other.chargers))):
        reply = await client.post(REBOOT, {"charger_id": charger_id, "type": "Soft"})
        assert (reply.status, reply.json()) == (404, {"error": "Charger not found"})
    reply = await client.post(REBOOT, {"charger_id": GARAGE_ID, "type": "Soft"}, token=other.token)
    assert reply.status == 404
    assert sim.charger(GARAGE_ID).reboots == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (None, "The body must be a JSON object"),
        ([GARAGE_ID], "The body must be a JSON object"),
        ({"type": "Soft"}, "'charger_id' is required"),
        ({"charger_id": 5, "type": "Soft"}, "'charger_id' is required"),
        ({"charger_id": "", "type": "Soft"}, "'charger_id' is required"),
        ({"charger_id": GARAGE_ID}, "'type' must be one of Soft, Hard"),
        ({"charger_id": GARAGE_ID, "type": "soft"}, "'type' must be one of Soft, Hard"),
        ({"charger_id": GARAGE_ID, "type": ["Soft"]}, "'type' must be one of Soft, Hard"),
    ],
)
async def test_bad_bodies(client: SimClient, sim: JouloSimulator, body: Any, error: str) -> None:
    """A body that is not an object with a charger id and a known type is 400."""
    reply = await client.post(REBOOT, body)
    assert (reply.status, reply.json()) == (400, {"error": error})
    assert sim.charger(GARAGE_ID).reboots == []


async def test_body_that_is_not_json(client: SimClient, sim_server: SimulatorServer) -> None:
    """Bytes that do not parse are 400 too."""
    headers = {"Authorization": f"Bearer {sim_server.sim.account().token}"}
    async with client.session.post(
        sim_server.base_url + REBOOT, data=b"{nope", headers=headers
    ) as response:
        assert response.status == 400


async def test_auth_method_and_rate_limit(client: SimClient, sim: JouloSimulator) -> None:
    """No token is 401, GET is 405, and reboots count against the token's rate limit."""
    body = {"charger_id": GARAGE_ID, "type": "Soft"}
    assert (await client.post(REBOOT, body, token=None)).status == 401
    reply = await client.get(REBOOT)
    assert (reply.status, reply.headers["Allow"]) == (405, "POST")
    for _ in range(29):
        await client.get("/me")
    assert (await client.post(REBOOT, body)).status == 202
    limited = await client.post(REBOOT, body)
    assert (limited.status, limited.headers["Retry-After"]) == (429, "60")


SENT = {"message": "Reboot command sent"}


@pytest.mark.parametrize(
    ("fault", "status", "body"),
    [
        (
            {"kind": FaultKind.HTTP_ERROR, "status": 401},
            401,
            {"error": "Missing or invalid API token"},
        ),
        (
            {"kind": FaultKind.HTTP_ERROR, "status": 403},
            403,
            {"error": "Insufficient scope", "required_scope": "chargers:control"},
        ),
        ({"kind": FaultKind.HTTP_ERROR, "status": 429}, 429, {"error": "Too many requests"}),
        ({"kind": FaultKind.HTTP_ERROR, "status": 502}, 502, None),
        ({"kind": FaultKind.HANG, "delay": 0.01}, 202, SENT),
        ({"kind": FaultKind.MALFORMED_JSON}, 202, None),
        ({"kind": FaultKind.MISSING_FIELDS}, 202, {}),
        ({"kind": FaultKind.UNKNOWN_ENUM}, 202, SENT),
        ({"kind": FaultKind.WRONG_SHAPE}, 202, [SENT]),
    ],
)
async def test_every_fault_kind(
    client: SimClient, sim: JouloSimulator, fault: dict[str, Any], status: int, body: Any
) -> None:
    """Faults match the reboot endpoint; an error fault means the reboot did not happen."""
    sim.faults.inject(endpoint=REBOOT, **fault)
    reply = await client.post(REBOOT, {"charger_id": GARAGE_ID, "type": "Soft"})
    assert reply.status == status
    if body is not None:
        assert reply.json() == body
    elif status == 202:
        with pytest.raises(json.JSONDecodeError):
            reply.json()
    else:
        assert reply.content_type == "text/html"
    assert sim.faults.active == []
    happened = fault["kind"] is not FaultKind.HTTP_ERROR
    assert len(sim.charger(GARAGE_ID).reboots) == int(happened)
    assert sim.requests[-1].status == status


def test_python_api(sim: JouloSimulator, clock: ManualClock) -> None:
    """``reboot_charger`` records the reboot and refuses the same cases as the API."""
    assert sim.reboot_charger(GARAGE_ID) == SimReboot(at=START, type="Soft")
    with pytest.raises(RebootCooldownError, match="300 seconds"):
        sim.reboot_charger(GARAGE_ID, reboot_type="Hard")
    with pytest.raises(ChargerOfflineError):
        sim.reboot_charger(CARPORT_ID)
    with pytest.raises(ValueError, match="Soft, Hard"):
        sim.reboot_charger(DRIVEWAY_ID, reboot_type="Reset")
    with pytest.raises(UnknownObjectError):
        sim.reboot_charger(GARAGE_ID, token=sim.add_account().token)
    clock.advance(timedelta(minutes=5))
    assert sim.reboot_charger(GARAGE_ID, reboot_type="Hard").type == "Hard"
    # A clock set back before the last reboot has no cooldown and shows the charger online.
    clock.set(START - timedelta(minutes=1))
    assert not sim.charger(GARAGE_ID).rebooting(clock())
    assert sim.reboot_charger(GARAGE_ID).at == START - timedelta(minutes=1)


async def test_account_switches_over_the_admin_route(
    client: SimClient, sim: JouloSimulator
) -> None:
    """``POST /_sim/accounts/settings`` flips ``can_control`` and ``me_available`` of a token."""
    reply = await client.admin("POST", "/accounts/settings", {"can_control": False})
    assert reply.json() == {
        "me_available": True,
        "ere_position_available": True,
        "can_control": False,
    }
    assert (await client.post(REBOOT, {"charger_id": GARAGE_ID, "type": "Soft"})).status == 403
    created = (await client.admin("POST", "/accounts", {"can_control": False})).json()
    assert sim.account(created["token"]).can_control is False
    reply = await client.admin(
        "POST", "/accounts/settings", {"token": created["token"], "can_control": True}
    )
    assert reply.json()["can_control"] is True
    assert sim.account().can_control is False
    bad = await client.admin("POST", "/accounts/settings", {"can_control": "no"})
    assert bad.status == 400
    unknown = await client.admin("POST", "/accounts/settings", {"token": "joulo_x"})
    assert unknown.status == 404
