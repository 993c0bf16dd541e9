"""The coordinators that poll the Joulo API, one per cadence, their common base, and the entry's data.

Each coordinator reads its endpoints, parses them and says what changed: whose data (a charger's id,
or the account's totals) and, for the chargers poll, which sessions started. None holds or calls
another. What follows a refresh (devices, entities, announcements, statistics, the sessions poll after
news, the energy poll after a finished session, faster chargers polling) is the refresh pipeline's, in
`pipeline.py`. The chargers and sessions coordinators share one `FinishedSessions` watch (a session
that left its charger is looked for in `/sessions` until it is listed), and all three one client, so
one rate-limit gate.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import (
    REQUEST_REFRESH_DEFAULT_COOLDOWN,
    DataUpdateCoordinator,
    UpdateFailed,
)
from homeassistant.util import dt as dt_util

from .api import (
    MAX_SESSIONS_LIMIT,
    Account,
    Charger,
    ErePosition,
    EstimateBasis,
    JouloClient,
    Session,
    retry_pause,
)
from .changes import (
    FAST_INTERVAL,
    PowerTrack,
    RunningSession,
    changed_keys,
    chargers_interval,
    chargers_missing,
    newest_completed,
    reports_live,
    running_sessions,
    sessions_ended,
    sessions_started,
    track_power,
)
from .const import (
    CHARGER_GONE_AFTER,
    CHARGERS_RIDE_OUT,
    DOMAIN,
    ENERGY_INTERVAL,
    ENERGY_REFRESH_COOLDOWN,
    FINISHED_SESSION_WATCH,
    LOGGER,
    SESSIONS_INTERVAL,
)
from .data import (
    ERE_POSITION,
    TOTALS,
    ChargersData,
    EnergyData,
    PollHealth,
    SessionNews,
    SessionsData,
    YearTally,
    next_refresh_in,
)
from .ere import ErePrice, SessionEre, ere_price, session_ere
from .errors import (
    Caller,
    Unanswered,
    async_read_optional,
    is_transient,
    joulo_errors,
    token_refused,
)
from .readings import SessionReadings
from .session_costs import SessionCosts
from .session_times import ImpossibleSessions
from .vehicles import Vehicle


class JouloCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator of one Joulo endpoint (or more) on its own cadence.

    After each refresh that read the API it runs its `refresh_step` (the pipeline), before any
    listener hears of it; then it tells only the listeners whose data changed: an entity that
    listens with a context (its charger's id) hears of a refresh only when the refresh said that
    context changed. Each listener is told on its own: one that raises is logged, the others still
    hear of the refresh.

    A refresh that fails while its `PollHealth` tolerates it keeps the data read before, as if
    nothing had changed: no entity goes unavailable, nothing is logged above DEBUG, and the
    pipeline does not run. A transient failure (a 5xx, a timeout, a broken body) is tried again
    once, after a pause of a few seconds: the next refresh is scheduled then, on Home Assistant's
    clock, and nothing waits inside a refresh. Past that, it fails as Home Assistant's coordinators
    do: the entities go unavailable, the log says once that fetching failed and once that it
    recovered.
    """

    config_entry: JouloConfigEntry
    endpoint: str
    """What it polls, which names it (`joulo chargers`)."""
    interval: timedelta
    """How often it polls (at first: the chargers coordinator adapts it)."""
    refresh_cooldown: timedelta = timedelta(seconds=REQUEST_REFRESH_DEFAULT_COOLDOWN)
    """Refreshes asked for between polls run at once, then at most once per this."""
    ride_out: timedelta = timedelta(0)
    """How long after its last good answer failures are ridden out (always for one refresh)."""

    def __init__(self, hass: HomeAssistant, entry: JouloConfigEntry, client: JouloClient) -> None:
        """Poll with `client` every `interval`; unchanged data writes no state."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {self.endpoint}",
            update_interval=self.interval,
            update_method=self._async_poll,
            # Home Assistant would compare the data again to decide whether to tell the listeners;
            # `_async_poll` has already, so `async_update_listeners` decides (`data_changed`).
            always_update=True,
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=self.refresh_cooldown.total_seconds(), immediate=True
            ),
        )
        self.client = client
        self.regular_interval = self.interval
        """How often it polls while the API answers (`update_interval` also times the retries)."""
        self.refresh_step: Callable[[], None] | None = None
        """Run after each refresh that read the API (see `data_changed`)."""
        self.health = PollHealth()
        self.retries = 0
        """How many refreshes were a retry of a transient failure."""
        self._changed_contexts: frozenset[Any] | None = None
        self._data_changed = False
        self._was_up = True
        self._reading = False
        self._refresh_asked_meanwhile = False
        self._poll_began = dt_util.utcnow()

    @property
    def last_read_success(self) -> bool:
        """Whether the latest refresh read the API (not so through a failure that is ridden out)."""
        return self.last_update_success and self.health.good

    @property
    def data_changed(self) -> bool:
        """Whether the latest refresh changed the data, or brought the API back."""
        return self._data_changed

    @property
    def changed_contexts(self) -> frozenset[Any] | None:
        """Whose data the latest refresh changed (None: everyone's, or not known)."""
        return self._changed_contexts

    def set_changed_contexts(self, contexts: frozenset[Any] | None) -> None:
        """Say whose data the refresh under way changed (None: everyone's), with its new data."""
        self._changed_contexts = contexts

    @abstractmethod
    async def _async_fetch(self) -> DataT:
        """Read the data from the API; raise `UpdateFailed` (or `ConfigEntryAuthFailed`) if it fails."""

    async def _async_poll(self) -> DataT:
        """Read the data; through a failure that is tolerated, keep the data read before.

        Also times the next refresh (`update_interval`): the retry of a transient failure, the end
        of a 429's `Retry-After`, or the regular interval.
        """
        retrying = self.health.retry_due
        if retrying:
            self.retries += 1
        else:
            self._poll_began = dt_util.utcnow()
        self._reading = True
        try:
            data = await self._async_fetch()
        except UpdateFailed as err:
            # A rate limit is waited out like a blip: read again once when it ends, and counted
            # only if that read fails too.
            self.health = self.health.failed(
                transient=is_transient(err) or err.retry_after is not None
            )
            self._time_next_refresh(err.retry_after, retrying=retrying)
            if not self.health.tolerates(dt_util.utcnow(), self.ride_out):
                raise
            self.logger.debug(
                "Keeping the last %s data through a failure (%d in a row%s): %s",
                self.name,
                self.health.failures_in_a_row,
                ", retry due" if self.health.retry_due else "",
                err,
            )
            self._data_changed = False
            return self.data
        finally:
            self._reading = False
            if self._refresh_asked_meanwhile:
                # Runs once Home Assistant has finished this refresh (set the data, told listeners).
                self._refresh_asked_meanwhile = False
                self.request_refresh_soon()
        self.health = PollHealth.succeeded(dt_util.utcnow())
        self._time_next_refresh(None, retrying=retrying)
        self._data_changed = data != self.data
        return data

    def _time_next_refresh(self, rate_limited_for: float | None, *, retrying: bool) -> None:
        self.update_interval = next_refresh_in(
            self.regular_interval,
            retry_due=self.health.retry_due,
            retry_pause=timedelta(seconds=retry_pause()),
            rate_limited_for=rate_limited_for,
            since_poll=dt_util.utcnow() - self._poll_began if retrying else timedelta(0),
        )

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Listen for data updates; with a `context`, only for refreshes that changed it."""

        @callback
        def update_if_changed() -> None:
            contexts = self._changed_contexts if self.last_update_success else None
            if contexts is not None and context is not None and context not in contexts:
                return
            try:
                update_callback()
            except Exception:
                # Isolated as Home Assistant's newer releases do: the other listeners still hear.
                self.logger.exception("Error updating a listener of %s", self.name)

        return super().async_add_listener(update_if_changed, context)

    @callback
    def async_update_listeners(self) -> None:
        """Run the refresh step, then tell the listeners whose data changed (none if nothing did).

        Home Assistant calls this after every refresh that succeeded and after the first that
        failed. Listeners without a context hear of every change; all hear when the API fails or
        recovers.
        """
        recovered = self.last_update_success and not self._was_up
        self._was_up = self.last_update_success
        if recovered:
            self._changed_contexts = None  # everyone hears that the API is back
            self._data_changed = True
        if self.refresh_step is not None and self.last_read_success:
            self.refresh_step()
        if self.last_update_success and not self._data_changed:
            return
        super().async_update_listeners()

    @callback
    def async_publish(self, data: DataT, contexts: frozenset[Any]) -> None:
        """Show data read outside a refresh (a part read again), as a refresh that changed `contexts`.

        The refresh step runs, and the listeners of `contexts` hear of it.
        """
        self._changed_contexts = contexts
        self._data_changed = True
        self.async_set_updated_data(data)

    def request_refresh_soon(self) -> None:
        """Refresh now (debounced), or right after the refresh under way, without waiting for it.

        One refresh at a time: two at once (a scheduled one that waits for a slow API, and one
        asked for) would each log the same failure or recovery, and race to set the data.
        """
        if self._reading:
            self._refresh_asked_meanwhile = True
            return
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"{self.name} refresh"
        )


# A triggered energy refresh between two scheduled ones reuses the account; a scheduled one renews it.
ACCOUNT_MAX_AGE = ENERGY_INTERVAL - timedelta(minutes=5)
# An account without `/ere-position` (404, or a token without its scope) is asked again once a day.
MISSING_ERE_POSITION_RECHECK = timedelta(days=1)


class JouloEnergyCoordinator(JouloCoordinator[EnergyData]):
    """Polls `/energy` every hour, and `/me` and `/ere-position` with it.

    Neither of those two ever fails the poll: a missing `/me` leaves the last account known, a failing
    `/ere-position` keeps the last position through one failed read and gives none from the second
    in a row (its sensors go unavailable), a missing one is asked again once a day. Each is asked at
    most once per cadence, also when a finished session triggers a refresh. A transient failure of
    `/ere-position` is asked again on its own a few seconds later (a timer on Home Assistant's
    clock), without reading `/energy` again.
    """

    endpoint = "energy"
    interval = ENERGY_INTERVAL
    refresh_cooldown = ENERGY_REFRESH_COOLDOWN

    def __init__(self, hass: HomeAssistant, entry: JouloConfigEntry, client: JouloClient) -> None:
        """Create the energy coordinator."""
        super().__init__(hass, entry, client)
        self._account: Account | None = None
        self._account_checked_at: datetime | None = None
        self._position: ErePosition | None = None
        self._position_checked_at: datetime | None = None
        self._position_missing = False
        self._position_health = PollHealth()
        self._cancel_position_retry: CALLBACK_TYPE | None = None
        entry.async_on_unload(self._stop_position_retry)

    async def _async_fetch(self) -> EnergyData:
        with joulo_errors(self.hass, self.config_entry, Caller.POLL):
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
        account = await async_read_optional(self.client.get_account(), "The Joulo account (/me)")
        if isinstance(account, Unanswered):
            if account.refused:
                raise token_refused()
        else:
            self._account = account
        return self._account

    async def _async_ere_position(self) -> ErePosition | None:
        """Return the ERE position, or None while it fails; ask once per cadence (a day if missing).

        A position that fails to answer is kept through one failed read, like a coordinator's data,
        and a transient failure is asked again at the retry a few seconds later. A rate limit is no
        failure of the position: it is kept, and asked again at the next refresh.
        """
        now = dt_util.utcnow()
        max_age = MISSING_ERE_POSITION_RECHECK if self._position_missing else ACCOUNT_MAX_AGE
        if (
            self._position_checked_at is not None
            and now - self._position_checked_at < max_age
            and not self._position_health.retry_due
        ):
            return self._position
        self._position_checked_at = now
        position = await async_read_optional(self.client.get_ere_position(), "The ERE position")
        if not isinstance(position, Unanswered):
            self._position, self._position_missing = position, False
            self._position_health = PollHealth.succeeded(now)
            return position
        if position.refused:
            raise token_refused()
        if position.rate_limited:
            # Not the position's failure: the entry's gate held it. Asked again at the next refresh.
            self._position_checked_at = None
            return self._position
        self._position_missing = position.missing
        self._position_health = self._position_health.failed(transient=position.transient)
        if self._position_health.retry_due:
            self._stop_position_retry()
            self._cancel_position_retry = async_call_later(
                self.hass, retry_pause(), self._retry_position
            )
        if position.missing or not self._position_health.tolerates(now, timedelta(0)):
            self._position = None
        return self._position

    @callback
    def _stop_position_retry(self) -> None:
        if self._cancel_position_retry is not None:
            self._cancel_position_retry()
            self._cancel_position_retry = None

    @callback
    def _retry_position(self, _now: datetime) -> None:
        self._cancel_position_retry = None
        self.config_entry.async_create_background_task(
            self.hass, self._async_retry_position(), f"{self.name} ERE position retry"
        )

    async def _async_retry_position(self) -> None:
        """Ask `/ere-position` again after a transient failure; show it if it changed."""
        if self.data is None or not self._position_health.retry_due:
            return  # a refresh meanwhile asked it again
        self.retries += 1
        position = await self._async_ere_position()
        if position != self.data.ere_position:
            self.async_publish(replace(self.data, ere_position=position), frozenset({ERE_POSITION}))


@dataclass(frozen=True, slots=True)
class _FinishedSession:
    """A session that left its charger and is not listed as completed yet."""

    running: RunningSession
    since: datetime


class FinishedSessions:
    """Sessions that left their charger and that `/sessions` does not list as completed yet.

    The chargers coordinator sees a session leave its charger and adds it; the sessions coordinator
    looks for each by charger until a read lists it completed. While one is awaited, the chargers are
    polled every minute, and each chargers poll asks for the sessions again (the pipeline's step).
    A session is looked for at most `FINISHED_SESSION_WATCH`.
    """

    def __init__(self) -> None:
        """Await nothing yet."""
        self._awaited: dict[str, _FinishedSession] = {}
        self._listed_completed: frozenset[str] = frozenset()

    def add(self, ended: Mapping[str, RunningSession], now: datetime) -> None:
        """Await the sessions that just left their charger, unless a read listed them completed."""
        for session_id, running in ended.items():
            if session_id not in self._listed_completed:
                self._awaited[session_id] = _FinishedSession(running, now)

    def read(self, sessions: Mapping[str, Session]) -> None:
        """Take in a read of `/sessions`: the sessions it lists completed are no longer awaited."""
        self._listed_completed = frozenset(
            session_id for session_id, session in sessions.items() if session.is_completed
        )
        for session_id in self._listed_completed & self._awaited.keys():
            del self._awaited[session_id]

    def awaiting(self, now: datetime) -> bool:
        """Whether a session that left its charger is still not listed as completed."""
        self._awaited = {
            session_id: finished
            for session_id, finished in self._awaited.items()
            if now - finished.since < FINISHED_SESSION_WATCH
        }
        return bool(self._awaited)

    def awaited(self) -> list[tuple[str, RunningSession]]:
        """The awaited sessions, by id, with the charger and start they ran with."""
        return [(session_id, finished.running) for session_id, finished in self._awaited.items()]


class FinishedSessionsCoordinator[DataT](JouloCoordinator[DataT]):
    """One of the two coordinators that share the `FinishedSessions` watch: chargers and sessions."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JouloConfigEntry,
        client: JouloClient,
        finished: FinishedSessions,
    ) -> None:
        """Create the coordinator, with the watch it shares."""
        super().__init__(hass, entry, client)
        self._finished = finished


class JouloSessionsCoordinator(FinishedSessionsCoordinator[SessionsData]):
    """Polls the newest page of `/sessions` every ten minutes, or at once when asked.

    Sessions awaited as finished are looked up by charger when they are not on the newest page: on
    an account with many chargers running, the page fills with running sessions. The last-session
    entities of a charger hear of a refresh only when its newest completed session (or the price)
    changed.
    """

    endpoint = "sessions"
    interval = SESSIONS_INTERVAL
    _read_began: datetime | None = None
    """When the latest read of `/sessions` (under way, or done and answered) began."""

    @cached_property
    def impossible(self) -> ImpossibleSessions:
        """The sessions listed with impossible times: no charger's last session, no sum."""
        return ImpossibleSessions()

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
            with joulo_errors(self.hass, self.config_entry, Caller.POLL):
                sessions, basis = await self._async_read()
        except UpdateFailed:
            self._read_began = None  # it holds no news after all
            raise
        self._finished.read(sessions)
        previous: SessionsData | None = self.data  # None before the first refresh
        last_completed = newest_completed(
            previous.last_completed if previous else {},
            self.impossible.possible(sessions.values(), dt_util.utcnow()),
        )
        completed = changed_keys(previous.last_completed if previous else None, last_completed)
        if basis is None and previous is not None:
            basis = previous.estimate_basis  # an answer without it does not take the price away
        # A new price changes every charger's euros.
        self.set_changed_contexts(
            None if previous is not None and basis != previous.estimate_basis else completed
        )
        recent = sorted(sessions.values(), key=lambda session: session.started_at, reverse=True)
        return SessionsData(
            recent=tuple(recent),
            last_completed=last_completed,
            estimate_basis=basis,
            newly_completed=completed or frozenset(),
        )

    async def _async_read(self) -> tuple[dict[str, Session], EstimateBasis | None]:
        """The newest page's sessions, with those awaited as finished it does not list, by id.

        And the page's `estimate_basis`.
        """
        page = await self.client.get_sessions(limit=MAX_SESSIONS_LIMIT)
        sessions = {session.id: session for session in page.sessions}
        for session_id, running in self._finished.awaited():
            if session_id in sessions:
                continue
            found = await self.client.get_sessions(
                charger_id=running.charger_id, started_from=running.started_at
            )
            for session in found.sessions:
                sessions.setdefault(session.id, session)
        return sessions, page.estimate_basis


class JouloChargersCoordinator(FinishedSessionsCoordinator[ChargersData]):
    """Polls `/chargers`, works out each session's power, and says which sessions started or ended.

    Every minute while a charger charges or reports live, or a finished session is awaited; every
    five minutes when every charger is an idle cloud charger, which Joulo syncs only every 15
    minutes. The entities of a charger hear of a refresh only when that charger (or its power)
    changed. A charger an answer does not list is missing, until it is listed again or has been
    missing for `CHARGER_GONE_AFTER`: then it has left the account.
    """

    endpoint = "chargers"
    interval = FAST_INTERVAL
    ride_out = CHARGERS_RIDE_OUT
    registered: Iterable[str] = ()
    """The chargers with a device from before (a restart): one the first answer does not list is
    missing, not gone. Set before the first refresh."""
    # What the previous poll left, for the next: which chargers report live, each one's power.
    _live: frozenset[str] = frozenset()
    _power: Mapping[str, PowerTrack] = MappingProxyType({})
    _polled_at: datetime | None = None

    def follow_running_session(self) -> None:
        """A session runs that this coordinator may not show yet: poll every minute from now."""
        if self.regular_interval != FAST_INTERVAL:
            self.regular_interval = FAST_INTERVAL
            self.request_refresh_soon()

    async def _async_fetch(self) -> ChargersData:
        asked = dt_util.utcnow()
        with joulo_errors(self.hass, self.config_entry, Caller.POLL):
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
        news = None
        if previous is not None:
            was_running, now_running = running_sessions(before), running_sessions(chargers)
            self._finished.add(sessions_ended(was_running, now_running), now)
            news = SessionNews(
                started=frozenset(sessions_started(was_running, now_running)), asked_at=asked
            )
        data = ChargersData(
            chargers,
            power={charger_id: track.power_w for charger_id, track in self._power.items()},
            missing=chargers_missing(
                before.keys() | previous.missing.keys() if previous else self.registered,
                chargers,
                previous.missing if previous else {},
                now,
                CHARGER_GONE_AFTER,
            ),
            news=news,
        )
        self.set_changed_contexts(_changed_chargers(previous, data))
        self.regular_interval = chargers_interval(
            chargers, self._live, awaiting_finished=self._finished.awaiting(now)
        )
        return data


def _changed_chargers(previous: ChargersData | None, data: ChargersData) -> frozenset[str] | None:
    """The chargers whose data or power changed; None when there was nothing before."""
    if previous is None:
        return None
    return (changed_keys(previous.chargers, data.chargers) or frozenset()) | (
        changed_keys(previous.power, data.power) or frozenset()
    )


@dataclass
class JouloRuntimeData:
    """What a loaded config entry holds: the client, its coordinators, and entity adders.

    `entity_adders` are the platforms' callbacks that add the entities of chargers (or of account
    data) that appeared since; the refresh pipeline calls them after each refresh.
    """

    client: JouloClient
    chargers: JouloChargersCoordinator
    sessions: JouloSessionsCoordinator
    energy: JouloEnergyCoordinator
    finished: FinishedSessions
    entity_adders: list[Callable[[], None]] = field(default_factory=list)
    reads_history: bool = False
    """Whether the session history is read (with the recorder), which tells what chargers missed."""
    missed_this_year: Mapping[str, YearTally] | None = None
    """Per charger, its sessions of this year that did not count for ERE, once the session history
    is read (None before)."""
    readings: SessionReadings | None = None
    """The readings of running sessions, kept while statistics or costs need their hours."""
    costs: SessionCosts = field(init=False)
    """The completed sessions of the last months, and what each cost (with a price source)."""
    vehicles: tuple[Vehicle, ...] = ()
    """The account's vehicles (its config subentries), kept in step as they are added or changed."""

    @property
    def impossible_sessions(self) -> ImpossibleSessions:
        """The sessions listed with impossible times, which every sum leaves out (each logged once)."""
        return self.sessions.impossible

    @property
    def retries(self) -> int:
        """How many polls were retried after a transient failure, by every coordinator."""
        return self.chargers.retries + self.sessions.retries + self.energy.retries

    def ere_of(self, session: Session) -> SessionEre:
        """What a session earns now: at its charger's MID flags, at today's price."""
        charger = self.chargers.data.get(session.charger_id) if self.chargers.data else None
        return session_ere(session, charger, self.ere_price)

    @property
    def ere_price(self) -> ErePrice | None:
        """The price ERE are valued at now: the sessions' estimate basis, else the account's."""
        sessions, energy = self.sessions.data, self.energy.data
        return ere_price(
            sessions.estimate_basis if sessions else None, energy.account if energy else None
        )


type JouloConfigEntry = ConfigEntry[JouloRuntimeData]
