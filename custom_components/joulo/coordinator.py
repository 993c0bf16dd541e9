"""Coordinators that poll the Joulo API, one per cadence, and steer each other.

Chargers are polled every minute while anything can change (every five minutes when every charger is an
idle cloud charger); when a session leaves a charger or a new one starts, the sessions poll runs at once
(and on every chargers poll until Joulo lists the finished session), and a newly completed session
brings the energy totals forward. All three share one client, so one rate-limit gate.
The base class in `data.py` runs the refresh pipeline, tells only the entities whose data changed and
rides out short failures (the chargers coordinator for five minutes, the others for one refresh); the
coordinators here say what changed, from the pure functions of `changes.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import REQUEST_REFRESH_DEFAULT_COOLDOWN, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    Account,
    Charger,
    ErePosition,
    EstimateBasis,
    JouloAuthenticationError,
    JouloClient,
    JouloConnectionError,
    JouloError,
    JouloRateLimitedError,
    JouloResponseError,
    Session,
)
from .changes import (
    FAST_INTERVAL,
    PowerTrack,
    RunningSession,
    changed_keys,
    chargers_interval,
    newest_completed,
    reports_live,
    running_sessions,
    sessions_ended,
    sessions_started,
    track_power,
)
from .const import (
    CHARGERS_RIDE_OUT,
    DOMAIN,
    ENERGY_INTERVAL,
    ENERGY_REFRESH_COOLDOWN,
    FINISHED_SESSION_WATCH,
    LOGGER,
    SESSIONS_INTERVAL,
    SESSIONS_PAGE_SIZE,
)
from .data import (
    ERE_POSITION,
    TOTALS,
    ChargersData,
    EnergyData,
    JouloConfigEntry,
    JouloCoordinator,
    PollHealth,
    SessionsData,
)

# A triggered energy refresh between two scheduled ones reuses the account; a scheduled one renews it.
ACCOUNT_MAX_AGE = ENERGY_INTERVAL - timedelta(minutes=5)
# An account without `/ere-position` (404, or a token without its scope) is asked again once a day.
MISSING_ERE_POSITION_RECHECK = timedelta(days=1)


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


DEFAULT_COOLDOWN = timedelta(seconds=REQUEST_REFRESH_DEFAULT_COOLDOWN)


class JouloEnergyCoordinator(JouloCoordinator[EnergyData]):
    """Polls `/energy` every hour, and `/me` and `/ere-position` with it.

    Neither of those two ever fails the poll: a missing `/me` leaves the last account known, a failing
    `/ere-position` keeps the last position through one failed read and gives none from the second
    in a row (its sensors go unavailable), a missing one is asked again once a day. Each is asked at
    most once per cadence, also when a finished session triggers a refresh.
    """

    def __init__(self, hass: HomeAssistant, entry: JouloConfigEntry, client: JouloClient) -> None:
        """Create the energy coordinator."""
        super().__init__(
            hass,
            entry,
            client,
            logger=LOGGER,
            name=f"{DOMAIN} energy",
            update_interval=ENERGY_INTERVAL,
            refresh_cooldown=ENERGY_REFRESH_COOLDOWN,
        )
        self._account: Account | None = None
        self._account_checked_at: datetime | None = None
        self._position: ErePosition | None = None
        self._position_checked_at: datetime | None = None
        self._position_missing = False
        self._position_health = PollHealth()

    async def _async_fetch(self) -> EnergyData:
        with translate_errors():
            energy = await self.client.get_energy()
        # The optional two together, once `/energy` answered: one after the other, they made the
        # longest part of a setup. Each ends by itself, so neither is left half done.
        account, position = await asyncio.gather(
            self._async_account(), self._async_ere_position(), return_exceptions=True
        )
        if isinstance(account, BaseException):
            raise account
        if isinstance(position, BaseException):
            raise position
        data = EnergyData(energy=energy, account=account, ere_position=position)
        previous: EnergyData | None = self.data  # None before the first refresh
        self.set_changed_contexts(
            None
            if previous is None
            else frozenset(
                context
                for context, changed in (
                    (TOTALS, (previous.energy, previous.account) != (energy, account)),
                    (ERE_POSITION, previous.ere_position != data.ere_position),
                )
                if changed
            )
        )
        return data

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
            _raise_if_refused(err)
            LOGGER.debug("The Joulo account (/me) is not readable with this token")
        except JouloError as err:
            LOGGER.debug("The Joulo account (/me) is not available: %s", err)
        return self._account

    async def _async_ere_position(self) -> ErePosition | None:
        """Return the ERE position, or None while it fails; ask once per cadence (a day if missing)."""
        now = dt_util.utcnow()
        max_age = MISSING_ERE_POSITION_RECHECK if self._position_missing else ACCOUNT_MAX_AGE
        if self._position_checked_at is not None and now - self._position_checked_at < max_age:
            return self._position
        self._position_checked_at = now
        try:
            self._position = await self.client.get_ere_position()
        except JouloAuthenticationError as err:
            _raise_if_refused(err)
            self._position, self._position_missing = None, True
            LOGGER.debug("The ERE position is not readable with this token")
        except JouloError as err:
            self._position_missing = isinstance(err, JouloResponseError) and err.status == 404  # noqa: PLR2004
            self._position_health = self._position_health.failed()
            if self._position_missing or not self._position_health.tolerates(now, timedelta(0)):
                self._position = None
            LOGGER.debug("The ERE position is not available: %s", err)
        else:
            self._position_missing = False
            self._position_health = PollHealth.succeeded(now)
        return self._position


def _raise_if_refused(err: JouloAuthenticationError) -> None:
    """A refused token (401) asks for a new one; 403 is a token without that endpoint's scope."""
    if err.status == 401:  # noqa: PLR2004
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        ) from err


@dataclass(frozen=True, slots=True)
class _FinishedSession:
    """A session that left its charger and is not listed as completed yet."""

    running: RunningSession
    since: datetime


class JouloSessionsCoordinator(JouloCoordinator[SessionsData]):
    """Polls the newest page of `/sessions` every ten minutes, or at once when asked.

    Sessions the chargers coordinator saw finish are looked up by charger when they are not on the
    newest page: on an account with many chargers running, the page fills with running sessions.
    The last-session entities of a charger hear of a refresh only when its newest completed session
    changed.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JouloConfigEntry,
        client: JouloClient,
        energy: JouloEnergyCoordinator,
    ) -> None:
        """Create the sessions coordinator; it refreshes `energy` after a session completes."""
        super().__init__(
            hass,
            entry,
            client,
            logger=LOGGER,
            name=f"{DOMAIN} sessions",
            update_interval=SESSIONS_INTERVAL,
            refresh_cooldown=DEFAULT_COOLDOWN,
        )
        self._energy = energy
        self._finished: dict[str, _FinishedSession] = {}
        self._read_began: datetime | None = None
        """When the latest read of `/sessions` (under way, or done and answered) began."""

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

    def watch_finished(self, session_id: str, running: RunningSession) -> None:
        """Look for this session on every refresh until it is listed as completed."""
        if self.data is not None and any(
            session.id == session_id and session.is_completed for session in self.data.recent
        ):
            return  # the sessions poll of the same moment read it already
        self._finished[session_id] = _FinishedSession(running, dt_util.utcnow())

    def lists(self, session_ids: Iterable[str]) -> bool:
        """Whether the latest read listed every one of these sessions."""
        listed = {session.id for session in self.data.recent} if self.data is not None else set()
        return all(session_id in listed for session_id in session_ids)

    def refresh_for_news(self, seen_at: datetime) -> None:
        """Refresh soon: a chargers poll asked at `seen_at` saw a session start or end.

        A read that began at or after `seen_at` holds the news already, or will when it answers.
        """
        if self._read_began is not None and self._read_began >= seen_at:
            return
        self.request_refresh_soon()

    async def _async_fetch(self) -> SessionsData:
        self._read_began = dt_util.utcnow()
        try:
            with translate_errors():
                sessions, basis = await self._async_read()
        except UpdateFailed:
            self._read_began = None  # it holds no news after all
            raise
        for session_id in [sid for sid in self._finished if _completed(sessions.get(sid))]:
            del self._finished[session_id]
        previous: SessionsData | None = self.data  # None before the first refresh
        last_completed = newest_completed(
            previous.last_completed if previous else {}, sessions.values()
        )
        changed = changed_keys(previous.last_completed if previous else None, last_completed)
        if changed:
            self._energy.request_refresh_soon()
        if basis is None and previous is not None:
            basis = previous.estimate_basis  # an answer without it does not take the price away
        # A new price changes every charger's euros.
        self.set_changed_contexts(
            None if previous is not None and basis != previous.estimate_basis else changed
        )
        recent = sorted(sessions.values(), key=lambda session: session.started_at, reverse=True)
        return SessionsData(
            recent=tuple(recent), last_completed=last_completed, estimate_basis=basis
        )

    async def _async_read(self) -> tuple[dict[str, Session], EstimateBasis | None]:
        """The newest page's sessions, with those awaited as finished it does not list, by id.

        And the page's `estimate_basis`.
        """
        page = await self.client.get_sessions(limit=SESSIONS_PAGE_SIZE)
        sessions = {session.id: session for session in page.sessions}
        for session_id, finished in list(self._finished.items()):
            if session_id in sessions:
                continue
            found = await self.client.get_sessions(
                charger_id=finished.running.charger_id,
                started_from=finished.running.started_at,
            )
            for session in found.sessions:
                sessions.setdefault(session.id, session)
        return sessions, page.estimate_basis


def _completed(session: Session | None) -> bool:
    return session is not None and session.is_completed


class JouloChargersCoordinator(JouloCoordinator[ChargersData]):
    """Polls `/chargers`, works out each session's power, and asks for sessions as they change.

    Every minute while a charger charges or reports live; every five minutes when every charger is
    an idle cloud charger, which Joulo syncs only every 15 minutes. The entities of a charger hear of
    a refresh only when that charger (or its power) changed.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JouloConfigEntry,
        client: JouloClient,
        sessions: JouloSessionsCoordinator,
    ) -> None:
        """Create the chargers coordinator; it steers `sessions`."""
        super().__init__(
            hass,
            entry,
            client,
            logger=LOGGER,
            name=f"{DOMAIN} chargers",
            update_interval=FAST_INTERVAL,
            refresh_cooldown=DEFAULT_COOLDOWN,
            ride_out=CHARGERS_RIDE_OUT,
        )
        self._sessions = sessions
        self._live: frozenset[str] = frozenset()
        self._power: dict[str, PowerTrack] = {}
        self._polled_at: datetime | None = None

    def follow_running_session(self) -> None:
        """A session runs that this coordinator may not show yet: poll every minute from now."""
        if self.update_interval != FAST_INTERVAL:
            self.update_interval = FAST_INTERVAL
            self.request_refresh_soon()

    async def _async_fetch(self) -> ChargersData:
        asked = dt_util.utcnow()
        with translate_errors():
            listed = await self.client.get_chargers()
        now = dt_util.utcnow()
        chargers = {charger.id: charger for charger in listed}
        previous: ChargersData | None = self.data  # None before the first refresh
        before: Mapping[str, Charger] = previous.chargers if previous else {}
        self._live = frozenset(
            charger.id
            for charger in chargers.values()
            if reports_live(charger, before.get(charger.id), was_live=charger.id in self._live)
        )
        self._power = {
            charger.id: track
            for charger in chargers.values()
            if (track := track_power(self._power.get(charger.id), charger, now, self._polled_at))
        }
        self._polled_at = now
        data = ChargersData(
            chargers, power={charger_id: track.power_w for charger_id, track in self._power.items()}
        )
        self.set_changed_contexts(_changed_chargers(previous, data))
        if previous is not None:
            self._follow_sessions(before, chargers, asked)
        self.update_interval = chargers_interval(
            chargers, self._live, awaiting_finished=self._sessions.awaiting_finished
        )
        return data

    def _follow_sessions(
        self, before: Mapping[str, Charger], after: Mapping[str, Charger], asked: datetime
    ) -> None:
        """Ask for a sessions refresh when a session started, or one that ended is not listed yet.

        `asked` is when the chargers were asked for: the news is as of then.
        """
        was_running = running_sessions(before)
        now_running = running_sessions(after)
        for session_id, running in sessions_ended(was_running, now_running).items():
            self._sessions.watch_finished(session_id, running)
        started = sessions_started(was_running, now_running)
        if self._sessions.awaiting_finished or not self._sessions.lists(started):
            self._sessions.refresh_for_news(asked)


def _changed_chargers(previous: ChargersData | None, data: ChargersData) -> frozenset[str] | None:
    """The chargers whose data or power changed; None when there was nothing before."""
    if previous is None:
        return None
    return (changed_keys(previous.chargers, data.chargers) or frozenset()) | (
        changed_keys(previous.power, data.power) or frozenset()
    )
