"""Coordinators that poll the Joulo API, one per cadence, and steer each other.

Chargers are polled every minute; when a session leaves a charger or a new one starts, the sessions poll
runs at once (and on every chargers poll until Joulo lists the finished session), and a newly completed
session brings the energy totals forward. All three share one client, so one rate-limit gate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import (
    REQUEST_REFRESH_DEFAULT_COOLDOWN,
    DataUpdateCoordinator,
    UpdateFailed,
)
from homeassistant.util import dt as dt_util

from .api import (
    Account,
    Charger,
    Energy,
    JouloAuthenticationError,
    JouloClient,
    JouloConnectionError,
    JouloError,
    JouloRateLimitedError,
    JouloResponseError,
    Session,
)
from .const import (
    CHARGERS_INTERVAL,
    DOMAIN,
    ENERGY_INTERVAL,
    ENERGY_REFRESH_COOLDOWN,
    FINISHED_SESSION_WATCH,
    LOGGER,
    SESSIONS_INTERVAL,
    SESSIONS_PAGE_SIZE,
)

if TYPE_CHECKING:
    from .announcer import SessionAnnouncer

# A triggered energy refresh between two scheduled ones reuses the account; a scheduled one renews it.
ACCOUNT_MAX_AGE = ENERGY_INTERVAL - timedelta(minutes=5)


@dataclass
class JouloRuntimeData:
    """What a loaded config entry holds."""

    client: JouloClient
    chargers: JouloChargersCoordinator
    sessions: JouloSessionsCoordinator
    energy: JouloEnergyCoordinator
    announcer: SessionAnnouncer


type JouloConfigEntry = ConfigEntry[JouloRuntimeData]


@dataclass(frozen=True, slots=True)
class SessionsData:
    """The newest sessions (and those that just finished), and each charger's newest completed one."""

    recent: tuple[Session, ...]
    last_completed: Mapping[str, Session]


@dataclass(frozen=True, slots=True)
class EnergyData:
    """The account's totals, and the account itself when `/me` answered."""

    energy: Energy
    account: Account | None


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn the client's errors into the coordinator's, with translated messages."""
    try:
        yield
    except JouloAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        ) from err
    except JouloRateLimitedError as err:
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={"retry_after": f"{err.retry_after:.0f}"},
            retry_after=err.retry_after,
        ) from err
    except JouloConnectionError as err:
        raise UpdateFailed(translation_domain=DOMAIN, translation_key="cannot_connect") from err
    except JouloResponseError as err:
        raise UpdateFailed(translation_domain=DOMAIN, translation_key="invalid_response") from err


class JouloCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator of one Joulo endpoint (or two) on its own cadence."""

    config_entry: JouloConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JouloConfigEntry,
        client: JouloClient,
        *,
        name: str,
        update_interval: timedelta,
        refresh_cooldown: timedelta = timedelta(seconds=REQUEST_REFRESH_DEFAULT_COOLDOWN),
    ) -> None:
        """Poll with `client` every `update_interval`; unchanged data writes no state.

        Refreshes asked for between polls run at once, then at most once per `refresh_cooldown`.
        """
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {name}",
            update_interval=update_interval,
            always_update=False,
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=refresh_cooldown.total_seconds(), immediate=True
            ),
        )
        self.client = client

    def request_refresh_soon(self) -> None:
        """Refresh now (debounced), without making the caller wait for it."""
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"{self.name} refresh"
        )


class JouloEnergyCoordinator(JouloCoordinator[EnergyData]):
    """Polls `/energy` every hour, and `/me` with it; a failing `/me` never fails the poll."""

    def __init__(self, hass: HomeAssistant, entry: JouloConfigEntry, client: JouloClient) -> None:
        """Create the energy coordinator."""
        super().__init__(
            hass,
            entry,
            client,
            name="energy",
            update_interval=ENERGY_INTERVAL,
            refresh_cooldown=ENERGY_REFRESH_COOLDOWN,
        )
        self._account: Account | None = None
        self._account_checked_at: datetime | None = None

    async def _async_update_data(self) -> EnergyData:
        with translate_errors():
            energy = await self.client.get_energy()
        return EnergyData(energy=energy, account=await self._async_account())

    async def _async_account(self) -> Account | None:
        """Return the account, asking `/me` at most once per cadence; keep the last one it gave."""
        now = dt_util.utcnow()
        if (
            self._account_checked_at is not None
            and now - self._account_checked_at < ACCOUNT_MAX_AGE
        ):
            return self._account
        self._account_checked_at = now
        try:
            self._account = await self.client.get_account()
        except JouloAuthenticationError as err:
            if err.status == 401:  # noqa: PLR2004 - a refused token; 403 is a token without this scope
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="authentication_failed"
                ) from err
            LOGGER.debug("The Joulo account (/me) is not readable with this token")
        except JouloError as err:
            LOGGER.debug("The Joulo account (/me) is not available: %s", err)
        return self._account


@dataclass(frozen=True, slots=True)
class _FinishedSession:
    """A session that left its charger and is not listed as completed yet."""

    charger_id: str
    started_at: datetime | None
    since: datetime


class JouloSessionsCoordinator(JouloCoordinator[SessionsData]):
    """Polls the newest page of `/sessions` every ten minutes, or at once when asked.

    Sessions the chargers coordinator saw finish are looked up by charger when they are not on the
    newest page: on an account with many chargers running, the page fills with running sessions.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JouloConfigEntry,
        client: JouloClient,
        energy: JouloEnergyCoordinator,
    ) -> None:
        """Create the sessions coordinator; it refreshes `energy` after a session completes."""
        super().__init__(hass, entry, client, name="sessions", update_interval=SESSIONS_INTERVAL)
        self._energy = energy
        self._finished: dict[str, _FinishedSession] = {}

    @property
    def awaiting_finished(self) -> bool:
        """Whether a session that left its charger is still not listed as completed."""
        now = dt_util.utcnow()
        self._finished = {
            session_id: finished
            for session_id, finished in self._finished.items()
            if now - finished.since < FINISHED_SESSION_WATCH
        }
        return bool(self._finished)

    def watch_finished(self, session_id: str, charger_id: str, started_at: datetime | None) -> None:
        """Look for this session on every refresh until it is listed as completed."""
        self._finished[session_id] = _FinishedSession(charger_id, started_at, dt_util.utcnow())

    async def _async_update_data(self) -> SessionsData:
        with translate_errors():
            page = await self.client.get_sessions(limit=SESSIONS_PAGE_SIZE)
            sessions = {session.id: session for session in page.sessions}
            for session_id, finished in list(self._finished.items()):
                if session_id not in sessions:
                    found = await self.client.get_sessions(
                        charger_id=finished.charger_id, started_from=finished.started_at
                    )
                    for session in found.sessions:
                        sessions.setdefault(session.id, session)
                if session_id in sessions and sessions[session_id].is_completed:
                    del self._finished[session_id]
        previous: SessionsData | None = self.data  # None before the first refresh
        last_completed = dict(previous.last_completed) if previous else {}
        for session in sessions.values():
            known = last_completed.get(session.charger_id)
            if session.is_completed and (
                known is None or session.ended_or_started_at > known.ended_or_started_at
            ):
                last_completed[session.charger_id] = session
        if previous is not None and last_completed != previous.last_completed:
            self._energy.request_refresh_soon()
        recent = sorted(sessions.values(), key=lambda session: session.started_at, reverse=True)
        return SessionsData(recent=tuple(recent), last_completed=last_completed)


class JouloChargersCoordinator(JouloCoordinator[dict[str, Charger]]):
    """Polls `/chargers` every minute and asks for sessions when a session starts or ends."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JouloConfigEntry,
        client: JouloClient,
        sessions: JouloSessionsCoordinator,
    ) -> None:
        """Create the chargers coordinator; it steers `sessions`."""
        super().__init__(hass, entry, client, name="chargers", update_interval=CHARGERS_INTERVAL)
        self._sessions = sessions

    async def _async_update_data(self) -> dict[str, Charger]:
        with translate_errors():
            chargers = await self.client.get_chargers()
        data = {charger.id: charger for charger in chargers}
        self._follow_sessions(data)
        return data

    def _follow_sessions(self, data: Mapping[str, Charger]) -> None:
        """Ask for a sessions refresh when a session started, or one that ended is not listed yet."""
        previous: Mapping[str, Charger] | None = self.data  # None before the first refresh
        if previous is None:
            return
        before = _running_sessions(previous)
        now_running = _running_sessions(data)
        for session_id, (charger_id, started_at) in before.items():
            if session_id not in now_running:
                self._sessions.watch_finished(session_id, charger_id, started_at)
        if self._sessions.awaiting_finished or now_running.keys() - before.keys():
            self._sessions.request_refresh_soon()


def _running_sessions(chargers: Mapping[str, Charger]) -> dict[str, tuple[str, datetime | None]]:
    """The sessions running on the chargers: their charger and start, by session id."""
    return {
        charger.current_session.id: (charger.id, charger.current_session.started_at)
        for charger in chargers.values()
        if charger.current_session is not None
    }
