"""Which TAG ids no vehicle lists, from the sessions of the last 31 days, and what they charged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.joulo.api import SessionStatus
from custom_components.joulo.unknown_tags import (
    UNKNOWN_TAG_WINDOW,
    UnknownTag,
    next_leaves_window,
    tagged_in_window,
    unknown_tags,
)
from custom_components.joulo.vehicles import Vehicle
from tests.factories import make_session

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
TESLA = Vehicle("sub-tesla", "Tesla", frozenset({"04a1b2c3"}), frozenset())
LEASE = Vehicle("sub-lease", "Lease car", frozenset({"lease-card"}), frozenset({"c1"}))


def test_a_tag_no_vehicle_lists_is_unknown_with_its_figures() -> None:
    """Its sessions of the window counted, their kWh summed, the newest end; spelt as last listed."""
    sessions = [
        make_session(
            "a", started_at=NOW - 50 * HOUR, ended_at=NOW - 48 * HOUR, id_tag="cafe01", kwh=7.5
        ),
        make_session("b", started_at=NOW - 5 * HOUR, ended_at=NOW - 3 * HOUR, id_tag=" CAFE01 "),
        make_session(
            "c", started_at=NOW - 9 * HOUR, ended_at=NOW - 8 * HOUR, id_tag="Cafe01", kwh=None
        ),
        make_session("d", started_at=NOW - 9 * HOUR, ended_at=NOW - 8 * HOUR, id_tag="04A1B2C3"),
        make_session("e", started_at=NOW - 9 * HOUR, ended_at=NOW - 8 * HOUR, id_tag=" Lease-Card"),
    ]

    assert unknown_tags(sessions, (TESLA, LEASE), NOW) == {
        "cafe01": UnknownTag(tag="CAFE01", sessions=3, kwh=17.5, last_seen=NOW - 3 * HOUR)
    }


def test_without_vehicles_no_tag_is_unknown() -> None:
    """An account without vehicles does not sort sessions by vehicle: nothing to ask."""
    sessions = [make_session("a", started_at=NOW - 3 * HOUR, ended_at=NOW - HOUR, id_tag="cafe01")]

    assert unknown_tags(sessions, (), NOW) == {}
    assert set(unknown_tags(sessions, (TESLA,), NOW)) == {"cafe01"}


def test_only_completed_sessions_with_a_tag_that_ended_in_the_last_31_days_count() -> None:
    """Running, unfinished, untagged, blank-tagged and older sessions are left out; the edge is open."""
    edge = NOW - UNKNOWN_TAG_WINDOW
    kept = make_session("kept", started_at=edge - HOUR, ended_at=edge + SECOND, id_tag="t1")
    left_out = [
        make_session("old", started_at=edge - 2 * HOUR, ended_at=edge, id_tag="t2"),
        make_session("running", started_at=NOW - HOUR, running=True, id_tag="t3"),
        make_session(
            "unfinished",
            started_at=NOW - 3 * HOUR,
            ended_at=NOW - HOUR,
            status=SessionStatus.CHARGING,
            id_tag="t4",
        ),
        make_session("untagged", started_at=NOW - 3 * HOUR, ended_at=NOW - HOUR),
        make_session("blank", started_at=NOW - 3 * HOUR, ended_at=NOW - HOUR, id_tag="  "),
    ]

    assert tagged_in_window([kept, *left_out], NOW) == [kept]
    assert set(unknown_tags([kept, *left_out], (TESLA,), NOW)) == {"t1"}


def test_a_session_listed_twice_counts_once() -> None:
    """The same session on the sessions poll's page and in the history is one session."""
    session = make_session("a", started_at=NOW - 3 * HOUR, ended_at=NOW - HOUR, id_tag="t1")

    assert unknown_tags([session, session], (TESLA,), NOW)["t1"].sessions == 1


def test_the_figures_change_when_the_oldest_session_leaves_the_window() -> None:
    """31 days after the earliest end; nothing to wait for without sessions."""
    sessions = [
        make_session("a", started_at=NOW - 9 * HOUR, ended_at=NOW - 8 * HOUR, id_tag="t1"),
        make_session("b", started_at=NOW - 3 * HOUR, ended_at=NOW - HOUR, id_tag="t2"),
    ]

    assert next_leaves_window(sessions) == NOW - 8 * HOUR + UNKNOWN_TAG_WINDOW
    assert next_leaves_window([]) is None
