"""What changed between two polls: the pure functions the coordinators act on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.joulo.api import Charger, ConnectionType, CurrentSession, Session
from custom_components.joulo.changes import (
    FAST_INTERVAL,
    IDLE_INTERVAL,
    PowerReading,
    PowerTrack,
    RunningSession,
    changed_keys,
    chargers_interval,
    chargers_missing,
    newest_completed,
    reports_live,
    running_sessions,
    sessions_ended,
    sessions_started,
    track_power,
)
from tests.factories import SESSION_LENGTH, make_charger, make_session

T0 = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def running(session_id: str = "s1", kwh: float | None = 0.0) -> CurrentSession:
    """A running session started at T0."""
    return CurrentSession(id=session_id, started_at=T0, kwh_so_far=kwh, id_tag=None)


def completed(session_id: str, charger_id: str, ended_at: datetime, kwh: float = 10.0) -> Session:
    """A completed session."""
    return make_session(
        session_id,
        charger_id=charger_id,
        started_at=ended_at - SESSION_LENGTH,
        ended_at=ended_at,
        kwh=kwh,
    )


def test_running_sessions_started_and_ended() -> None:
    """Sessions are matched by id: one that left is ended, one that appeared started."""
    before = running_sessions(
        {"a": make_charger("a", session=running("s1")), "b": make_charger("b")}
    )
    after = running_sessions(
        {"a": make_charger("a"), "b": make_charger("b", session=running("s2"))}
    )
    assert before == {"s1": RunningSession("a", T0)}
    assert sessions_started(before, after) == {"s2"}
    assert sessions_ended(before, after) == {"s1": RunningSession("a", T0)}
    assert sessions_started(after, after) == set()
    assert sessions_ended(after, after) == {}


def test_changed_keys() -> None:
    """Changed, new and gone keys count; equal values do not; nothing before means everything."""
    assert changed_keys(None, {"a": 1}) is None
    assert changed_keys({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 4}) == frozenset("bcd")
    assert changed_keys({"a": make_charger("a")}, {"a": make_charger("a")}) == frozenset()


def test_chargers_missing_until_gone_for_good() -> None:
    """A charger an answer leaves out is missing from then on, until listed again or gone.

    It is gone (left out) once an answer comes `gone_after` or more after the first one without it.
    """
    gone_after = timedelta(minutes=5)
    first = chargers_missing(["a", "b", "c"], {"a"}, {"c": T0 - MINUTE}, T0, gone_after)
    assert first == {"b": T0, "c": T0 - MINUTE}
    almost = chargers_missing(["b", "c"], set(), first, T0 + gone_after - MINUTE, gone_after)
    assert almost == {"b": T0}
    assert chargers_missing(["b"], set(), almost, T0 + gone_after, gone_after) == {}
    # Listed again before that, it is no longer missing; missing again later, it starts anew.
    assert chargers_missing(["b"], {"b"}, almost, T0 + gone_after, gone_after) == {}
    later = T0 + 2 * gone_after
    assert chargers_missing(["b"], set(), {}, later, gone_after) == {"b": later}


def test_newest_completed_keeps_the_latest_end_per_charger() -> None:
    """A later end replaces, an earlier one does not, running sessions never count."""
    old = completed("s1", "a", T0)
    newer = completed("s2", "a", T0 + timedelta(days=1))
    other = completed("s3", "b", T0)
    still_running = replace(completed("s4", "a", T0 + timedelta(days=2)), ended_at=None)
    assert newest_completed({}, [old, newer, other, still_running]) == {"a": newer, "b": other}
    assert newest_completed({"a": newer}, [old]) == {"a": newer}
    corrected = replace(newer, kwh=12.0)
    assert newest_completed({"a": newer}, [corrected]) == {"a": corrected}


def test_reports_live() -> None:
    """OCPP is live; so is a meter that moves within minutes; a cloud charger's 15-minute steps are not."""
    assert reports_live(make_charger(connection_type=ConnectionType.OCPP), None, was_live=False)
    assert reports_live(make_charger(), None, was_live=True)
    assert not reports_live(make_charger(), None, was_live=False)
    before = make_charger(meter_wh=1000, meter_at=T0)
    assert reports_live(make_charger(meter_wh=1100, meter_at=T0 + MINUTE), before, was_live=False)
    later = make_charger(meter_wh=1100, meter_at=T0 + timedelta(minutes=15))
    assert not reports_live(later, before, was_live=False)
    assert not reports_live(make_charger(meter_wh=1000, meter_at=T0), before, was_live=False)


@pytest.mark.parametrize(
    ("chargers", "live", "awaiting", "interval"),
    [
        pytest.param({"a": make_charger("a")}, set(), False, IDLE_INTERVAL, id="idle cloud"),
        pytest.param({}, set(), False, IDLE_INTERVAL, id="no chargers"),
        pytest.param(
            {"a": make_charger("a", session=running())}, set(), False, FAST_INTERVAL, id="charging"
        ),
        pytest.param({"a": make_charger("a")}, {"a"}, False, FAST_INTERVAL, id="live"),
        pytest.param({"a": make_charger("a")}, {"gone"}, False, IDLE_INTERVAL, id="live one left"),
        pytest.param({"a": make_charger("a")}, set(), True, FAST_INTERVAL, id="awaiting an end"),
    ],
)
def test_chargers_interval(
    chargers: dict[str, Charger], live: set[str], awaiting: bool, interval: timedelta
) -> None:
    """Every minute while anything can change; every five minutes for idle cloud chargers."""
    assert chargers_interval(chargers, live, awaiting_finished=awaiting) == interval


def test_power_is_none_without_a_session() -> None:
    """Nothing charges: nothing to track."""
    assert track_power(None, make_charger(), T0, None) is None


def test_power_from_a_meter() -> None:
    """Two meter readings give the average power between them; the same reading changes nothing."""
    first = track_power(
        None, make_charger(session=running(), meter_wh=1_000_000, meter_at=T0), T0, None
    )
    assert first is not None
    assert first.power_w is None
    second = track_power(
        first,
        make_charger(session=running(), meter_wh=1_000_183, meter_at=T0 + MINUTE),
        T0 + MINUTE,
        T0,
    )
    assert second is not None
    assert second.power_w == 10980.0
    again = track_power(
        second,
        make_charger(session=running(), meter_wh=1_000_183, meter_at=T0 + MINUTE),
        T0 + 2 * MINUTE,
        T0 + MINUTE,
    )
    assert again == second


def test_power_after_a_meter_reset_starts_over() -> None:
    """A meter that goes back is a new base: unknown again, never negative."""
    track = PowerTrack("s1", PowerReading(T0, 5000.0), 5000.0, 1000.0)
    reset = track_power(
        track, make_charger(session=running(), meter_wh=10, meter_at=T0 + MINUTE), T0 + MINUTE, T0
    )
    assert reset is not None
    assert reset.power_w is None
    assert reset.base == PowerReading(T0 + MINUTE, 10)


def test_cloud_power_from_the_start_and_precise_changes() -> None:
    """Without a meter: the start (0 Wh) and each change seen between two close polls."""
    start = track_power(None, make_charger(session=running(kwh=0.5)), T0 + 5 * MINUTE, T0)
    assert start is not None
    # Seen after a 5-minute gap: the change's moment is unsure, so it is no reading.
    assert start.base == PowerReading(T0, 0.0)
    assert start.power_w is None
    polled = T0 + timedelta(minutes=15)
    synced = track_power(start, make_charger(session=running(kwh=1.85)), polled + MINUTE, polled)
    assert synced is not None
    # 1.85 kWh in 15.5 minutes (the change dated halfway between the polls).
    assert synced.power_w == round(1850 * 60 / 15.5, 1)
    unchanged = track_power(
        synced, make_charger(session=running(kwh=1.85)), polled + 2 * MINUTE, polled + MINUTE
    )
    assert unchanged == synced


def test_cloud_power_is_zero_when_no_energy_arrives() -> None:
    """No new energy for longer than a cloud sync while charging: the car draws nothing."""
    track = PowerTrack("s1", PowerReading(T0, 1850.0), 1850.0, 7400.0)
    idle = track_power(
        track,
        make_charger(session=running(kwh=1.85)),
        T0 + timedelta(minutes=21),
        T0 + timedelta(minutes=20),
    )
    assert idle is not None
    assert idle.power_w == 0.0
    fresh = track_power(
        track,
        make_charger(session=running(kwh=1.85)),
        T0 + timedelta(minutes=5),
        T0 + timedelta(minutes=4),
    )
    assert fresh == track


def test_a_new_session_starts_over() -> None:
    """Another session id: the old readings are forgotten."""
    track = PowerTrack("old", PowerReading(T0, 1850.0), 1850.0, 7400.0)
    new = track_power(track, make_charger(session=running("new", kwh=None)), T0 + MINUTE, T0)
    assert new == PowerTrack("new", PowerReading(T0, 0.0), None, None)


def test_a_meter_reading_dated_before_the_base_is_ignored() -> None:
    """A meter whose timestamp went back (but not its energy) gives no power from a negative time."""
    track = PowerTrack("s1", PowerReading(T0, 5000.0), 5000.0, 1000.0)
    earlier = make_charger(session=running(), meter_wh=5100, meter_at=T0 - MINUTE)
    assert track_power(track, earlier, T0 + MINUTE, T0) == replace(track, seen_wh=5100)
