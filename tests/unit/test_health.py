"""How long a coordinator keeps its last data through failures: `PollHealth`, on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.joulo.const import CHARGERS_RIDE_OUT
from custom_components.joulo.data import MIN_REFRESH_WAIT, PollHealth, next_refresh_in

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


# The retry of a transient failure


def test_a_transient_failure_awaits_its_retry_before_it_counts() -> None:
    """The first transient failure is not counted yet: its retry is due, and the data is kept."""
    health = PollHealth.succeeded(T0).failed(transient=True)

    assert health == PollHealth(0, T0, retry_due=True)
    assert not health.good
    assert health.tolerates(T0 + timedelta(hours=1), NO_RIDE_OUT)


def test_a_failed_retry_counts_once_and_is_not_retried_again() -> None:
    """The retry failing too counts one failure; the failure after it may be retried again."""
    retried = PollHealth.succeeded(T0).failed(transient=True).failed(transient=True)

    assert retried == PollHealth(1, T0)
    assert retried.failed(transient=True) == PollHealth(1, T0, retry_due=True)


@pytest.mark.parametrize("health", [PollHealth(), PollHealth.succeeded(T0).failed(transient=False)])
def test_no_retry_before_a_good_answer_or_for_a_lasting_failure(health: PollHealth) -> None:
    """A setup's first refresh and a refusal are not retried: they count at once."""
    assert not health.failed(transient=False).retry_due
    assert not PollHealth().failed(transient=True).retry_due
    assert health.failed(transient=False).failures_in_a_row == health.failures_in_a_row + 1


PAUSE = timedelta(seconds=2)


@pytest.mark.parametrize(
    ("retry_due", "rate_limited_for", "since_poll", "expected"),
    [
        (True, None, timedelta(0), PAUSE),  # the retry
        (True, 300.0, timedelta(0), timedelta(seconds=300)),  # a rate limit's retry: at its end
        (False, None, timedelta(0), MINUTE),  # the regular poll
        (False, None, timedelta(seconds=2), MINUTE - timedelta(seconds=2)),  # after a retry
        (False, None, 2 * MINUTE, MIN_REFRESH_WAIT),  # a retry that took longer than a poll
        (False, 300.0, timedelta(0), timedelta(seconds=300)),  # the gate's Retry-After
        (False, 0.0, timedelta(0), MIN_REFRESH_WAIT),
    ],
)
def test_next_refresh(
    retry_due: bool, rate_limited_for: float | None, since_poll: timedelta, expected: timedelta
) -> None:
    """The retry comes after its pause, a rate limit after its Retry-After, else the cadence."""
    assert (
        next_refresh_in(
            MINUTE,
            retry_due=retry_due,
            retry_pause=PAUSE,
            rate_limited_for=rate_limited_for,
            since_poll=since_poll,
        )
        == expected
    )
