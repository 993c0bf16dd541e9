"""`get_ere_position` over real HTTP: the simulator's ERE position and partial answers.

Its errors (the 404 of an account without it among them) are tested with every endpoint's in
`test_errors.py`.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from custom_components.joulo.api import (
    EreAmount,
    EreNetByStatus,
    ErePosition,
    EreQuarter,
    EreUnsold,
    ForecastConfidence,
    JouloClient,
)
from joulo_simulator import DEMO_TOKEN, FaultKind, JouloSimulator, SimulatorServer
from tests.client.helpers import START

AMOUNTS = ("paid", "payable", "reserved")


async def _raw_position(http_session: aiohttp.ClientSession, server: SimulatorServer) -> Any:
    """The simulator's `/ere-position` body as JSON, read without the client."""
    async with http_session.get(
        f"{server.base_url}/ere-position", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
    ) as response:
        assert response.status == 200
        return await response.json()


def _figures(model: Any) -> dict[str, Any]:
    """The model's fields by name, models inside it as dicts too (tuples as lists)."""
    if isinstance(model, tuple):
        return [_figures(item) for item in model]  # type: ignore[return-value]
    if not hasattr(model, "__slots__"):
        return model  # type: ignore[no-any-return]
    return {name: _figures(getattr(model, name)) for name in model.__slots__}


async def test_position_of_the_default_account(
    client: JouloClient,
    simulator: JouloSimulator,
    http_session: aiohttp.ClientSession,
    simulator_server: SimulatorServer,
) -> None:
    """Every figure of the API's answer, typed; the year's ERE add up; Q2 runs in April."""
    position = await client.get_ere_position()
    assert simulator.request_count("/ere-position") == 1

    raw = await _raw_position(http_session, simulator_server)
    assert _figures(position) == raw
    assert isinstance(position, ErePosition)
    assert position.forecast_confidence is ForecastConfidence.HIGH
    assert all(isinstance(getattr(position, name), EreAmount) for name in AMOUNTS)
    assert isinstance(position.unsold, EreUnsold)
    assert all(isinstance(quarter, EreQuarter) for quarter in position.quarters)
    assert all(
        isinstance(quarter.net_eur_by_status, EreNetByStatus) for quarter in position.quarters
    )

    assert position.compliance_year == START.year
    mid_this_year = [
        session
        for session in simulator.default_account.sessions
        if session.mid_certified and not session.is_active and session.started_at.year == START.year
    ]
    assert position.allocatable_ere == pytest.approx(
        sum(session.ere_credits or 0.0 for session in mid_this_year), abs=0.01
    )
    assert position.unsold is not None
    parts = [getattr(position, name).ere for name in AMOUNTS] + [position.unsold.ere]
    assert position.allocatable_ere == pytest.approx(sum(parts), abs=0.02)
    assert [quarter.quarter for quarter in position.quarters] == ["2026-Q1", "2026-Q2"]
    assert [quarter.final for quarter in position.quarters] == [True, False]
    assert position.current_quarter is position.quarters[1]


async def test_missing_figures_are_none(client: JouloClient, simulator: JouloSimulator) -> None:
    """An answer that keeps only its objects and lists parses with every figure None."""
    simulator.faults.inject(FaultKind.MISSING_FIELDS, endpoint="/ere-position")

    position = await client.get_ere_position()

    assert position == ErePosition(
        paid=EreAmount(),
        payable=EreAmount(),
        reserved=EreAmount(),
        unsold=EreUnsold(),
        quarters=(EreQuarter(net_eur_by_status=EreNetByStatus()),) * 2,
    )
    assert position.current_quarter is None


async def test_some_missing_figures_are_none(
    client: JouloClient, simulator: JouloSimulator
) -> None:
    """Named fields left out (also inside the objects) are None; the others are there."""
    simulator.faults.inject(
        FaultKind.MISSING_FIELDS,
        endpoint="/ere-position",
        fields=("net_eur", "final", "forecast_confidence", "unsold"),
    )

    position = await client.get_ere_position()

    assert position.paid is not None
    assert position.paid.net_eur is None
    assert position.paid.ere is not None
    assert position.unsold is None
    assert position.forecast_confidence is None
    assert position.pending_ere is not None
    assert [quarter.final for quarter in position.quarters] == [None, None]
    assert position.current_quarter is None
