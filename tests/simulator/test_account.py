"""Tests of the default account and of other accounts, without HTTP."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
import hashlib
import itertools
import re

import pytest

from joulo_simulator import (
    CAR_A_TAG,
    CAR_B_TAG,
    JouloSimulator,
    ManualClock,
    SimAccount,
    UnknownObjectError,
    ere_credits_for,
)
from joulo_simulator.account import CARPORT_ID, DEFAULT_ID_TAG, DEMO_TOKEN, DRIVEWAY_ID, GARAGE_ID

from .common import START

TOKEN_FORMAT = re.compile(r"joulo_[A-Za-z0-9]{32}")
HISTORY_DIGEST = "863d832b14ce4278a34e6f431593ddb816b30f6c48c5b8ab6b4932b5eab9160b"
"""SHA-256 of the default account's sessions (seed 1, from :data:`START`): id, charger, plug-in,
unplug, kWh and ERE credits, one line each, as the simulator built them before its cars charged as
cars do (full, then idle until unplugged) and carried their TAG ids."""


def _history(account: SimAccount) -> list[tuple[object, ...]]:
    return [
        (s.id, s.charger_id, s.started_at, s.ended_at, s.kwh, s.ere_credits, s.id_tag)
        for s in account.sessions
    ]


def test_default_account_chargers(sim: JouloSimulator) -> None:
    """Garage (Easee, MID), Oprit (OCPP, MID, meter) and Carport (Wallbox, no MID, offline)."""
    account = sim.account()
    assert account is sim.account(DEMO_TOKEN)
    assert TOKEN_FORMAT.fullmatch(DEMO_TOKEN)
    assert list(account.chargers) == [GARAGE_ID, DRIVEWAY_ID, CARPORT_ID]
    garage, driveway, carport = account.chargers.values()
    assert (garage.nickname, garage.connection_type, garage.mid_certified, garage.status) == (
        "Garage",
        "easee",
        True,
        "online",
    )
    assert (driveway.nickname, driveway.connection_type, driveway.mid_certified) == (
        "Oprit",
        "ocpp",
        True,
    )
    assert driveway.status == "online"
    assert (carport.nickname, carport.connection_type, carport.mid_certified) == (
        "Carport",
        "wallbox",
        False,
    )
    assert carport.status == "offline"
    assert garage.meter_at(START) is None
    assert carport.meter_at(START) is None
    meter = driveway.meter_at(START)
    assert meter is not None
    assert meter[0] > 1_000_000
    assert not any(c.is_charging for c in account.chargers.values())
    assert sim.active_sessions() == []
    assert account.me_available
    assert (account.ere_price_mid, account.effective_fee_pct) == (0.87, 12.5)


def test_default_history_is_a_realistic_year(sim: JouloSimulator) -> None:
    """Evening and night sessions of 1-12 h and 3-60 kWh (a few empty ones) over 365 days."""
    account = sim.account()
    by_charger = dict.fromkeys(account.chargers, 0)
    for session in account.sessions:
        assert session.ended_at is not None
        assert session.status == "completed"
        assert START - timedelta(days=365) <= session.started_at
        assert session.ended_at <= START
        assert session.started_at.hour >= 16 or session.started_at.hour < 2
        assert timedelta(hours=1) <= session.ended_at - session.started_at <= timedelta(hours=12)
        assert session.kwh == 0 or 3 <= session.kwh <= 60
        assert session.ere_credits == ere_credits_for(session.kwh)
        by_charger[session.charger_id] += 1
    # A few sessions a week on each charger.
    assert all(52 < count < 52 * 5 for count in by_charger.values())
    empty = [s for s in account.sessions if s.kwh == 0]
    assert empty
    assert all(s.ere_credits is None for s in empty)
    assert ere_credits_for(42.37) == round(42.37 * 0.505 * 0.6588, 2) == 14.10
    # The Carport went offline a few weeks ago.
    last_carport = max(
        end for s in account.sessions if s.charger_id == CARPORT_ID and (end := s.ended_at)
    )
    assert timedelta(days=14) <= START - last_carport <= timedelta(days=40)
    # Sessions on one charger never overlap.
    for charger_id in account.chargers:
        runs = sorted(
            (s.started_at, s.ended_at) for s in account.sessions if s.charger_id == charger_id
        )
        assert all(end is not None and end <= nxt[0] for (_, end), nxt in itertools.pairwise(runs))
    assert len({s.id for s in account.sessions}) == len(account.sessions)


def test_the_history_keeps_its_sessions(sim: JouloSimulator) -> None:
    """How the cars draw and which car it was changed no session's times, kWh or ERE credits."""
    sessions = sim.account().sessions
    lines = "\n".join(
        f"{s.id} {s.charger_id} {s.started_at.isoformat()} {s.ended_at and s.ended_at.isoformat()} "
        f"{s.kwh} {s.ere_credits}"
        for s in sessions
    )
    assert hashlib.sha256(lines.encode()).hexdigest() == HISTORY_DIGEST
    assert (len(sessions), round(sum(s.kwh for s in sessions), 2)) == (397, 12563.7)
    first = sessions[0]
    assert (
        first.id,
        first.charger_id,
        first.started_at,
        first.ended_at,
        first.kwh,
        first.ere_credits,
    ) == (
        "0741c7a8-7ce4-4c82-9807-2e8c35bf992d",
        GARAGE_ID,
        datetime(2025, 4, 10, 0, 27, tzinfo=UTC),
        datetime(2025, 4, 10, 6, 42, tzinfo=UTC),
        29.92,
        9.95,
    )
    # Plugged in at 02:27 local time, after the Garage's 01:00: it draws 11 kW at once.
    assert (first.draws_from, first.power_kw) == (first.started_at, 11.0)
    assert first.energy_until(first.started_at + timedelta(hours=1)) == pytest.approx(11.0)
    assert first.full_at is not None
    assert first.ended_at is not None
    assert first.full_at < first.ended_at - timedelta(hours=3)
    assert first.energy_until(first.full_at + timedelta(hours=1)) == 29.92


def test_two_cars_with_their_cards(sim: JouloSimulator) -> None:
    """Car A at the Oprit and sometimes at the Garage, car B at the Garage; the Carport untagged."""
    assert DEFAULT_ID_TAG == CAR_A_TAG != CAR_B_TAG
    tags = {charger_id: Counter[str | None]() for charger_id in sim.account().chargers}
    for session in sim.account().sessions:
        tags[session.charger_id][session.id_tag] += 1
    assert set(tags[DRIVEWAY_ID]) == {CAR_A_TAG}
    assert set(tags[CARPORT_ID]) == {None}
    garage = tags[GARAGE_ID]
    assert set(garage) == {CAR_A_TAG, CAR_B_TAG}
    assert garage[CAR_B_TAG] > garage[CAR_A_TAG] > 0
    # Another account's chargers have the same cars.
    other = sim.add_account()
    assert {(s.charger_nickname, s.id_tag) for s in other.sessions} == {
        ("Garage", CAR_A_TAG),
        ("Garage", CAR_B_TAG),
        ("Oprit", CAR_A_TAG),
        ("Carport", None),
    }


def test_the_seed_decides_everything() -> None:
    """The same seed and start give the same account; another seed another history."""
    first = JouloSimulator(ManualClock(START), seed=5)
    again = JouloSimulator(ManualClock(START), seed=5)
    other = JouloSimulator(ManualClock(START), seed=6)
    assert _history(first.account()) == _history(again.account())
    assert first.account().id == again.account().id
    assert _history(first.account()) != _history(other.account())
    assert list(other.account().chargers) == [GARAGE_ID, DRIVEWAY_ID, CARPORT_ID]


def test_other_accounts(sim: JouloSimulator) -> None:
    """Other accounts have their own token, id, chargers and history, or none at all."""
    other = sim.add_account()
    assert TOKEN_FORMAT.fullmatch(other.token)
    assert sim.account(other.token) is other
    assert other.id != sim.account().id
    assert len(other.chargers) == 3
    assert not set(other.chargers) & set(sim.account().chargers)
    assert other.sessions
    empty = sim.add_account("joulo_" + "e" * 32, empty=True, account_id="acc-empty")
    assert (empty.id, empty.chargers, empty.sessions) == ("acc-empty", {}, [])
    assert sim.accounts == [sim.account(), other, empty]
    with pytest.raises(ValueError, match="another account"):
        sim.add_account(DEMO_TOKEN)
    with pytest.raises(ValueError, match="exists"):
        sim.add_account(account_id="acc-empty")


def test_tokens_rotate_and_revoke(sim: JouloSimulator) -> None:
    """A rotated or revoked token stops working at once; the account stays the same."""
    account = sim.account()
    new = sim.rotate_token(DEMO_TOKEN)
    assert TOKEN_FORMAT.fullmatch(new)
    assert account.token == new
    assert sim.authenticate(DEMO_TOKEN) is None
    assert sim.authenticate(new) is account
    assert sim.account() is account
    with pytest.raises(UnknownObjectError):
        sim.account(DEMO_TOKEN)
    sim.rotate_token(new, DEMO_TOKEN)
    assert sim.authenticate(DEMO_TOKEN) is account
    sim.revoke_token(DEMO_TOKEN)
    assert sim.authenticate(DEMO_TOKEN) is None
    assert account.token != DEMO_TOKEN
    with pytest.raises(ValueError, match="in use"):
        sim.rotate_token(account.token, account.token)
