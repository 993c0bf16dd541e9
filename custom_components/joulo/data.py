"""What a loaded Joulo entry holds, the data its coordinators publish, and their common base.

This module imports no other module of the integration (only the client package and the pure ERE
rules of `ere.py`), so every module can import it and none imports one that imports it back:
platforms and the refresh pipeline see the coordinators through `JouloCoordinator` and the data types
below; `coordinator.py` makes them poll.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import Account, Charger, Energy, ErePosition, EstimateBasis, JouloClient, Session
from .ere import ErePrice, ere_price


@dataclass(frozen=True, slots=True)
class ChargersData(Mapping[str, Charger]):
    """The account's chargers by id, and the charging power worked out for each (W, or None)."""

    chargers: Mapping[str, Charger]
    power: Mapping[str, float | None] = field(default_factory=dict)

    def __getitem__(self, charger_id: str) -> Charger:
        """The charger with this id."""
        return self.chargers[charger_id]

    def __iter__(self) -> Iterator[str]:
        """The chargers' ids."""
        return iter(self.chargers)

    def __len__(self) -> int:
        """How many chargers the account has."""
        return len(self.chargers)


@dataclass(frozen=True, slots=True)
class SessionsData:
    """The newest sessions (and those that just finished), and each charger's newest completed one."""

    recent: tuple[Session, ...]
    last_completed: Mapping[str, Session]
    estimate_basis: EstimateBasis | None = None
    """The price and fee of Joulo's own euro estimate, from the latest answer that gave them."""


@dataclass(slots=True)
class YearTally:
    """A charger's completed sessions of one calendar year that did not count for ERE."""

    year: int
    kwh: float = 0.0
    ere_credits: float = 0.0
    sessions: int = 0


def missed_signal(entry_id: str) -> str:
    """The dispatcher signal sent when what chargers without MID missed this year changed."""
    return f"joulo_{entry_id}_ere_missed"


@dataclass(frozen=True, slots=True)
class EnergyData:
    """The account's totals; the account (`/me`) and its ERE position when they answered."""

    energy: Energy
    account: Account | None
    ere_position: ErePosition | None = None


TOTALS = "totals"
"""The context of the account's entities of `/energy` and `/me`."""
ERE_POSITION = "ere_position"
"""The context of the account's entities of `/ere-position`."""


@dataclass(frozen=True, slots=True)
class PollHealth:
    """A coordinator's failed refreshes in a row, and when its last good answer came.

    Joulo's API fails a request now and then; one failure should not blank a dashboard, a real
    outage should show. A coordinator keeps its last data through a failure that `tolerates` allows.
    """

    failures_in_a_row: int = 0
    last_success: datetime | None = None
    """When the latest refresh that succeeded ended; None before the first one."""

    def failed(self) -> PollHealth:
        """The health after one more failed refresh."""
        return PollHealth(self.failures_in_a_row + 1, self.last_success)

    @staticmethod
    def succeeded(now: datetime) -> PollHealth:
        """The health after a refresh that succeeded at `now`."""
        return PollHealth(0, now)

    def tolerates(self, now: datetime, ride_out: timedelta) -> bool:
        """Whether the data read before may still be shown at `now`, the failures counted so far.

        Always through the first failure after a good answer, and through more while the last good
        answer is younger than `ride_out`; never before any good answer (there is nothing to show).
        """
        if self.last_success is None:
            return False
        return self.failures_in_a_row < 2 or now - self.last_success < ride_out  # noqa: PLR2004


class JouloCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator of one Joulo endpoint (or more) on its own cadence.

    After a refresh that changed something it first runs its `refresh_step` (the pipeline), then
    tells only the listeners whose data changed: an entity that listens with a context (its
    charger's id) hears of a refresh only when the refresh said that context changed.

    A refresh that fails while its `PollHealth` tolerates it keeps the data read before, as if
    nothing had changed: no entity goes unavailable, nothing is logged above DEBUG, and the
    pipeline does not run again. Past that, it fails as Home Assistant's coordinators do: the
    entities go unavailable, the log says once that fetching failed and once that it recovered.
    """

    config_entry: JouloConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JouloConfigEntry,
        client: JouloClient,
        *,
        logger: logging.Logger,
        name: str,
        update_interval: timedelta,
        refresh_cooldown: timedelta,
        ride_out: timedelta = timedelta(0),
    ) -> None:
        """Poll with `client` every `update_interval`; unchanged data writes no state.

        Refreshes asked for between polls run at once, then at most once per `refresh_cooldown`.
        Failures are ridden out (see `PollHealth.tolerates`) for `ride_out` after the last good
        answer, and always for one refresh.
        """
        super().__init__(
            hass,
            logger,
            config_entry=entry,
            name=name,
            update_interval=update_interval,
            always_update=False,
            request_refresh_debouncer=Debouncer(
                hass, logger, cooldown=refresh_cooldown.total_seconds(), immediate=True
            ),
        )
        self.client = client
        self.refresh_step: Callable[[], None] | None = None
        """Run after each refresh that changed the data, before any entity hears of it."""
        self._changed_contexts: frozenset[Any] | None = None
        self._notified_success = True
        self._refreshes_running = 0
        self._refresh_asked_meanwhile = False
        self._ride_out = ride_out
        self.health = PollHealth()

    @property
    def last_read_success(self) -> bool:
        """Whether the latest refresh read the API (not so through a failure that is ridden out)."""
        return self.last_update_success and not self.health.failures_in_a_row

    @abstractmethod
    async def _async_fetch(self) -> DataT:
        """Read the data from the API; raise `UpdateFailed` (or `ConfigEntryAuthFailed`) if it fails."""

    async def _async_update_data(self) -> DataT:
        """Read the data; through a failure that is tolerated, keep the data read before."""
        try:
            data = await self._async_fetch()
        except UpdateFailed as err:
            self.health = self.health.failed()
            if not self.health.tolerates(dt_util.utcnow(), self._ride_out):
                raise
            self.logger.debug(
                "Keeping the last %s data through failure %d in a row: %s",
                self.name,
                self.health.failures_in_a_row,
                err,
            )
            if err.retry_after is not None:
                # What Home Assistant does with a failed refresh's `retry_after`: the next
                # scheduled refresh waits for it, so none runs into the closed rate-limit gate.
                self._retry_after = err.retry_after
            return self.data
        self.health = PollHealth.succeeded(dt_util.utcnow())
        return data

    def request_refresh_soon(self) -> None:
        """Refresh now (debounced), or right after the refresh under way, without waiting for it.

        One refresh at a time: two at once (a scheduled one that waits for a slow API, and one
        asked for) would each log the same failure or recovery, and race to set the data.
        """
        if self._refreshes_running:
            self._refresh_asked_meanwhile = True
            return
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"{self.name} refresh"
        )

    async def _async_refresh(self, *args: Any, **kwargs: Any) -> None:
        """Refresh as Home Assistant does, counting the refreshes under way; then one asked for."""
        self._refreshes_running += 1
        try:
            await super()._async_refresh(*args, **kwargs)
        finally:
            self._refreshes_running -= 1
        if self._refresh_asked_meanwhile and not self._refreshes_running:
            self._refresh_asked_meanwhile = False
            self.request_refresh_soon()

    def set_changed_contexts(self, contexts: frozenset[Any] | None) -> None:
        """Say whose data the refresh under way changed (None: everyone's), with its new data."""
        self._changed_contexts = contexts

    @property
    def changed_contexts(self) -> frozenset[Any] | None:
        """Whose data the latest refresh changed (None: everyone's, or not known)."""
        return self._changed_contexts

    @callback
    def async_update_listeners(self) -> None:
        """Run the refresh step, then tell the listeners whose data changed.

        Listeners without a context hear of every change; all hear when the API fails or recovers.
        """
        success = self.last_update_success
        contexts = self._changed_contexts if success == self._notified_success else None
        self._notified_success = success
        if success and self.refresh_step is not None:
            self.refresh_step()
        for update_callback, context in list(self._listeners.values()):
            if contexts is None or context is None or context in contexts:
                update_callback()


@dataclass
class JouloRuntimeData:
    """What a loaded config entry holds: the client, its three coordinators, and entity adders.

    `entity_adders` are the platforms' callbacks that add the entities of chargers (or of account
    data) that appeared since; the refresh pipeline calls them after each refresh.
    """

    client: JouloClient
    chargers: JouloCoordinator[ChargersData]
    sessions: JouloCoordinator[SessionsData]
    energy: JouloCoordinator[EnergyData]
    entity_adders: list[Callable[[], None]] = field(default_factory=list)
    reads_history: bool = False
    """Whether the session history is read (with the recorder), which tells what chargers missed."""
    missed_this_year: Mapping[str, YearTally] | None = None
    """Per charger, its sessions of this year that did not count for ERE, once the session history
    is read (None before)."""

    @property
    def ere_price(self) -> ErePrice | None:
        """The price ERE are valued at now: the sessions' estimate basis, else the account's."""
        sessions, energy = self.sessions.data, self.energy.data
        return ere_price(
            sessions.estimate_basis if sessions else None, energy.account if energy else None
        )


type JouloConfigEntry = ConfigEntry[JouloRuntimeData]


def account_key(entry: JouloConfigEntry) -> str:
    """Return what identifies the account in unique ids: its Joulo id, else the entry's id."""
    return entry.unique_id or entry.entry_id


def charger_name(charger_id: str, *names: str | None) -> str:
    """A charger's display name: the first of `names` that is set, else "Charger" and its id's start.

    Callers pass what they know, freshest first: the charger's nickname, a session's nickname, the
    name its device has.
    """
    return next((name for name in names if name), f"Charger {charger_id[:8]}")
