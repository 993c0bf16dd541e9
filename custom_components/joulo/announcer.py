"""Announces every charging session once when it starts and once when it ends.

Announcements go to the charger's event entity (through the dispatcher) and to the event bus. What was
announced is stored, so a restart or an API outage neither repeats nor drops an announcement; a session
that started and ended between two polls is announced as ended when `/sessions` lists it. Sessions that
started (or ended) before the integration was first set up are not announced. What was announced is
remembered for as long as it could come back, whatever the session lacks: one running without a start
is news for as long as it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict

from homeassistant.core import CALLBACK_TYPE, CoreState, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .api import Session
from .const import DOMAIN
from .coordinator import JouloCoordinator
from .cost import SessionCost
from .data import ChargersData, SessionsData
from .devices import ChargerDevices
from .ere import ErePrice, SessionEre, charger_counts_for_ere, session_ere
from .naming import charger_name
from .session_costs import SessionCosts
from .storage import DelayedStore, EntryStore

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
        chargers: JouloCoordinator[ChargersData],
        sessions: JouloCoordinator[SessionsData],
        devices: ChargerDevices,
        *,
        price: Callable[[], ErePrice | None],
        costs: SessionCosts | None,
    ) -> None:
        """Announce for the config entry `entry_id`, from what the two coordinators read.

        `price` gives the price that ended sessions' ERE are valued at; `costs` what they cost
        (None without a price source): an end is announced once its cost is known.
        """
        self._price = price
        self._costs = costs
        self._hass = hass
        self._entry_id = entry_id
        self._chargers = chargers
        self._sessions = sessions
        self._devices = devices
        self._store: DelayedStore[StoredAnnouncements] = DelayedStore(
            hass,
            entry_id,
            EntryStore.ANNOUNCEMENTS,
            version=STORAGE_VERSION,
            delay=SAVE_DELAY,
            serialize=self._to_store,
        )
        # The API's timestamps have whole seconds: a session started in this second is news.
        self._baseline = dt_util.utcnow().replace(microsecond=0)
        self._started: dict[str, str] = {}
        self._ended: dict[str, str] = {}
        self._id_tags: dict[str, str] = {}
        self._announcing = False

    async def async_load(self) -> None:
        """Load what was announced before; on first setup, start announcing from now."""
        stored = await self._store.async_load()
        if stored is None:
            self._store.schedule_save()
            return
        self._baseline = dt_util.parse_datetime(stored["baseline"]) or self._baseline
        self._started = dict(stored["started"])
        self._ended = dict(stored["ended"])
        self._id_tags = dict(stored["id_tags"])

    async def async_save(self) -> None:
        """Write what was announced now (on unload), if anything is not written yet."""
        await self._store.async_flush()

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
        horizon = max(self._baseline.replace(microsecond=0), now - ANNOUNCE_WINDOW)
        newsworthy: set[str] = set()
        # One after the other: a session both show is then announced once, from the fresher chargers.
        for announcement in self._charger_starts(now, horizon, newsworthy):
            self._announce(announcement, now)
        for announcement in self._session_news(horizon, newsworthy):
            self._announce(announcement, now)
        self._prune(now, newsworthy)

    def _charger_starts(
        self, now: datetime, horizon: datetime, newsworthy: set[str]
    ) -> list[SessionAnnouncement]:
        """Sessions the chargers show running that were not announced yet; remember TAG ids.

        A start the charger does not give counts as now: such a session is news while it runs.
        """
        announcements = []
        for charger in (self._chargers.data or {}).values():
            if (running := charger.current_session) is None:
                continue
            if running.id_tag and self._id_tags.get(running.id) != running.id_tag:
                self._id_tags[running.id] = running.id_tag
                self._store.schedule_save()
            if self._is_new_start(running.id, running.started_at or now, horizon, newsworthy):
                announcements.append(
                    _announcement(
                        "started",
                        charger_id=charger.id,
                        charger_nickname=charger.nickname,
                        session_id=running.id,
                        energy_kwh=running.kwh_so_far,
                        ere=SessionEre(charger_counts_for_ere(charger), 0.0, None),
                        ended=False,
                        cost=None,
                        started_at=running.started_at,
                        ended_at=None,
                        id_tag=running.id_tag,
                    )
                )
        return announcements

    def _session_news(self, horizon: datetime, newsworthy: set[str]) -> list[SessionAnnouncement]:
        """Sessions `/sessions` lists as running or completed that were not announced so."""
        announcements = []
        recent = self._sessions.data.recent if self._sessions.data else ()
        for session in reversed(recent):  # oldest first
            if session.is_completed:
                if session.ended_or_started_at < horizon:
                    continue
                newsworthy.add(session.id)
                if session.id not in self._ended and not (
                    self._costs is not None and self._costs.waiting(session.id)
                ):
                    announcements.append(self._from_session("ended", session))
            elif self._is_new_start(session.id, session.started_at, horizon, newsworthy):
                announcements.append(self._from_session("started", session))
        return announcements

    def _is_new_start(
        self, session_id: str, started_at: datetime, horizon: datetime, newsworthy: set[str]
    ) -> bool:
        """Whether a start within the window was not announced yet; it is news either way."""
        if started_at < horizon:
            return False
        newsworthy.add(session_id)
        return session_id not in self._started and session_id not in self._ended

    def _announce(self, announcement: SessionAnnouncement, now: datetime) -> None:
        """Record an announcement, then send it to the event entity and the bus."""
        session_id = announcement.attributes["session_id"]
        record = self._started if announcement.event_type == "started" else self._ended
        record[session_id] = now.isoformat()
        if announcement.event_type == "ended":
            self._id_tags.pop(session_id, None)
        self._store.schedule_save()
        async_dispatcher_send(
            self._hass,
            session_signal(self._entry_id, announcement.charger_id),
            announcement,
        )
        device = self._devices.async_device(announcement.charger_id)
        charger = self._chargers.data.get(announcement.charger_id) if self._chargers.data else None
        self._hass.bus.async_fire(
            EVENT_SESSION_STARTED if announcement.event_type == "started" else EVENT_SESSION_ENDED,
            {
                **announcement.attributes,
                "device_id": device.id if device else None,
                "charger_id": announcement.charger_id,
                "charger_name": charger_name(
                    announcement.charger_id,
                    charger.nickname if charger else None,
                    announcement.charger_name,
                    device.name if device else None,
                ),
            },
        )

    def _prune(self, now: datetime, newsworthy: set[str]) -> None:
        """Forget announcements too old to come back, so the store stays small.

        The announcement of a session that is `newsworthy` now would come back if forgotten: one
        running without a start, or listed with an end ahead, is news for as long as it is shown. Its
        record is kept, and renewed as it ages past the window, so that it goes only a day after its
        session was last shown as news, like any other.
        """
        renew_before = (now - ANNOUNCE_WINDOW).isoformat()
        cutoff = (now - ANNOUNCE_WINDOW - timedelta(days=1)).isoformat()
        for record in (self._started, self._ended):
            for session_id, at in list(record.items()):
                if session_id in newsworthy:
                    if at < renew_before:
                        record[session_id] = now.isoformat()
                        self._store.schedule_save()
                elif at < cutoff:
                    del record[session_id]
                    self._store.schedule_save()
        while len(self._id_tags) > MAX_REMEMBERED_TAGS:  # sessions whose end was never listed
            del self._id_tags[next(iter(self._id_tags))]

    def _to_store(self) -> StoredAnnouncements:
        return StoredAnnouncements(
            baseline=self._baseline.isoformat(),
            started=dict(self._started),
            ended=dict(self._ended),
            id_tags=dict(self._id_tags),
        )

    def _from_session(self, event_type: SessionEventType, session: Session) -> SessionAnnouncement:
        """The announcement of a session that `/sessions` lists as running or completed."""
        ended = event_type == "ended"
        charger = self._chargers.data.get(session.charger_id) if self._chargers.data else None
        return _announcement(
            event_type,
            charger_id=session.charger_id,
            charger_nickname=session.charger_nickname,
            session_id=session.id,
            energy_kwh=session.kwh,
            ere=session_ere(session, charger, self._price()),
            ended=ended,
            cost=priced.cost
            if ended and self._costs is not None and (priced := self._costs.of(session.id))
            else None,
            started_at=session.started_at,
            ended_at=session.ended_at if ended else None,
            id_tag=session.id_tag or self._id_tags.get(session.id),
        )


def _announcement(
    event_type: SessionEventType,
    *,
    charger_id: str,
    charger_nickname: str | None,
    session_id: str,
    energy_kwh: float | None,
    ere: SessionEre,
    ended: bool,
    cost: SessionCost | None,
    started_at: datetime | None,
    ended_at: datetime | None,
    id_tag: str | None,
) -> SessionAnnouncement:
    """An announcement with the attributes automations get; timestamps as ISO 8601.

    `ere_credits` and `ere_value_eur` are what an ended session earned (0 when it does not count
    for ERE, the value None while no price is known); a session that just started earned nothing
    yet, so both are None then. `cost_eur`, `net_cost_eur` and `price_per_kwh` are what an ended
    session cost (None when unknown, or without a price source).
    """
    duration = (
        round((ended_at - started_at).total_seconds() / 60, 1)
        if started_at is not None and ended_at is not None
        else None
    )
    return SessionAnnouncement(
        event_type=event_type,
        charger_id=charger_id,
        charger_name=charger_nickname,
        attributes={
            "session_id": session_id,
            "energy_kwh": energy_kwh,
            "ere_credits": ere.credits if ended else None,
            "counts_for_ere": ere.counts,
            "ere_value_eur": ere.value if ended else None,
            "cost_eur": cost.cost_eur if cost else None,
            "net_cost_eur": cost.net_cost_eur if cost else None,
            "price_per_kwh": cost.price_per_kwh if cost else None,
            "started_at": started_at.isoformat() if started_at else None,
            "ended_at": ended_at.isoformat() if ended_at else None,
            "duration_minutes": duration,
            "id_tag": id_tag,
        },
    )
