"""What a simulated day costs the Joulo API: our integration against the `rest:` YAML of Joulo's guide.

Both run side by side in one Home Assistant (see `side_by_side.py`) for 24 simulated hours with
Joulo's upstream sync on: the default account with the autopilot charging (its OCPP charger reports
live, so chargers are polled every minute), and the same account without the OCPP charger and idle.
The counts are the same on every run and both Home Assistant versions, and so are each side's
entities, state writes, ERROR records and freshness: all asserted, and each day recorded for
`scripts/bench`'s table (`record_day`).
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from joulo_simulator import JouloSimulator
from tests.integration.side_by_side import (
    Freshness,
    SideBySide,
    make_cloud_only,
    record_day,
    simulate_side_by_side,
)

pytestmark = [pytest.mark.usefixtures("frozen_time"), pytest.mark.upstream_sync]

DAY = timedelta(hours=24)
GUIDE_DAY = {"/chargers": 1440, "/sessions": 144, "/energy": 24}
"""The YAML's day on any account: its three resources at their scan intervals."""


def assert_writes(day: SideBySide, *, ours: tuple[int, int], guide: tuple[int, int]) -> None:
    """Each side's state changes and state writes (changed or not) in the day."""
    for side, entities in ((ours, day.our_entities), (guide, day.guide_entities)):
        changes = len(day.writes_of(entities, changed_only=True))
        assert (changes, len(day.writes_of(entities))) == side, entities


@pytest.mark.autopilot
async def test_default_account_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Charging all day: a minute's chargers poll like the YAML, sessions and totals as they change.

    Each start or end brings a sessions poll forward, each completed session the totals; `/me` and
    `/ere-position` come with the hourly totals, at most once per cadence.
    """
    day = await simulate_side_by_side(
        hass, freezer, simulator, mock_config_entry, name="Default account", duration=DAY
    )

    assert len(day.ours.completed) == 5
    assert day.ours.per_endpoint == {
        "/chargers": 1440,
        "/sessions": 150,
        "/energy": 27,
        "/me": 22,
        "/ere-position": 22,
    }
    assert day.guide_per_endpoint == GUIDE_DAY
    assert day.ours.per_endpoint.total() == 1661  # the YAML's 1608, and 69 entities for its 8
    assert (len(day.our_entities), len(day.guide_entities)) == (69, 8)
    # Nothing of ours logs an ERROR; the YAML's templates do, whenever its charger is not charging.
    assert (day.errors.ours, day.errors.guide) == (0, 2238)
    # Our last-session kWh and `joulo_session_ended` show each session at the first chargers poll
    # after Joulo lists it: the live (OCPP) sessions at once, the cloud ones 17 s after their
    # charger's sync (its phase to the next whole minute). The YAML shows only the newest session
    # of the account, running or not, at its next sessions poll: two cars full before they were
    # unplugged at once (the final kWh while still charging), one late, and it misses two.
    assert day.freshness == Freshness(
        our_sensor=(0, 17, 0, 17, 0),
        our_event=(0, 17, 0, 17, 0),
        guide_sensor=(None, 0, None, 317, 0),
    )
    # Ours writes a state only when what it shows changed (but for six writes of the event entities
    # that repeat their state, and seven of the calendars: a full car's running event, whose kWh
    # stands still, runs out every 20 minutes and is written twice); the YAML writes each of its
    # sensors twice on every poll.
    assert_writes(day, ours=(1268, 1281), guide=(94, 12176))
    record_day("default account", day)


async def test_cloud_only_account_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: JouloSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Idle cloud chargers only: the chargers every five minutes, a fifth of the YAML's."""
    make_cloud_only(simulator)
    day = await simulate_side_by_side(
        hass, freezer, simulator, mock_config_entry, name="Cloud-only account", duration=DAY
    )

    assert not day.ours.completed
    assert day.ours.per_endpoint == {
        "/chargers": 288,
        "/sessions": 144,
        "/energy": 24,
        "/me": 24,
        "/ere-position": 24,
    }
    assert day.guide_per_endpoint == GUIDE_DAY
    assert day.ours.per_endpoint.total() == 504  # 31% of the YAML's 1608
    assert (len(day.our_entities), len(day.guide_entities)) == (53, 8)
    # Two of the YAML's templates fail on every chargers poll: no charger runs a session.
    assert (day.errors.ours, day.errors.guide) == (0, 2 * 1440)
    assert day.freshness == Freshness(our_sensor=(), our_event=(), guide_sensor=())
    assert_writes(day, ours=(23, 23), guide=(0, 12176))
    record_day("idle cloud-only account", day)
