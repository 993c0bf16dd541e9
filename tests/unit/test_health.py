"""How long a coordinator keeps its last data through failures: `PollHealth`, on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.joulo.const import CHARGERS_RIDE_OUT
from custom_components.joulo.data import PollHealth

T0 = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
NO_RIDE_OUT = timedelta(0)


def after_failures(count: int, last_success: datetime | None = T0) -> PollHealth:
    """The health after `count` failed refreshes in a row since a good one at `last_success`."""
    health = PollHealth() if last_success is None else PollHealth.succeeded(last_success)
    for _ in range(count):
        health = health.failed(transient=False)
    return health


def test_a_new_coordinator_has_no_failures_and_no_good_answer() -> None:
    """Before its first refresh a coordinator has failed nothing and read nothing."""
    assert PollHealth() == PollHealth(failures_in_a_row=0, last_success=None)


def test_failures_count_until_a_success() -> None:
    """Each failure adds one; a success starts again from none, at its own time."""
    assert after_failures(3).failures_in_a_row == 3
    assert after_failures(3).last_success == T0
    assert after_failures(3).succeeded(T0 + 5 * MINUTE) == PollHealth(0, T0 + 5 * MINUTE)


def test_nothing_is_tolerated_before_a_good_answer() -> None:
    """Without data read before, there is nothing to keep showing: the first refresh must work."""
    assert not after_failures(1, last_success=None).tolerates(T0, CHARGERS_RIDE_OUT)


@pytest.mark.parametrize("ride_out", [NO_RIDE_OUT, CHARGERS_RIDE_OUT])
def test_one_failure_is_always_tolerated(ride_out: timedelta) -> None:
    """One failed refresh is ridden out, however long ago the last good answer came."""
    assert after_failures(1).tolerates(T0 + timedelta(hours=1), ride_out)


def test_without_a_ride_out_the_second_failure_shows() -> None:
    """Sessions and energy: the second failed refresh in a row is not ridden out."""
    assert not after_failures(2).tolerates(T0 + MINUTE, NO_RIDE_OUT)


@pytest.mark.parametrize(
    ("failures", "minutes", "tolerated"),
    [
        (2, 2, True),
        (4, 4, True),
        (5, 5, False),  # five minutes after the last good answer: it shows
        (2, 5, False),  # a slow cadence (an idle cloud account polls every 5 minutes)
        (2, 10, False),
        (1, 10, True),  # ... but one failure alone never shows
    ],
)
def test_chargers_ride_out_five_minutes(failures: int, minutes: int, tolerated: bool) -> None:
    """Chargers: failures are ridden out while the last good answer is younger than 5 minutes."""
    health = after_failures(failures)

    assert health.tolerates(T0 + minutes * MINUTE, CHARGERS_RIDE_OUT) is tolerated
