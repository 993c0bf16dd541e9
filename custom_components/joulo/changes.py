"""What changed between two polls, decided by pure functions of the old and the new data.

Nothing here does I/O or keeps state: the coordinators call these with what they read before and what
they read now, and act on the answer (write entities, refresh sessions, adapt polling).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .api import Charger, ConnectionType, Session

FAST_INTERVAL = timedelta(seconds=60)
"""Chargers polling while anything can change from one minute to the next."""
IDLE_INTERVAL = timedelta(minutes=5)
"""Chargers polling when every charger is an idle cloud charger (Joulo syncs those every 15 min)."""
LIVE_METER_GAP = timedelta(minutes=10)
"""A meter that moves again within this is read live, not at the cloud's 15-minute syncs."""
PRECISE_WINDOW = timedelta(seconds=90)
"""A change seen within this of the poll before it is dated precisely enough to compute power."""
STALE_POWER = timedelta(minutes=20)
"""No new energy for this long while charging (more than one cloud sync): the car draws nothing."""


@dataclass(frozen=True, slots=True)
class RunningSession:
    """A session a charger shows running: its charger and start."""

    charger_id: str
    started_at: datetime | None


def running_sessions(chargers: Mapping[str, Charger]) -> dict[str, RunningSession]:
    """The sessions running on the chargers, by session id."""
    return {
        charger.current_session.id: RunningSession(charger.id, charger.current_session.started_at)
        for charger in chargers.values()
        if charger.current_session is not None
    }


def sessions_started(
    before: Mapping[str, RunningSession], after: Mapping[str, RunningSession]
) -> set[str]:
    """The ids of the sessions running now that were not running before."""
    return set(after.keys() - before.keys())


def sessions_ended(
    before: Mapping[str, RunningSession], after: Mapping[str, RunningSession]
) -> dict[str, RunningSession]:
    """The sessions that were running before and are not now, by id."""
    return {
        session_id: running for session_id, running in before.items() if session_id not in after
    }


def changed_keys[KeyT, ValueT](
    before: Mapping[KeyT, ValueT] | None, after: Mapping[KeyT, ValueT]
) -> frozenset[KeyT] | None:
    """The keys whose value differs, appeared or disappeared; None when there was nothing before."""
    if before is None:
        return None
    changed = {key for key, value in after.items() if before.get(key) != value}
    changed.update(key for key in before if key not in after)
    return frozenset(changed)


def chargers_missing(
    known: Iterable[str],
    listed: Container[str],
    missing: Mapping[str, datetime],
    now: datetime,
    gone_after: timedelta,
) -> dict[str, datetime]:
    """The known chargers an answer read at `now` does not list, each with since when it is missing.

    `known` are the chargers listed or missing before, `missing` since when each of those was
    missing (the first answer that did not list it). A charger listed again is no longer missing;
    one missing for `gone_after` has left the account for good and is left out.
    """
    return {
        charger_id: since
        for charger_id in known
        if charger_id not in listed and now - (since := missing.get(charger_id, now)) < gone_after
    }


def newest_completed(
    previous: Mapping[str, Session], sessions: Iterable[Session]
) -> dict[str, Session]:
    """Each charger's newest completed session: `previous`, updated with what `sessions` lists.

    A session counts as newer when it ended later; the same session listed again (e.g. with a
    corrected kWh) replaces the one known.
    """
    newest = dict(previous)
    for session in sessions:
        known = newest.get(session.charger_id)
        if session.is_completed and (
            known is None
            or session.ended_or_started_at > known.ended_or_started_at
            or (session.id == known.id and session != known)
        ):
            newest[session.charger_id] = session
    return newest


def reports_live(charger: Charger, before: Charger | None, *, was_live: bool) -> bool:
    """Whether a charger reports live: OCPP, or a meter that moved within minutes of its last move."""
    if was_live or charger.connection_type == ConnectionType.OCPP:
        return True
    if before is None or before.meter_updated_at is None or charger.meter_updated_at is None:
        return False
    gap = charger.meter_updated_at - before.meter_updated_at
    return timedelta(0) < gap < LIVE_METER_GAP


def chargers_interval(
    chargers: Mapping[str, Charger], live: Iterable[str], *, awaiting_finished: bool
) -> timedelta:
    """How often to poll `/chargers`: every minute while a charger charges or reports live.

    Also while a session that ended is not listed yet: each chargers poll looks for it.
    """
    if (
        awaiting_finished
        or any(charger.is_charging for charger in chargers.values())
        or any(charger_id in chargers for charger_id in live)
    ):
        return FAST_INTERVAL
    return IDLE_INTERVAL


@dataclass(frozen=True, slots=True)
class PowerReading:
    """The energy a running session had delivered at a moment (Wh; a meter's total for meters)."""

    at: datetime
    wh: float


@dataclass(frozen=True, slots=True)
class PowerTrack:
    """What the power of a charger's running session is worked out from.

    `base` is the last reading dated precisely; `seen_wh` the last energy value seen at all (a change
    seen after a long gap between polls moves `seen_wh` but is no base: its moment is unsure).
    """

    session_id: str
    base: PowerReading | None
    seen_wh: float | None
    power_w: float | None


def track_power(
    previous: PowerTrack | None, charger: Charger, now: datetime, since: datetime | None
) -> PowerTrack | None:
    """Follow a charger's session power from this poll (at `now`; the poll before it at `since`).

    The power is the average between the last two distinct readings: the meter and its timestamp when
    the charger reports one; else `kwh_so_far`, dated when it changed (between `since` and `now`), with
    the session's start (0 Wh) as its first reading. Unknown until there are two readings; it starts
    over, never negative, with a new session or a meter that went back. None when nothing charges.
    """
    session = charger.current_session
    if session is None:
        return None
    if previous is None or previous.session_id != session.id:
        start = None
        if charger.latest_meter_wh is None and session.started_at is not None:
            start = PowerReading(session.started_at, 0.0)
        previous = PowerTrack(session.id, base=start, seen_wh=None, power_w=None)
    reading, seen_wh = _reading(previous, charger, now, since)
    track = replace(previous, seen_wh=seen_wh)
    if reading is None:
        return _stale(track, now)
    base = track.base
    if base is None or reading.wh < base.wh:
        return replace(track, base=reading, power_w=None)
    seconds = (reading.at - base.at).total_seconds()
    if seconds <= 0:
        return track
    power = round((reading.wh - base.wh) * 3600 / seconds, 1)
    return replace(track, base=reading, power_w=power)


def _reading(
    track: PowerTrack, charger: Charger, now: datetime, since: datetime | None
) -> tuple[PowerReading | None, float | None]:
    """This poll's new, precisely dated reading (if any), and the energy value seen now."""
    if charger.latest_meter_wh is not None and charger.meter_updated_at is not None:
        if track.base is not None and track.base.at == charger.meter_updated_at:
            return None, charger.latest_meter_wh
        return PowerReading(
            charger.meter_updated_at, charger.latest_meter_wh
        ), charger.latest_meter_wh
    session = charger.current_session
    if session is None or session.kwh_so_far is None:
        return None, track.seen_wh
    wh = round(session.kwh_so_far * 1000, 1)
    if wh == track.seen_wh:
        return None, wh
    if since is None or now - since > PRECISE_WINDOW:
        return None, wh
    # The change happened at the cloud sync somewhere between the two polls: date it halfway.
    return PowerReading(since + (now - since) / 2, wh), wh


def _stale(track: PowerTrack, now: datetime) -> PowerTrack:
    """Power 0 once no new energy arrived for longer than a cloud sync; else the track as it is."""
    if track.power_w and track.base is not None and now - track.base.at > STALE_POWER:
        return replace(track, power_w=0.0)
    return track
