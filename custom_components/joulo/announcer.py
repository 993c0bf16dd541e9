"""Announces every charging session once when it starts and once when it ends.

Announcements go to the charger's event entity (through the dispatcher) and to the event bus. What was
announced is stored, so a restart or an API outage neither repeats nor drops an announcement; a session
that started and ended between two polls is announced as ended when `/sessions` lists it. Sessions that
started (or ended) before the integration was first set up are not announced.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict

from homeassistant.core import CALLBACK_TYPE, CoreState, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import Charger, CurrentSession, Session
from .const import DOMAIN
from .coordinator import JouloChargersCoordinator, JouloSessionsCoordinator
from .devices import async_charger_device

EVENT_SESSION_STARTED = "joulo_session_started"
EVENT_SESSION_ENDED = "joulo_session_ended"
STORAGE_VERSION = 1
SAVE_DELAY = 1.0
# A session that started or ended longer ago than this is history, not news: it is never announced.
ANNOUNCE_WINDOW = timedelta(days=7)
# TAG ids of running sessions are kept for their `ended` announcement; this bounds that memory.
MAX_REMEMBERED_TAGS = 500

type SessionEventType = Literal["started", "ended"]


class StoredAnnouncements(TypedDict):
    """What is stored: since when sessions are announced, and which were, by when."""

    baseline: str
    started: dict[str, str]
    ended: dict[str, str]
    id_tags: dict[str, str]


@dataclass(frozen=True, slots=True)
class SessionAnnouncement:
    """One announcement: a session of a charger started or ended."""

    event_type: SessionEventType
    charger_id: str
    attributes: dict[str, Any]
    charger_name: str | None = None
    """The charger's nickname as the announcement's source gave it."""


def session_signal(entry_id: str, charger_id: str) -> str:
    """The dispatcher signal on which a charger's event entity hears its announcements."""
    return f"{DOMAIN}_{entry_id}_{charger_id}_session"


class SessionAnnouncer:
    """Watches the chargers and sessions coordinators and announces each session exactly once."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        chargers: JouloChargersCoordinator,
        sessions: JouloSessionsCoordinator,
    ) -> None:
        """Announce for the config entry `entry_id`, from what the two coordinators read."""
        self._hass = hass
        self._entry_id = entry_id
        self._chargers = chargers
        self._sessions = sessions
        self._store: Store[StoredAnnouncements] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.sessions"
        )
        self._baseline = dt_util.utcnow()
        self._started: dict[str, str] = {}
        self._ended: dict[str, str] = {}
        self._id_tags: dict[str, str] = {}
        self._unsaved = False
        self._announcing = False

    async def async_load(self) -> None:
        """Load what was announced before; on first setup, start announcing from now."""
        stored = await self._store.async_load()
        if stored is None:
            self._unsaved = True
            return
        self._baseline = dt_util.parse_datetime(stored["baseline"]) or self._baseline
        self._started = dict(stored["started"])
        self._ended = dict(stored["ended"])
        self._id_tags = dict(stored["id_tags"])

    async def async_save(self) -> None:
        """Write what was announced now (on unload), if anything is not written yet."""
        if self._unsaved:
            await self._store.async_save(self._to_store())
            self._unsaved = False

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Start announcing: at once, or when Home Assistant has started; return how to stop waiting.

        Automations attach their triggers only when Home Assistant has started: what is announced
        during startup (a session that ended while Home Assistant was down) would reach none of them.
        """
        if self._hass.state is CoreState.running:
            self._async_begin()
            return lambda: None

        async def _async_started(_: HomeAssistant) -> None:
            # Automations attach their triggers on the same started event: let them go first.
            await asyncio.sleep(0)
            self._async_begin()

        return async_at_started(self._hass, _async_started)

    @callback
    def _async_begin(self) -> None:
        self._announcing = True
        self.async_process()

    @callback
    def async_process(self) -> None:
        """Announce what the coordinators' latest data shows that was not announced yet."""
        if not self._announcing:
            return
        now = dt_util.utcnow()
        horizon = max(self._baseline, now - ANNOUNCE_WINDOW)
        # One after the other: a session both show is then announced once, from the fresher chargers.
        for announcement in self._charger_starts(now, horizon):
            self._announce(announcement, now)
        for announcement in self._session_news(horizon):
            self._announce(announcement, now)
        self._prune(now)

    def _charger_starts(self, now: datetime, horizon: datetime) -> list[SessionAnnouncement]:
        """Sessions the chargers show running that were not announced yet; remember TAG ids."""
        announcements = []
        for charger in (self._chargers.data or {}).values():
            if (running := charger.current_session) is None:
                continue
            if running.id_tag and self._id_tags.get(running.id) != running.id_tag:
                self._id_tags[running.id] = running.id_tag
                self._schedule_save()
            if self._is_new_start(running.id, running.started_at or now, horizon):
                announcements.append(self._started_from_charger(charger, running))
        return announcements

    def _session_news(self, horizon: datetime) -> list[SessionAnnouncement]:
        """Sessions `/sessions` lists as running or completed that were not announced so."""
        announcements = []
        recent = self._sessions.data.recent if self._sessions.data else ()
        for session in reversed(recent):  # oldest first
            if session.is_completed:
                if session.id not in self._ended and session.ended_or_started_at >= horizon:
                    announcements.append(self._ended_from_session(session))
            elif self._is_new_start(session.id, session.started_at, horizon):
                announcements.append(self._started_from_session(session))
        return announcements

    def _is_new_start(self, session_id: str, started_at: datetime, horizon: datetime) -> bool:
        return (
            session_id not in self._started
            and session_id not in self._ended
            and started_at >= horizon
        )

    def _announce(self, announcement: SessionAnnouncement, now: datetime) -> None:
        """Record an announcement, then send it to the event entity and the bus."""
        session_id = announcement.attributes["session_id"]
        record = self._started if announcement.event_type == "started" else self._ended
        record[session_id] = now.isoformat()
        if announcement.event_type == "ended":
            self._id_tags.pop(session_id, None)
        self._schedule_save()
        async_dispatcher_send(
            self._hass,
            session_signal(self._entry_id, announcement.charger_id),
            announcement,
        )
        device = async_charger_device(self._hass, self._entry_id, announcement.charger_id)
        charger = self._chargers.data.get(announcement.charger_id) if self._chargers.data else None
        self._hass.bus.async_fire(
            EVENT_SESSION_STARTED if announcement.event_type == "started" else EVENT_SESSION_ENDED,
            {
                **announcement.attributes,
                "device_id": device.id if device else None,
                "charger_id": announcement.charger_id,
                "charger_name": (charger.nickname if charger else None)
                or announcement.charger_name
                or (device.name if device else None),
            },
        )

    def _prune(self, now: datetime) -> None:
        """Forget announcements too old to come back, so the store stays small."""
        cutoff = (now - ANNOUNCE_WINDOW - timedelta(days=1)).isoformat()
        for record in (self._started, self._ended):
            for session_id in [sid for sid, at in record.items() if at < cutoff]:
                del record[session_id]
                self._schedule_save()
        while len(self._id_tags) > MAX_REMEMBERED_TAGS:  # sessions whose end was never listed
            del self._id_tags[next(iter(self._id_tags))]

    def _schedule_save(self) -> None:
        self._unsaved = True
        self._store.async_delay_save(self._saved_data, SAVE_DELAY)

    def _saved_data(self) -> StoredAnnouncements:
        self._unsaved = False
        return self._to_store()

    def _to_store(self) -> StoredAnnouncements:
        return StoredAnnouncements(
            baseline=self._baseline.isoformat(),
            started=dict(self._started),
            ended=dict(self._ended),
            id_tags=dict(self._id_tags),
        )

    def _started_from_charger(
        self, charger: Charger, running: CurrentSession
    ) -> SessionAnnouncement:
        return SessionAnnouncement(
            event_type="started",
            charger_id=charger.id,
            charger_name=charger.nickname,
            attributes=_attributes(
                session_id=running.id,
                energy_kwh=running.kwh_so_far,
                ere_credits=None,
                started_at=running.started_at,
                ended_at=None,
                id_tag=running.id_tag,
            ),
        )

    def _started_from_session(self, session: Session) -> SessionAnnouncement:
        return SessionAnnouncement(
            event_type="started",
            charger_id=session.charger_id,
            charger_name=session.charger_nickname,
            attributes=_attributes(
                session_id=session.id,
                energy_kwh=session.kwh,
                ere_credits=session.ere_credits,
                started_at=session.started_at,
                ended_at=None,
                id_tag=session.id_tag or self._id_tags.get(session.id),
            ),
        )

    def _ended_from_session(self, session: Session) -> SessionAnnouncement:
        return SessionAnnouncement(
            event_type="ended",
            charger_id=session.charger_id,
            charger_name=session.charger_nickname,
            attributes=_attributes(
                session_id=session.id,
                energy_kwh=session.kwh,
                ere_credits=session.ere_credits or 0.0,
                started_at=session.started_at,
                ended_at=session.ended_at,
                id_tag=session.id_tag or self._id_tags.get(session.id),
            ),
        )


def _attributes(
    *,
    session_id: str,
    energy_kwh: float | None,
    ere_credits: float | None,
    started_at: datetime | None,
    ended_at: datetime | None,
    id_tag: str | None,
) -> dict[str, Any]:
    """The attributes of an announcement, as SPEC names them; timestamps as ISO 8601."""
    duration = (
        round((ended_at - started_at).total_seconds() / 60, 1)
        if started_at is not None and ended_at is not None
        else None
    )
    return {
        "session_id": session_id,
        "energy_kwh": energy_kwh,
        "ere_credits": ere_credits,
        "started_at": started_at.isoformat() if started_at else None,
        "ended_at": ended_at.isoformat() if ended_at else None,
        "duration_minutes": duration,
        "id_tag": id_tag,
    }
