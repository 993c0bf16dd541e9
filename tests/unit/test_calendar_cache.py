"""The calendar's session cache: which periods to read, what a read or the sessions poll completes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.joulo.api import Session
from custom_components.joulo.calendar_cache import FOLLOWED, LISTING_DELAY, LOOKBACK, SessionCache
from tests.factories import make_session

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def session(
    session_id: str, started_at: datetime, ended_at: datetime | None, *, charger_id: str = "c1"
) -> Session:
    """A session of `charger_id` as `/sessions` lists it; one without an end is running."""
    return make_session(
        session_id,
        charger_id=charger_id,
        started_at=started_at,
        ended_at=ended_at,
        running=ended_at is None,
    )


def test_a_new_cache_reads_the_range_and_its_lookback_up_to_now() -> None:
    """Nothing is known at first: the range is read from a lookback before it, never past now."""
    cache = SessionCache("c1", NOW)

    assert cache.periods_to_read(NOW - 10 * DAY, NOW + DAY, NOW) == [
        (NOW - 10 * DAY - LOOKBACK, NOW)
    ]
    assert cache.periods_to_read(NOW + DAY, NOW + 2 * DAY, NOW) == [(NOW + DAY - LOOKBACK, NOW)]
    assert cache.periods_to_read(NOW + LOOKBACK, NOW + 2 * LOOKBACK, NOW) == []


def test_a_period_read_once_is_not_read_again() -> None:
    """A past period read once is complete; a range around it reads only what is missing."""
    cache = SessionCache("c1", NOW)
    march = (NOW - 40 * DAY, NOW - 10 * DAY)
    cache.add_read(march, [], NOW, follow=True)

    assert cache.periods_to_read(march[0] + LOOKBACK, march[1], NOW) == []
    assert cache.periods_to_read(NOW - 50 * DAY, NOW - 5 * DAY, NOW) == [
        (NOW - 50 * DAY - LOOKBACK, march[0]),
        (march[1], NOW - 5 * DAY),
    ]


def test_spans_that_touch_are_joined() -> None:
    """Two reads that meet make one span."""
    cache = SessionCache("c1", NOW)
    cache.add_read((NOW - 3 * DAY, NOW - 2 * DAY), [], NOW, follow=True)
    cache.add_read((NOW - 2 * DAY, NOW - DAY), [], NOW, follow=True)
    cache.add_read((NOW - 10 * DAY, NOW - 9 * DAY), [], NOW, follow=True)

    assert cache.spans == [(NOW - 10 * DAY, NOW - 9 * DAY), (NOW - 3 * DAY, NOW - DAY)]


def test_a_read_up_to_now_is_followed_by_the_sessions_poll() -> None:
    """While the poll works, the newest span stays complete: later views read nothing."""
    cache = SessionCache("c1", NOW)
    cache.add_read((NOW - 5 * DAY, NOW), [], NOW, follow=True)
    later = NOW + 5 * HOUR
    new = session("new", NOW + HOUR, NOW + 2 * HOUR)
    cache.follow([new], later)

    assert cache.spans == [(NOW - 5 * DAY, FOLLOWED)]
    assert cache.periods_to_read(NOW - DAY, later, later) == []
    assert cache.sessions_between(NOW, later) == [new]


def test_when_the_poll_fails_the_followed_span_ends_a_listing_delay_before_it_last_worked() -> None:
    """A failed poll cuts the newest span where it was last known complete, to read from there."""
    cache = SessionCache("c1", NOW)
    cache.add_read((NOW - 5 * DAY, NOW), [], NOW, follow=True)
    cache.follow([], NOW + HOUR)

    cache.stop_following()

    cut = NOW + HOUR - LISTING_DELAY
    assert cache.spans == [(NOW - 5 * DAY, cut)]
    later = NOW + 2 * HOUR
    assert cache.periods_to_read(NOW - DAY, later, later) == [(cut, later)]


def test_without_the_poll_a_read_counts_up_to_a_listing_delay_ago() -> None:
    """Without the poll, sessions may still be listed late: the newest part is read again."""
    cache = SessionCache("c1", NOW)

    cache.add_read((NOW - DAY, NOW), [], NOW, follow=False)

    assert cache.spans == [(NOW - DAY, NOW - LISTING_DELAY)]


def test_without_the_poll_a_running_session_is_read_again() -> None:
    """Nothing else would tell when a running session ends: its start stays unread."""
    cache = SessionCache("c1", NOW)
    running = session("running", NOW - 5 * HOUR, None)

    cache.add_read((NOW - DAY, NOW), [running], NOW, follow=False)

    assert cache.spans == [(NOW - DAY, running.started_at)]
    cache.stop_following()
    assert cache.spans == [(NOW - DAY, running.started_at)]


def test_a_span_that_starts_with_a_running_session_is_dropped() -> None:
    """A span that would be cut to nothing is no span."""
    cache = SessionCache("c1", NOW)
    running = session("running", NOW - DAY, None)

    cache.add_read((NOW - DAY, NOW), [running], NOW, follow=False)

    assert cache.spans == []


def test_sessions_between_are_those_that_overlap_the_range() -> None:
    """A session counts when it started before the range's end and ended at or after its start."""
    cache = SessionCache("c1", NOW)
    before = session("before", NOW - 3 * DAY, NOW - 2 * DAY)
    across = session("across", NOW - DAY - HOUR, NOW - DAY + HOUR)
    inside = session("inside", NOW - 12 * HOUR, NOW - 11 * HOUR)
    running = session("running", NOW - HOUR, None)
    other = session("other", NOW - 12 * HOUR, NOW - 11 * HOUR, charger_id="c2")
    cache.add_read((NOW - 4 * DAY, NOW), [before, across, inside, running, other], NOW, follow=True)

    assert {s.id for s in cache.sessions_between(NOW - DAY, NOW)} == {"across", "inside", "running"}


def test_a_session_listed_again_replaces_the_one_known() -> None:
    """The poll's newer listing (here: the session ended) wins."""
    cache = SessionCache("c1", NOW)
    cache.add_read((NOW - DAY, NOW), [session("s", NOW - HOUR, None)], NOW, follow=True)
    ended = session("s", NOW - HOUR, NOW)

    cache.follow([ended], NOW + HOUR)

    assert cache.sessions_between(NOW - DAY, NOW + HOUR) == [ended]
