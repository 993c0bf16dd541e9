"""Charging history in long-term statistics: each completed session's kWh, in the hours it charged.

One external statistic per charger, `joulo:<charger id>_energy` (the id lowercased, with `_` for every
run of characters other than a-z and 0-9: statistic ids allow nothing else), with hourly `state` (the kWh
charged in that hour) and `sum` (kWh charged since the first session). The Energy dashboard takes it as
an individual device.

- Backfill, once: on first setup (or the first time this runs on an existing entry) the whole session
  history is read, newest first, 100 sessions a page, one page every `PAGE_DELAY` seconds so the regular
  polls keep their share of the rate limit. The sessions coordinator's own first page is reused, so for
  N sessions the backfill costs ceil(N/100) - 1 extra `/sessions` requests, one more when N is a positive
  multiple of 100 (the API has no total count: only a short page ends the history, or a page that
  brings no session not read before, so an API that ignores `offset` ends it at its second page).
- Kept current: after each sessions refresh, the completed sessions of its page are imported. When more
  sessions started since the last import than one page holds (a busy account after a long downtime),
  older pages are read the same way until they reach what was seen before.
- A 429 pauses the reading until `Retry-After`; a transient failure (a 5xx, a timeout, a broken body)
  reads the page again a few seconds later, once; another API error waits for the sessions poll's
  next turn (10 minutes); a refused token stops it (re-authentication reloads the entry, which starts
  it over). Every wait is a timer on Home Assistant's clock.
- Append-only, never counted twice: per charger the store keeps the end of the newest imported session,
  the last written hour with its kWh, and the running sum. A completed session is new when it started
  at or after that end (a charger runs one session at a time); its kWh are added to the hours it
  charged (drawn from the readings taken while it ran, see `readings`; evenly over its duration for a
  session never seen running),
  an hour already written is written again with the extra kWh (imports replace rows by hour). Replaying
  sessions from an older store writes the very same rows again.
- A session whose times cannot be (an end before its start, a start or end more than a day ahead)
  counts nowhere, with one WARNING: it would write rows into the future and hold back every later
  session of its charger.
- What chargers without MID miss: the same pass counts, per charger, the completed sessions of the
  current calendar year (Home Assistant's time zone, by start) that did not count for ERE, their kWh
  and ERE credits; the entry's runtime data shows them and `missed_signal` says when they changed.
  A new year's tally starts from nothing at local midnight on 1 January (the refresh pipeline says when
  a period starts), and a session that started in the old year never counts in it.
  A store written before this tally existed is read anew once (the rows written come out the same).
- For the costs of every session (a price source set after the history was read), the whole history
  can be read again (`async_read_history`): nothing is counted twice, and `history_step` gets it all.
- Without the recorder nothing happens and nothing is requested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
import re
from typing import NotRequired, TypedDict

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from .api import MAX_SESSIONS_LIMIT, Session, retry_pause
from .const import DOMAIN, LOGGER, SESSIONS_INTERVAL
from .coordinator import JouloConfigEntry
from .curve import ENERGY_DECIMALS
from .data import YearTally, missed_signal
from .ere import session_counts_for_ere
from .errors import Caller, is_transient, joulo_errors
from .naming import charger_name
from .readings import Hours, SessionReadings
from .storage import DelayedStore, EntryStore

STORAGE_VERSION = 1
SAVE_DELAY = 10.0
"""Seconds before the store is written: after the recorder has committed the rows it describes."""
PAGE_DELAY = 10.0
"""Seconds between two pages of session history."""
MIN_RETRY_DELAY = 1.0


def statistic_id(charger_id: str) -> str:
    """The id of a charger's statistic: `joulo:<charger id>_energy`, as a valid statistic id."""
    slug = "_".join(re.findall(r"[a-z0-9]+", charger_id.lower())) or "charger"
    return f"{DOMAIN}:{slug}_energy"


class StoredTally(TypedDict):
    """What is stored per charger."""

    imported_until: str
    last_session_id: str
    last_hour: str | None
    last_hour_kwh: float
    sum: float
    missed: NotRequired[list[float]]
    """Year, kWh, ERE credits and sessions of this year's sessions that did not count for ERE
    (empty when there are none); missing in a store from before that tally."""


class StoredStatistics(TypedDict):
    """What is stored per entry: the newest session start seen, and each charger's tally."""

    seen_until: str | None
    chargers: dict[str, StoredTally]


@dataclass
class _Tally:
    """A charger's statistic so far: up to which session, its last hour, and its sum."""

    imported_until: datetime | None = None
    last_session_id: str | None = None
    last_hour: datetime | None = None
    last_hour_kwh: float = 0.0
    sum: float = 0.0
    missed: YearTally | None = None

    @classmethod
    def from_store(cls, stored: StoredTally) -> _Tally:
        missed = stored.get("missed")
        return cls(
            imported_until=dt_util.parse_datetime(stored["imported_until"]),
            last_session_id=stored["last_session_id"],
            last_hour=dt_util.parse_datetime(stored["last_hour"]) if stored["last_hour"] else None,
            last_hour_kwh=stored["last_hour_kwh"],
            sum=stored["sum"],
            missed=YearTally(int(missed[0]), missed[1], missed[2], int(missed[3]))
            if missed
            else None,
        )

    def to_store(self) -> StoredTally:
        stored = StoredTally(
            imported_until=(self.imported_until or dt_util.utc_from_timestamp(0)).isoformat(),
            last_session_id=self.last_session_id or "",
            last_hour=self.last_hour.isoformat() if self.last_hour else None,
            last_hour_kwh=self.last_hour_kwh,
            sum=self.sum,
        )
        missed = self.missed
        stored["missed"] = (
            [] if missed is None else [missed.year, missed.kwh, missed.ere_credits, missed.sessions]
        )
        return stored

    def counted(self, session: Session) -> bool:
        """Whether this session of the charger is counted already (or one that started later is)."""
        return self.imported_until is not None and (
            session.started_at < self.imported_until or session.id == self.last_session_id
        )

    def add(
        self,
        session: Session,
        hours: Hours,
        rows: dict[datetime, StatisticData],
        *,
        counts: bool,
    ) -> None:
        """Count a completed session (not `counted` yet) of `hours`; put the hours it changed in rows.

        A session of this year that does not count for ERE (`counts`) is added to what was missed.
        """
        self.imported_until = session.ended_or_started_at
        self.last_session_id = session.id
        if not counts:
            self._miss(session)
        for hour, kwh in hours:
            if self.last_hour is not None and hour <= self.last_hour:
                # An hour written before (never an earlier one: sessions of a charger do not overlap).
                self.last_hour_kwh = round(self.last_hour_kwh + kwh, ENERGY_DECIMALS)
            else:
                self.last_hour, self.last_hour_kwh = hour, kwh
            self.sum = round(self.sum + kwh, ENERGY_DECIMALS)
            rows[self.last_hour] = StatisticData(
                start=self.last_hour, state=self.last_hour_kwh, sum=self.sum
            )

    def _miss(self, session: Session) -> None:
        """Add a session that did not count to its year's tally, if that is this year."""
        year = dt_util.as_local(session.started_at).year
        if year != dt_util.now().year:
            return
        if self.missed is None or self.missed.year != year:
            self.missed = YearTally(year)
        self.missed.kwh = round(self.missed.kwh + (session.kwh or 0.0), ENERGY_DECIMALS)
        self.missed.ere_credits = round(
            self.missed.ere_credits + (session.ere_credits or 0.0), ENERGY_DECIMALS
        )
        self.missed.sessions += 1


@dataclass
class _Paging:
    """Reading older pages of `/sessions` until they reach sessions seen before."""

    sessions: dict[str, Session]
    offset: int
    whole: bool = False
    """Whether to read to the history's end, past what was seen before (for costs of it all)."""
    retried: bool = False
    """Whether the page at `offset` failed transiently and was asked for again."""


class SessionStatistics:
    """Imports a config entry's completed sessions into one long-term statistic per charger."""

    history_step: Callable[..., None] | None = None
    """Called with the sessions of the history once they are read, and whether that was the whole
    history (the refresh pipeline's step)."""

    def __init__(
        self, hass: HomeAssistant, entry: JouloConfigEntry, readings: SessionReadings
    ) -> None:
        """Import for `entry`, whose runtime data (client and coordinators) is set up.

        A session's hours are those its `readings` draw.
        """
        self._hass = hass
        self._entry = entry
        self._readings = readings
        self._store = DelayedStore(
            hass,
            entry.entry_id,
            EntryStore.STATISTICS,
            version=STORAGE_VERSION,
            delay=SAVE_DELAY,
            serialize=self._to_store,
        )
        self._seen_until: datetime | None = None
        self._tallies: dict[str, _Tally] = {}
        self._paging: _Paging | None = None
        self._cancel_timer: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Load how far each charger was imported; nothing stored means the history is read first."""
        stored = await self._store.async_load()
        if stored is None or any("missed" not in tally for tally in stored["chargers"].values()):
            return
        self._seen_until = dt_util.parse_datetime(stored["seen_until"] or "")
        self._tallies = {
            charger_id: _Tally.from_store(tally) for charger_id, tally in stored["chargers"].items()
        }
        self._publish_missed()

    async def async_stop(self) -> None:
        """Stop reading history and write what is not written yet (on unload)."""
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None
        await self._store.async_flush()

    @callback
    def async_process(self) -> None:
        """Import what the sessions coordinator's latest page brings (after each sessions refresh).

        The pipeline calls this only after a successful refresh, so the page is there.
        """
        if self._paging is None:  # else the history is being read, and this page is merged last
            self._sync(self._entry.runtime_data.sessions.data.recent)

    @callback
    def async_period_started(self) -> None:
        """Show this year's tallies again as a month starts: at a new year, last year's go.

        Only once the history is read: until then nothing is shown, and reading it counts only
        sessions of the year it is read in.
        """
        if self._entry.runtime_data.missed_this_year is not None:
            self._publish_missed()

    @callback
    def async_read_history(self) -> None:
        """Read the whole session history again (its sessions go to `history_step`).

        A read of part of it that is under way goes on to its end instead. Statistics already
        written stay as they are: a session is never counted twice.
        """
        if self._paging is not None:
            self._paging.whole = True
            return
        recent = self._entry.runtime_data.sessions.data.recent
        self._paging = _Paging({session.id: session for session in recent}, len(recent), whole=True)
        self._schedule_page(self._paging, PAGE_DELAY)

    def counted(self, session: Session) -> bool:
        """Whether a completed session is in its charger's statistic."""
        tally = self._tallies.get(session.charger_id)
        return tally is not None and tally.counted(session)

    def _recent(self) -> tuple[Session, ...] | None:
        sessions = self._entry.runtime_data.sessions
        return sessions.data.recent if sessions.last_update_success and sessions.data else None

    def _sync(self, recent: tuple[Session, ...]) -> None:
        """Import `recent` when it reaches what was seen before; read older pages first otherwise."""
        if self._connects(recent):
            self._import(recent)
            return
        LOGGER.debug("Reading the session history, %s sessions a page", MAX_SESSIONS_LIMIT)
        self._paging = _Paging(
            {session.id: session for session in recent},
            len(recent),
            whole=self._seen_until is None,
        )
        self._schedule_page(self._paging, PAGE_DELAY)

    def _connects(self, page: tuple[Session, ...], *, whole: bool = False) -> bool:
        """Whether `page` (newest first) ends the history or reaches a session start seen before.

        Reading the `whole` history, only the history's end ends it.
        """
        return len(page) < MAX_SESSIONS_LIMIT or (
            not whole
            and self._seen_until is not None
            and min(session.started_at for session in page) <= self._seen_until
        )

    def _schedule_page(self, paging: _Paging, delay: float) -> None:
        @callback
        def _due(_now: datetime) -> None:
            self._cancel_timer = None
            self._entry.async_create_background_task(
                self._hass, self._async_read_page(paging), f"{DOMAIN} session history"
            )

        self._cancel_timer = async_call_later(self._hass, delay, _due)

    @staticmethod
    def _next_page_in(paging: _Paging, err: UpdateFailed) -> float:
        """Seconds until a page that failed is asked for again (see the module's docstring)."""
        if err.retry_after is not None:
            return max(err.retry_after, MIN_RETRY_DELAY)
        if is_transient(err) and not paging.retried:
            paging.retried = True
            return retry_pause()
        paging.retried = False
        return SESSIONS_INTERVAL.total_seconds()

    async def _async_read_page(self, paging: _Paging) -> None:
        client = self._entry.runtime_data.client
        try:
            with joulo_errors(self._hass, self._entry, Caller.POLL):
                page = await client.get_sessions(limit=MAX_SESSIONS_LIMIT, offset=paging.offset)
        except ConfigEntryAuthFailed:
            # Polling stops for re-authentication too; a new token reloads the entry, which starts over.
            LOGGER.debug("Reading the session history stopped: the token was refused")
            return
        except UpdateFailed as err:
            delay = self._next_page_in(paging, err)
            LOGGER.debug("Reading the session history waits %.0f s: %s", delay, err)
            self._schedule_page(paging, delay)
            return
        paging.retried = False
        # Newer sessions push older ones to later pages: a session may come twice, never be skipped.
        known = len(paging.sessions)
        paging.sessions.update((session.id, session) for session in page.sessions)
        # A page with nothing new ends it too: an API that ignores `offset` cannot keep it going.
        if len(paging.sessions) > known and not self._connects(page.sessions, whole=paging.whole):
            paging.offset += MAX_SESSIONS_LIMIT
            self._schedule_page(paging, PAGE_DELAY)
            return
        self._paging = None
        # The coordinator's page may be fresher than the history's first one.
        paging.sessions.update((session.id, session) for session in self._recent() or ())
        LOGGER.debug("Read the session history: %s sessions", len(paging.sessions))
        self._import(paging.sessions.values())
        if self.history_step is not None:
            self.history_step(paging.sessions.values(), whole=paging.whole)

    def _import(self, sessions: Iterable[Session]) -> None:
        """Add the completed sessions not counted yet to their chargers' statistics.

        Sessions with impossible times count nowhere, not even as the newest seen.
        """
        listed = self._entry.runtime_data.impossible_sessions.possible(sessions, dt_util.utcnow())
        changed = False
        newest = max((session.started_at for session in listed), default=None)
        if newest is not None and (self._seen_until is None or newest > self._seen_until):
            self._seen_until = newest
            changed = True
        rows: dict[str, dict[datetime, StatisticData]] = {}
        names: dict[str, str | None] = {}
        completed = sorted(
            (session for session in listed if session.is_completed),
            key=lambda session: (session.started_at, session.ended_or_started_at),
        )
        chargers = self._entry.runtime_data.chargers.data
        for session in completed:
            tally = self._tallies.setdefault(session.charger_id, _Tally())
            counts = session_counts_for_ere(session, chargers.get(session.charger_id))
            if tally.counted(session):
                continue
            hours, _ = self._readings.hours(session)
            tally.add(session, hours, rows.setdefault(session.charger_id, {}), counts=counts)
            changed = True
            names[session.charger_id] = session.charger_nickname
        for charger_id, charger_rows in rows.items():
            if charger_rows:
                async_add_external_statistics(
                    self._hass,
                    self._metadata(charger_id, names.get(charger_id)),
                    [charger_rows[hour] for hour in sorted(charger_rows)],
                )
        if changed:
            self._store.schedule_save()
        if changed or self._entry.runtime_data.missed_this_year is None:
            self._publish_missed()

    def _publish_missed(self) -> None:
        """Show this year's missed tallies in the runtime data, and tell who listens."""
        year = dt_util.now().year
        self._entry.runtime_data.missed_this_year = {
            charger_id: tally.missed
            for charger_id, tally in self._tallies.items()
            if tally.missed is not None and tally.missed.year == year
        }
        async_dispatcher_send(self._hass, missed_signal(self._entry.entry_id))

    def _metadata(self, charger_id: str, nickname: str | None) -> StatisticMetaData:
        charger = self._entry.runtime_data.chargers.data.get(charger_id)
        name = charger_name(charger_id, charger.nickname if charger else None, nickname)
        return StatisticMetaData(
            has_sum=True,
            mean_type=StatisticMeanType.NONE,
            name=f"{name} charging energy",
            source=DOMAIN,
            statistic_id=statistic_id(charger_id),
            unit_class=EnergyConverter.UNIT_CLASS,
            unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        )

    def _to_store(self) -> StoredStatistics:
        return StoredStatistics(
            seen_until=self._seen_until.isoformat() if self._seen_until else None,
            chargers={charger_id: tally.to_store() for charger_id, tally in self._tallies.items()},
        )


async def async_setup_statistics(
    hass: HomeAssistant, entry: JouloConfigEntry, readings: SessionReadings
) -> SessionStatistics | None:
    """Import the entry's sessions into long-term statistics, when the recorder runs.

    The refresh pipeline calls the importer after each sessions refresh; it stops on unload.
    """
    if "recorder" not in hass.config.components:
        return None
    statistics = SessionStatistics(hass, entry, readings)
    entry.runtime_data.reads_history = True
    await statistics.async_load()
    entry.async_on_unload(statistics.async_stop)
    return statistics
