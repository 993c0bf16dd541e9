"""The integration tests' `simulator` fixture: live by default, synced or on autopilot when marked."""

from __future__ import annotations

import pytest

from joulo_simulator import JouloSimulator


def test_live_and_still_by_default(simulator: JouloSimulator) -> None:
    """Unmarked, every charger is live and none charges by itself, for the tests that need it."""
    assert simulator.upstream_sync is False
    assert simulator.autopilot is False


@pytest.mark.upstream_sync
def test_syncs_when_marked(simulator: JouloSimulator) -> None:
    """Marked ``upstream_sync``, cloud chargers show only at their syncs, as on Joulo."""
    assert simulator.upstream_sync is True


@pytest.mark.autopilot
def test_charges_by_itself_when_marked(simulator: JouloSimulator) -> None:
    """Marked ``autopilot``, online chargers start and end sessions by themselves."""
    assert simulator.autopilot is True
