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
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
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
    """The newest sessions, and each charger's newest completed session ever seen."""

    recent: tuple[Session, ...]
    last_completed: Mapping[str, Session]

    @property
    def completed_ids(self) -> frozenset[str]:
        """Ids of the completed sessions among the recent ones."""
        return frozenset(session.id for session in self.recent if session.is_completed)


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
    ) -> None:
        """Poll with `client` every `update_interval`; unchanged data writes no state."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {name}",
            update_interval=update_interval,
            always_update=False,
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
        super().__init__(hass, entry, client, name="energy", update_interval=ENERGY_INTERVAL)
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


class JouloSessionsCoordinator(JouloCoordinator[SessionsData]):
    """Polls the newest page of `/sessions` every ten minutes, or at once when asked."""

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

    async def _async_update_data(self) -> SessionsData:
        with translate_errors():
            page = await self.client.get_sessions(limit=SESSIONS_PAGE_SIZE)
        previous: SessionsData | None = self.data  # None before the first refresh
        last_completed = dict(previous.last_completed) if previous else {}
        for session in page.sessions:
            if not session.is_completed:
                continue
            known = last_completed.get(session.charger_id)
            if known is None or _ended(session) > _ended(known):
                last_completed[session.charger_id] = session
        data = SessionsData(recent=page.sessions, last_completed=last_completed)
        if previous is not None and data.completed_ids - previous.completed_ids:
            self._energy.request_refresh_soon()
        return data


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
        # Sessions that left their charger, by when, until /sessions lists them as completed.
        self._finished: dict[str, datetime] = {}

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
        before = _running_session_ids(previous)
        now_running = _running_session_ids(data)
        now = dt_util.utcnow()
        for session_id in before - now_running:
            self._finished[session_id] = now
        listed = self._sessions.data.completed_ids if self._sessions.data else frozenset()
        self._finished = {
            session_id: since
            for session_id, since in self._finished.items()
            if session_id not in listed and now - since < FINISHED_SESSION_WATCH
        }
        if self._finished or now_running - before:
            self._sessions.request_refresh_soon()


def _running_session_ids(chargers: Mapping[str, Charger]) -> set[str]:
    return {
        charger.current_session.id
        for charger in chargers.values()
        if charger.current_session is not None
    }


def _ended(session: Session) -> datetime:
    return session.ended_at or session.started_at
