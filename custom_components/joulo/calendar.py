"""Calendar entities of the Joulo integration: each charger's charging sessions as events.

Range queries are answered from `/sessions` (by charger and start, pages of 100, through the shared
rate-limit gate) and remembered: a session's past does not change, so a period read once is never read
again. The newest period is kept complete without requests instead: every session the coordinators see
is merged in, so a session that starts or ends after a view shows on the next one for free. Only when
the sessions poll fails does that stop; the next view then reads again from where it was last known
complete. The entity's state, the session running now, comes from the chargers poll alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import (
    Charger,
    CurrentSession,
    JouloAuthenticationError,
    JouloClient,
    JouloConnectionError,
    JouloError,
    JouloRateLimitedError,
    Session,
)
from .const import DOMAIN, SESSIONS_PAGE_SIZE
from .data import JouloConfigEntry
from .entity import JouloLiveChargerEntity, async_add_charger_entities
from .ere import session_counts_for_ere
from .phrases import number, phrase

# The sessions poll and the chargers poll do the I/O of the state; range queries are not updates.
PARALLEL_UPDATES = 0

LOOKBACK = timedelta(days=3)
"""How long before a range a session may have started and still reach into it (a long weekend)."""
LISTING_DELAY = timedelta(minutes=15)
"""How late `/sessions` may list a session: cloud chargers are synced about every 15 minutes."""
CURRENT_EVENT_HORIZON = LISTING_DELAY + timedelta(minutes=5)
"""How long the running session lasts as the current event past the latest data about it.

A cloud charger's next sync is due within 15 minutes, and the chargers poll sees it within one poll.
"""
CURRENT_EVENT_REFRESH = timedelta(minutes=5)
"""How often, at most, the current event takes in a running session's growing energy.

Every chargers poll brings a live charger's session new energy, and each write of a calendar's state
also schedules its timers: a charger's energy sensor follows each poll, the calendar's summary every
five minutes (its range queries, what the calendar view shows, always have the latest).
"""

CHARGING_SESSIONS = CalendarEntityDescription(
    key="charging_sessions", translation_key="charging_sessions"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: JouloConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the charging sessions calendar of each charger."""
    async_add_charger_entities(
        entry,
        async_add_entities,
        (CHARGING_SESSIONS,),
        lambda charger, description: JouloSessionsCalendar(entry, charger, description),
    )


FOLLOWED = datetime.max.replace(tzinfo=UTC)
"""The end of the newest span while the coordinators keep it complete."""

type _Span = tuple[datetime, datetime]
"""Session starts from the first moment up to the second that were all read (or followed)."""


class SessionHistory:
    """One charger's sessions as far as they were read or seen, and which periods are complete."""

    def __init__(self, client: JouloClient, charger_id: str) -> None:
        """Read the sessions of `charger_id` with `client` when a period is asked for first."""
        self._client = client
        self._charger_id = charger_id
        self._sessions: dict[str, Session] = {}
        self._spans: list[_Span] = []
        self._complete_until = dt_util.utcnow()
        self._lock = asyncio.Lock()

    def follow(self, sessions: Iterable[Session]) -> None:
        """Take in what the sessions poll listed just now; the followed span is complete until now."""
        self._complete_until = dt_util.utcnow()
        self._merge(sessions)

    def stop_following(self) -> None:
        """The sessions poll failed: the followed span ends where it was last known complete."""
        cut = self._complete_until - LISTING_DELAY
        self._spans = self._settled(
            [(start, cut if end == FOLLOWED else end) for start, end in self._spans]
        )

    async def async_sessions(
        self, start: datetime, end: datetime, *, follow: bool
    ) -> list[Session]:
        """Return the sessions that may overlap `start` to `end`, reading the periods not known yet.

        A period is read once. A read that reaches now is followed from then on when `follow` (the
        sessions poll works), else it counts only up to a listing delay ago.
        """
        async with self._lock:
            now = dt_util.utcnow()
            for gap_start, gap_end in self._gaps(start - LOOKBACK, min(end, now)):
                await self._async_read(gap_start, gap_end)
                if follow:
                    self._complete_until = now
                    self._add_span(gap_start, FOLLOWED if gap_end >= now else gap_end)
                else:
                    self._add_span(gap_start, min(gap_end, now - LISTING_DELAY))
                    self._spans = self._settled(self._spans)
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

    def _gaps(self, start: datetime, end: datetime) -> list[_Span]:
        """The parts of `start` to `end` that no span covers."""
        gaps: list[_Span] = []
        cursor = start
        for span_start, span_end in self._spans:
            if span_start >= end:
                break
            if span_start > cursor:
                gaps.append((cursor, span_start))
            cursor = max(cursor, span_end)
        if cursor < end:
            gaps.append((cursor, end))
        return gaps

    async def _async_read(self, start: datetime, end: datetime) -> None:
        """Read every session of the charger that started from `start` to `end`, page by page."""
        offset = 0
        while True:
            page = await self._client.get_sessions(
                charger_id=self._charger_id,
                started_from=start,
                started_to=end,
                limit=SESSIONS_PAGE_SIZE,
                offset=offset,
            )
            self._merge(page.sessions)
            if len(page.sessions) < SESSIONS_PAGE_SIZE:
                return
            offset += SESSIONS_PAGE_SIZE

    def _add_span(self, start: datetime, end: datetime) -> None:
        """Record a read period, joined with the spans it touches."""
        if end <= start:
            return
        spans: list[_Span] = []
        for span in sorted([*self._spans, (start, end)]):
            if spans and spans[-1][1] >= span[0]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], span[1]))
            else:
                spans.append(span)
        self._spans = spans

    def _settled(self, spans: list[_Span]) -> list[_Span]:
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


class JouloSessionsCalendar(JouloLiveChargerEntity, CalendarEntity):
    """A charger's charging sessions, each an event from its start to its end."""

    def __init__(
        self, entry: JouloConfigEntry, charger: Charger, description: CalendarEntityDescription
    ) -> None:
        """Create the calendar of `charger`."""
        super().__init__(entry.runtime_data.chargers, charger, description)
        self._sessions_coordinator = entry.runtime_data.sessions
        self._history = SessionHistory(entry.runtime_data.client, charger.id)
        self._current: _CurrentEvent | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the sessions poll, so that new and finished sessions need no request."""
        await super().async_added_to_hass()
        self._follow_sessions()
        self.async_on_remove(self._sessions_coordinator.async_add_listener(self._follow_sessions))

    @callback
    def _follow_sessions(self) -> None:
        """Take in the sessions poll's sessions, or stop relying on it while it fails."""
        if not self._sessions_coordinator.last_read_success:
            self._history.stop_following()
            return
        data = self._sessions_coordinator.data
        self._history.follow((*data.recent, *data.last_completed.values()))

    @property
    def _live_session(self) -> CurrentSession | None:
        """The session the chargers poll shows running on the charger (gone: none)."""
        charger = self.coordinator.data.get(self.charger_id)
        return None if charger is None else charger.current_session

    @property
    def event(self) -> CalendarEvent | None:
        """The session running now, from the chargers poll; None while the charger is idle.

        Its end is not known yet. The event lasts until a while after the latest data about it, so
        that the calendar's own timer (a write at the event's end) does not fire while data comes.
        It is made again when another session runs, when its start or TAG changed, when its energy
        changed and `CURRENT_EVENT_REFRESH` has passed, or when it ran out; that moves its end on.
        """
        live = self._live_session
        if live is None or live.started_at is None:
            return None
        now = dt_util.utcnow()
        if self._current is None or _needs_new_event(self._current, live, now):
            self._current = _CurrentEvent(
                live, now, _live_event(live, live.started_at, now + CURRENT_EVENT_HORIZON)
            )
        return self._current.event

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the charger's sessions from `start_date` to `end_date` as events."""
        start, end = dt_util.as_utc(start_date), dt_util.as_utc(end_date)
        follow = self._sessions_coordinator.last_read_success
        if not follow:
            # A failed poll that is ridden out tells no listener: its data is as old as before.
            self._history.stop_following()
        try:
            sessions = await self._history.async_sessions(start, end, follow=follow)
        except JouloError as err:
            raise self._read_error(err) from err
        now = dt_util.utcnow()
        live = self._live_session
        charger = self.coordinator.data.get(self.charger_id)
        no_ere = phrase(hass, "calendar_no_ere")
        events: dict[str, CalendarEvent] = {}
        if live is not None and live.started_at is not None:
            events[live.id] = _live_event(live, live.started_at, _running_end(now))
        for session in sessions:
            # The poll's kWh so far is fresher than a listing of a running session; an end is final.
            if session.ended_at is not None or session.id not in events:
                events[session.id] = _listed_event(
                    session, now, counts=session_counts_for_ere(session, charger), no_ere=no_ere
                )
        return sorted(
            (
                event
                for event in events.values()
                if start <= event.start_datetime_local < end
                or event.start_datetime_local < start < event.end_datetime_local
            ),
            key=lambda event: event.start,
        )

    def _read_error(self, err: JouloError) -> HomeAssistantError:
        """The error the frontend shows for a failed read; a refused token starts reauth."""
        if isinstance(err, JouloAuthenticationError):
            self.coordinator.config_entry.async_start_reauth(self.hass)
            return HomeAssistantError(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            )
        if isinstance(err, JouloRateLimitedError):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="sessions_rate_limited",
                translation_placeholders={"retry_after": f"{err.retry_after:.0f}"},
            )
        key = "cannot_connect" if isinstance(err, JouloConnectionError) else "invalid_response"
        return HomeAssistantError(translation_domain=DOMAIN, translation_key=key)


@dataclass(frozen=True, slots=True)
class _CurrentEvent:
    """The event of the running session, and the session as it was made from, when."""

    session: CurrentSession
    made_at: datetime
    event: CalendarEvent


def _needs_new_event(current: _CurrentEvent, live: CurrentSession, now: datetime) -> bool:
    """Whether the current event no longer shows `live` well enough (see `event`)."""
    made_from = current.session
    if (made_from.id, made_from.started_at, made_from.id_tag) != (
        live.id,
        live.started_at,
        live.id_tag,
    ):
        return True
    if current.event.end <= now:
        return True
    return made_from != live and now - current.made_at >= CURRENT_EVENT_REFRESH


class _SessionEvent(CalendarEvent):
    """A calendar event built from a session, valid by construction.

    `CalendarEvent` checks each new event against a schema (a copy of it and a dozen validators),
    which costs a quarter of a millisecond: the running sessions' events are made again at every
    poll that brings them new energy, for each charging charger. Ours always have time-zone aware
    datetimes, a start no later than the end, and a text summary: what the schema checks.
    """

    def __post_init__(self) -> None:
        """Skip the schema: see the class."""


def _running_end(now: datetime) -> datetime:
    """Where a running session ends on the calendar: now, rounded up to the next whole minute."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _live_event(live: CurrentSession, started_at: datetime, end: datetime) -> CalendarEvent:
    """The event of the session the charger runs, with its kWh so far."""
    return _event(
        live.id,
        started_at,
        end,
        kwh=live.kwh_so_far,
        ere_credits=None,
        id_tag=live.id_tag,
    )


def _listed_event(session: Session, now: datetime, *, counts: bool, no_ere: str) -> CalendarEvent:
    """The event of a session from `/sessions`; one not ended yet runs until now.

    A completed session shows the ERE credits it earned when it `counts` for ERE, else the note
    `no_ere` says it earned none.
    """
    note = None
    if session.ended_at is None:
        end, ere_credits = _running_end(now), None
    elif counts:
        end, ere_credits = session.ended_at, session.ere_credits
    else:
        end, ere_credits, note = session.ended_at, None, no_ere
    return _event(
        session.id,
        session.started_at,
        end,
        kwh=session.kwh,
        ere_credits=ere_credits,
        id_tag=session.id_tag,
        note=note,
    )


def _event(
    uid: str,
    start: datetime,
    end: datetime,
    *,
    kwh: float | None,
    ere_credits: float | None,
    id_tag: str | None,
    note: str | None = None,
) -> CalendarEvent:
    """A session as an event: "12.3 kWh" (" · 4.1 ERE" once it earned credits).

    Its description has the TAG id and the `note`, each on a line, when there are.
    """
    summary = f"{number(kwh)} kWh"
    if ere_credits is not None:
        summary = f"{summary} · {number(ere_credits)} ERE"
    lines = [line for line in (None if id_tag is None else f"TAG {id_tag}", note) if line]
    return _SessionEvent(
        start=dt_util.as_local(start),
        end=dt_util.as_local(max(end, start)),
        summary=summary,
        description="\n".join(lines) or None,
        uid=uid,
    )
