"""Calendar entities of the Joulo integration: each charger's charging sessions as events.

Range queries are answered from `/sessions` (by charger and start, through the client's paging and the
shared rate-limit gate) and remembered by a `SessionCache`: a period read once is never read again, and
the newest period is kept complete by the sessions poll without requests. The entity's state, the
session running now, comes from the chargers poll alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import Charger, CurrentSession, Session
from .calendar_cache import LISTING_DELAY, SessionCache
from .coordinator import JouloConfigEntry, JouloCoordinator
from .data import ChargersData
from .entity import JouloChargersPollEntity, async_add_charger_entities
from .ere import session_counts_for_ere
from .errors import Caller, joulo_errors
from .phrases import number, phrase

# The sessions poll and the chargers poll do the I/O of the state; range queries are not updates.
PARALLEL_UPDATES = 0

CURRENT_EVENT_HORIZON = LISTING_DELAY + timedelta(minutes=5)
"""How long the running session lasts as the current event past the latest data about it.

A cloud charger's next sync is due within 15 minutes, and the chargers poll sees it within one poll.
"""
CURRENT_EVENT_REFRESH = timedelta(minutes=5)
"""How often, at most, the current event takes in a running session's growing energy.

Every chargers poll brings new energy to the running session of a charger that reports live, and each
write of a calendar's state also schedules its timers: a charger's energy sensor follows each poll, the
calendar's summary every five minutes (its range queries, what the calendar view shows, always have
the latest).
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
        entry, async_add_entities, (CHARGING_SESSIONS,), JouloSessionsCalendar
    )


class JouloSessionsCalendar(JouloChargersPollEntity, CalendarEntity):
    """A charger's charging sessions, each an event from its start to its end."""

    def __init__(
        self,
        coordinator: JouloCoordinator[ChargersData],
        charger: Charger,
        description: CalendarEntityDescription,
    ) -> None:
        """Create the calendar of `charger`."""
        super().__init__(coordinator, charger, description)
        self._sessions_coordinator = coordinator.config_entry.runtime_data.sessions
        self._cache = SessionCache(charger.id, dt_util.utcnow())
        self._reading = asyncio.Lock()
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
            self._cache.stop_following()
            return
        data = self._sessions_coordinator.data
        self._cache.follow((*data.recent, *data.last_completed.values()), dt_util.utcnow())

    @property
    def _running_session(self) -> CurrentSession | None:
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
        running = self._running_session
        if running is None or running.started_at is None:
            return None
        now = dt_util.utcnow()
        if self._current is None or _needs_new_event(self._current, running, now):
            self._current = _CurrentEvent(
                running,
                now,
                _running_event(running, running.started_at, now + CURRENT_EVENT_HORIZON),
            )
        return self._current.event

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the charger's sessions from `start_date` to `end_date` as events."""
        start, end = dt_util.as_utc(start_date), dt_util.as_utc(end_date)
        if not self._sessions_coordinator.last_read_success:
            # A failed poll that is ridden out tells no listener: its data is as old as before.
            self._cache.stop_following()
        sessions = await self._async_sessions(start, end)
        now = dt_util.utcnow()
        running = self._running_session
        charger = self.coordinator.data.get(self.charger_id)
        no_ere = phrase(hass, "calendar_no_ere")
        events: dict[str, CalendarEvent] = {}
        if running is not None and running.started_at is not None:
            events[running.id] = _running_event(running, running.started_at, _running_end(now))
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

    async def _async_sessions(self, start: datetime, end: datetime) -> list[Session]:
        """The charger's sessions that may overlap `start` to `end`, reading what is not known yet.

        One view reads at a time, so two views of the same month read it once.
        """
        client = self.coordinator.config_entry.runtime_data.client
        async with self._reading:
            now = dt_util.utcnow()
            for period_start, period_end in self._cache.periods_to_read(start, end, now):
                with joulo_errors(self.hass, self.coordinator.config_entry, Caller.READ):
                    sessions = await client.get_all_sessions(
                        charger_id=self.charger_id,
                        started_from=period_start,
                        started_to=period_end,
                    )
                self._cache.add_read(
                    (period_start, period_end),
                    sessions,
                    now,
                    follow=self._sessions_coordinator.last_read_success,
                )
        return self._cache.sessions_between(start, end)


@dataclass(frozen=True, slots=True)
class _CurrentEvent:
    """The event of the running session, and the session as it was made from, when."""

    session: CurrentSession
    made_at: datetime
    event: CalendarEvent


def _needs_new_event(current: _CurrentEvent, running: CurrentSession, now: datetime) -> bool:
    """Whether the current event no longer shows `running` well enough (see `event`)."""
    made_from = current.session
    if (made_from.id, made_from.started_at, made_from.id_tag) != (
        running.id,
        running.started_at,
        running.id_tag,
    ):
        return True
    if current.event.end <= now:
        return True
    return made_from != running and now - current.made_at >= CURRENT_EVENT_REFRESH


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


def _running_event(running: CurrentSession, started_at: datetime, end: datetime) -> CalendarEvent:
    """The event of the session the charger runs, with its kWh so far."""
    return _event(
        running.id,
        started_at,
        end,
        kwh=running.kwh_so_far,
        ere_credits=None,
        id_tag=running.id_tag,
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
