"""Whether a session's times can be true, and the sessions of an entry found with times that cannot.

A charger with a wrong clock can make Joulo list a session that ends before it starts, or starts or
ends years from now. Summed, one such session spreads its kWh over every hour up to that end and
holds back every later session of its charger. So what sums sessions (long-term statistics, the
tally of what chargers without MID missed, the energy report) and a charger's last session leave
these out, and the log names each once. What only shows sessions (the calendar, the announcements)
shows them as listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .api import Session
from .const import LOGGER

FUTURE_TOLERANCE = timedelta(days=1)
"""How far ahead of now a session may start or end: clocks and time zones off by hours pass."""


def has_possible_times(session: Session, now: datetime) -> bool:
    """Whether the session starts and (if it ended) ends by a day from `now`, and ends after it starts.

    An end equal to the start is possible: a session without duration.
    """
    latest = now + FUTURE_TOLERANCE
    if session.started_at > latest:
        return False
    return session.ended_at is None or session.started_at <= session.ended_at <= latest


class ImpossibleSessions:
    """The sessions of one entry found with impossible times; a WARNING names each, once."""

    def __init__(self) -> None:
        """Start with none found."""
        self._warned: set[str] = set()

    def possible(self, sessions: Iterable[Session], now: datetime) -> list[Session]:
        """The sessions whose times are possible at `now`; the others are named the first time seen."""
        kept = []
        for session in sessions:
            if has_possible_times(session, now):
                kept.append(session)
            elif session.id not in self._warned:
                self._warned.add(session.id)
                LOGGER.warning(
                    "Joulo lists session %s of charger %s with times that cannot be (start %s, "
                    "end %s): it is left out of the charging statistics, the ERE missed, the "
                    "energy report and the last session",
                    session.id,
                    session.charger_id,
                    session.started_at.isoformat(),
                    "none" if session.ended_at is None else session.ended_at.isoformat(),
                )
        return kept
