"""TAG ids that no vehicle lists: which recent sessions carry one, and what they charged.

Pure: no Home Assistant import. A card that charged in the last 31 days while no vehicle of the
account lists its TAG id is probably a vehicle's card the user has not added yet (or a guest's).
Only an account with at least one vehicle sorts its sessions by vehicle, so only then is a TAG id
unknown. Tags are compared as `vehicles.normalise_tag` says.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from .api import Session
from .vehicles import Vehicle, normalise_tag

UNKNOWN_TAG_WINDOW: Final = timedelta(days=31)
"""How far back a session's TAG id counts: sessions that ended longer ago are forgotten."""


@dataclass(frozen=True, slots=True)
class UnknownTag:
    """A TAG id no vehicle lists, with the completed sessions of the window that carry it."""

    tag: str
    """As its newest session lists it, without surrounding spaces."""
    sessions: int
    kwh: float
    """What those sessions charged (a session without kWh counts as 0)."""
    last_seen: datetime
    """When its newest session ended."""


def tagged_in_window(sessions: Iterable[Session], now: datetime) -> list[Session]:
    """The completed sessions with a TAG id (not a blank one) that ended in the 31 days up to `now`."""
    since = now - UNKNOWN_TAG_WINDOW
    return [
        session
        for session in sessions
        if session.is_completed
        and session.ended_at is not None
        and session.ended_at > since
        and session.id_tag
        and session.id_tag.strip()
    ]


def unknown_tags(
    sessions: Iterable[Session], vehicles: Collection[Vehicle], now: datetime
) -> dict[str, UnknownTag]:
    """The TAG ids of the window's sessions that no vehicle lists, by normalised tag.

    None while the account has no vehicle. A session listed twice (on two pages) counts once.
    """
    if not vehicles:
        return {}
    known = frozenset().union(*(vehicle.id_tags for vehicle in vehicles))
    by_tag: dict[str, dict[str, Session]] = {}
    for session in tagged_in_window(sessions, now):
        if (tag := normalise_tag(session.id_tag or "")) not in known:
            by_tag.setdefault(tag, {})[session.id] = session
    found: dict[str, UnknownTag] = {}
    for tag, tagged in by_tag.items():
        newest = max(tagged.values(), key=lambda session: session.ended_or_started_at)
        found[tag] = UnknownTag(
            tag=(newest.id_tag or "").strip(),
            sessions=len(tagged),
            kwh=sum(session.kwh or 0.0 for session in tagged.values()),
            last_seen=newest.ended_or_started_at,
        )
    return found


def next_leaves_window(sessions: Iterable[Session]) -> datetime | None:
    """When the first of these completed sessions leaves the window (31 days after it ended).

    None without sessions: nothing leaves it.
    """
    return min(
        (session.ended_or_started_at + UNKNOWN_TAG_WINDOW for session in sessions), default=None
    )
