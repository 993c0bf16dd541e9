"""Whether a session's times can be true, and the one WARNING for each session whose times cannot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging

import pytest

from custom_components.joulo.session_times import (
    FUTURE_TOLERANCE,
    ImpossibleSessions,
    has_possible_times,
)
from tests.factories import make_session

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
TEN_YEARS = timedelta(days=3652)


@pytest.mark.parametrize(
    ("started_at", "ended_at", "running"),
    [
        (NOW - timedelta(hours=3), NOW - timedelta(hours=1), False),
        (NOW - timedelta(hours=3), None, True),
        (NOW - timedelta(hours=3), NOW - timedelta(hours=3), False),  # no duration
        (NOW + DAY - SECOND, NOW + DAY, False),  # up to a day ahead: a clock off by hours
        (NOW + DAY, None, True),
        (datetime(2001, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, 2, tzinfo=UTC), False),
    ],
)
def test_possible_times(started_at: datetime, ended_at: datetime | None, *, running: bool) -> None:
    """A start and end up to a day ahead, the end not before the start, or no end yet."""
    session = make_session(started_at=started_at, ended_at=ended_at, running=running)
    assert has_possible_times(session, NOW)


@pytest.mark.parametrize(
    ("started_at", "ended_at", "running"),
    [
        (NOW - timedelta(hours=1), NOW - timedelta(hours=1) - SECOND, False),  # ends before start
        (NOW - timedelta(hours=1), NOW + TEN_YEARS, False),  # ends ten years ahead
        (NOW - timedelta(hours=1), datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC), False),
        (NOW - timedelta(hours=1), NOW + DAY + SECOND, False),  # just over a day ahead
        (NOW + DAY + SECOND, NOW + DAY + SECOND, False),  # starts and ends too far ahead
        (NOW + TEN_YEARS, None, True),  # runs from ten years ahead
        (NOW + TEN_YEARS, NOW + TEN_YEARS - DAY, False),
    ],
)
def test_impossible_times(
    started_at: datetime, ended_at: datetime | None, *, running: bool
) -> None:
    """An end before the start, or a start or end more than a day ahead of now, cannot be."""
    session = make_session(started_at=started_at, ended_at=ended_at, running=running)
    assert not has_possible_times(session, NOW)


def test_the_tolerance_moves_with_now() -> None:
    """An end just over a day ahead cannot be now, and can once that day has nearly passed."""
    session = make_session(started_at=NOW, ended_at=NOW + FUTURE_TOLERANCE + SECOND)
    assert not has_possible_times(session, NOW)
    assert has_possible_times(session, NOW + SECOND)


def test_each_impossible_session_is_named_in_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    """The possible sessions pass in order; each other one is named once, however often it comes."""
    first = make_session("first", started_at=NOW - DAY)
    future = make_session("future", charger_id="c2", started_at=NOW - DAY, ended_at=NOW + TEN_YEARS)
    backwards = make_session("backwards", started_at=NOW - DAY, ended_at=NOW - 2 * DAY)
    running = make_session("running", started_at=NOW - SECOND, running=True)
    impossible = ImpossibleSessions()

    with caplog.at_level(logging.WARNING, logger="custom_components.joulo"):
        for _ in range(3):  # three polls
            assert impossible.possible([first, future, backwards, running], NOW) == [first, running]
        assert impossible.possible((), NOW) == []

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert [record.getMessage() for record in warnings] == [
        (
            "Joulo lists session future of charger c2 with times that cannot be (start "
            "2026-04-14T12:00:00+00:00, end 2036-04-14T12:00:00+00:00): it is left out of the "
            "charging statistics, the ERE missed, the energy report and the last session"
        ),
        (
            "Joulo lists session backwards of charger c1 with times that cannot be (start "
            "2026-04-14T12:00:00+00:00, end 2026-04-13T12:00:00+00:00): it is left out of the "
            "charging statistics, the ERE missed, the energy report and the last session"
        ),
    ]


def test_a_running_session_from_the_future_is_named_without_an_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A running session that starts years ahead is left out; it has no end."""
    session = make_session("ahead", started_at=NOW + TEN_YEARS, running=True)
    with caplog.at_level(logging.WARNING, logger="custom_components.joulo"):
        assert ImpossibleSessions().possible([session], NOW) == []
    assert "cannot be (start 2036-04-14T12:00:00+00:00, end none)" in caplog.text
