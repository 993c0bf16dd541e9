"""The calendar's memory of one charger's sessions: what was read, and which periods are complete.

Pure bookkeeping, no I/O and no clock: the calendar entity asks `periods_to_read` which periods of
session starts it must read from `/sessions`, reads them through the client's paging, and hands the
answers back with `add_read`. A period read once is never read again, since a session's past does not
change. The newest period is kept complete without requests instead: while the sessions poll works,
everything it lists is taken in (`follow`), so a session that starts or ends after a view shows on the
next one for free. When the poll fails (`stop_following`), the newest period counts only up to where it
was last known complete, and the next view reads from there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from .api import Session

LOOKBACK = timedelta(days=3)
"""How long before a range a session may have started and still reach into it (a long weekend)."""
LISTING_DELAY = timedelta(minutes=15)
"""How late `/sessions` may list a session: cloud chargers are synced about every 15 minutes."""

FOLLOWED = datetime.max.replace(tzinfo=UTC)
"""The end of the newest span while the sessions poll keeps it complete."""

type Span = tuple[datetime, datetime]
"""Session starts from the first moment up to the second that were all read (or followed)."""


class SessionCache:
    """One charger's sessions as far as they were read or seen, and which periods are complete."""

    def __init__(self, charger_id: str, now: datetime) -> None:
        """Remember the sessions of `charger_id`; nothing is known to be complete before `now`."""
        self._charger_id = charger_id
        self._sessions: dict[str, Session] = {}
        self._spans: list[Span] = []
        self._complete_until = now

    @property
    def spans(self) -> list[Span]:
        """The periods of session starts known complete, oldest first, none overlapping."""
        return list(self._spans)

    def follow(self, sessions: Iterable[Session], now: datetime) -> None:
        """Take in what the sessions poll listed at `now`; the followed span is complete until then."""
        self._complete_until = now
        self._merge(sessions)

    def stop_following(self) -> None:
        """The sessions poll failed: the followed span ends where it was last known complete."""
        cut = self._complete_until - LISTING_DELAY
        self._spans = self._settled(
            [(start, cut if end == FOLLOWED else end) for start, end in self._spans]
        )

    def periods_to_read(self, start: datetime, end: datetime, now: datetime) -> list[Span]:
        """The periods of session starts to read before the sessions from `start` to `end` are known.

        Sessions that started up to `LOOKBACK` before `start` may reach into the range; none can
        have started after `now`.
        """
        gaps: list[Span] = []
        cursor, until = start - LOOKBACK, min(end, now)
        for span_start, span_end in self._spans:
            if span_start >= until:
                break
            if span_start > cursor:
                gaps.append((cursor, span_start))
            cursor = max(cursor, span_end)
        if cursor < until:
            gaps.append((cursor, until))
        return gaps

    def add_read(
        self,
        period: Span,
        sessions: Iterable[Session],
        now: datetime,
        *,
        follow: bool,
    ) -> None:
        """Take in every session that started in `period`, as read at `now`.

        A period that reaches `now` is followed from then on when `follow` (the sessions poll
        works); otherwise it counts as complete only up to a listing delay ago.
        """
        self._merge(sessions)
        start, end = period
        if follow:
            self._complete_until = now
            self._add_span(start, FOLLOWED if end >= now else end)
        else:
            self._add_span(start, min(end, now - LISTING_DELAY))
            self._spans = self._settled(self._spans)

    def sessions_between(self, start: datetime, end: datetime) -> list[Session]:
        """The sessions known to overlap `start` to `end` (a running one reaches up to now)."""
        return [
            session
            for session in self._sessions.values()
            if session.started_at < end and (session.ended_at is None or session.ended_at >= start)
        ]

    def _merge(self, sessions: Iterable[Session]) -> None:
        """Remember the charger's sessions among these, as last listed."""
        self._sessions.update(
            (session.id, session) for session in sessions if session.charger_id == self._charger_id
        )

    def _add_span(self, start: datetime, end: datetime) -> None:
        """Record a read period, joined with the spans it touches."""
        if end <= start:
            return
        spans: list[Span] = []
        for span in sorted([*self._spans, (start, end)]):
            if spans and spans[-1][1] >= span[0]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], span[1]))
            else:
                spans.append(span)
        self._spans = spans

    def _settled(self, spans: list[Span]) -> list[Span]:
        """Spans cut short at the start of any session not known to have ended, to read it again.

        Without the sessions poll, nothing else would tell when such a session ends.
        """
        for session in self._sessions.values():
            if session.ended_at is None:
                moment = session.started_at
                spans = [
                    (start, min(end, moment) if start <= moment < end else end)
                    for start, end in spans
                ]
        return [(start, end) for start, end in spans if start < end]
