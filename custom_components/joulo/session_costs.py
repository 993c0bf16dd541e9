"""The completed sessions of the last months and what each cost, worked out once and kept.

Every completed session is kept with what the month figures of chargers, vehicles and the account
need: its charger, TAG id, start, kWh and the ERE credits that count. With a price source in the
options it is priced when it is first seen completed: its hours come from the readings taken while it
ran (`readings.SessionReadings`), its prices from the price source (`prices.async_hourly_prices`: a
fixed price at once; a price entity's hours from the recorder, in one read for every session that
waits, never per poll), its ERE value from the price ERE are worth at that moment. The result
(`cost.SessionCost`) is stored: a restart or a later change of the price history never moves it. A
session with an hour without a price has an unknown cost (its `missing_hours`).

The stored costs belong to one price source: when the options name another, the sessions are priced
again as they are seen (their hours spread evenly, their readings being gone), and the session
history is read again (`needs_history`) so that older sessions are too. Sessions that started more
than `KEEP_FOR` ago are dropped; the energy report works their costs out itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .api import Session
from .const import DOMAIN
from .cost import CostSums, SessionCost, session_cost
from .ere import SessionEre
from .periods import Period, period_start
from .prices import async_hourly_prices
from .pricing import PriceSource
from .readings import Hours, SessionReadings, spread
from .session_times import ImpossibleSessions
from .storage import DelayedStore, EntryStore

STORAGE_VERSION = 1
SAVE_DELAY = 10.0
KEEP_FOR = timedelta(days=62)
"""How long a session is kept: this month's figures, and last month's statement, need no more."""


@dataclass(frozen=True, slots=True)
class PricedSession:
    """A completed session as the month figures need it, and its cost (None without a price source)."""

    charger_id: str
    id_tag: str | None
    started_at: datetime
    kwh: float
    ere_credits: float
    """Its ERE credits that count (0 on a charger without MID)."""
    cost: SessionCost | None


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A completed session whose hours are known, waiting for their prices."""

    session: Session
    hours: Hours
    basis: str
    ere: SessionEre

    def cost_at(self, prices: Mapping[datetime, float] | float) -> SessionCost:
        """What the session cost at `prices` (EUR/kWh per hour start, or one price)."""
        return session_cost(self.hours, prices, self.ere.value, self.basis)


class StoredCost(TypedDict):
    """What is stored of a session's cost."""

    cost_eur: float | None
    net_cost_eur: float | None
    price_per_kwh: float | None
    missing_hours: list[str]
    basis: str


class StoredSession(TypedDict):
    """What is stored per session."""

    charger_id: str
    id_tag: str | None
    started_at: str
    kwh: float
    ere_credits: float
    cost: StoredCost | None


class StoredCosts(TypedDict):
    """What is stored per entry: the price source, whether the history was read, each session."""

    source: str | None
    history: bool
    sessions: dict[str, StoredSession]


def source_key(source: PriceSource | None) -> str | None:
    """How a price source is named in the store: another name means other costs."""
    if source is None:
        return None
    if source.entity_id is not None:
        return f"entity:{source.entity_id}"
    return f"fixed:{source.fixed_price}"


class SessionCosts:
    """Keeps an entry's completed sessions with their costs, and sums them by month."""

    priced_step: Callable[[], None] | None = None
    """Called after costs that waited for the recorder are known (the refresh pipeline's step)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        source: PriceSource | None,
        readings: SessionReadings | None,
        *,
        impossible: ImpossibleSessions,
        ere_of: Callable[[Session], SessionEre],
    ) -> None:
        """Keep the sessions of `entry`, priced at `source` with the hours `readings` draw.

        Without a source nothing is priced (and there are no readings without the recorder either).
        Sessions `impossible` names are never kept; `ere_of` says what a session earned now.
        """
        self._hass = hass
        self._entry = entry
        self._source = source
        self._readings = readings
        self._impossible = impossible
        self._ere_of = ere_of
        self._store: DelayedStore[StoredCosts] = DelayedStore(
            hass,
            entry.entry_id,
            EntryStore.COSTS,
            version=STORAGE_VERSION,
            delay=SAVE_DELAY,
            serialize=self._to_store,
        )
        self._costs: dict[str, PricedSession] = {}
        self._reprice: set[str] = set()
        """Sessions kept with a cost of another price source: priced again when next seen."""
        self._waiting: dict[str, _Waiting] = {}
        self._reading = False
        self.needs_history = True
        """Whether the session history has to be read (it was not, at this price source)."""

    @property
    def priced(self) -> bool:
        """Whether sessions are priced: the options name a price source."""
        return self._source is not None

    async def async_load(self) -> None:
        """Load the sessions kept before; costs of another price source are worked out again."""
        stored = await self._store.async_load()
        if stored is None:
            return
        same_source = stored["source"] == source_key(self._source)
        self.needs_history = not (same_source and stored["history"])
        for session_id, kept in stored["sessions"].items():
            if (started_at := dt_util.parse_datetime(kept["started_at"])) is None:
                continue
            cost = kept["cost"]
            self._costs[session_id] = PricedSession(
                charger_id=kept["charger_id"],
                id_tag=kept["id_tag"],
                started_at=started_at,
                kwh=kept["kwh"],
                ere_credits=kept["ere_credits"],
                cost=None
                if cost is None or not same_source
                else SessionCost(
                    cost_eur=cost["cost_eur"],
                    net_cost_eur=cost["net_cost_eur"],
                    price_per_kwh=cost["price_per_kwh"],
                    missing_hours=tuple(
                        hour
                        for text in cost["missing_hours"]
                        if (hour := dt_util.parse_datetime(text)) is not None
                    ),
                    basis=cost["basis"],
                ),
            )
            if not same_source and self._source is not None:
                self._reprice.add(session_id)
        if not same_source:
            self._store.schedule_save()

    async def async_stop(self) -> None:
        """Write what is not written yet (on unload)."""
        await self._store.async_flush()

    def price(self, sessions: Iterable[Session], *, history: bool = False) -> bool:
        """Keep (and price) the completed sessions not kept yet; whether the kept ones changed now.

        Without a price source they are kept at once, unpriced; with a fixed price they are priced
        at once; with a price entity they wait for one read of the recorder (in the background), and
        `priced_step` follows. `history` says these are the whole session history: it need not be
        read again.
        """
        if history and self.needs_history:
            self.needs_history = False
            self._store.schedule_save()
        now = dt_util.utcnow()
        new = [
            session
            for session in self._impossible.possible(sessions, now)
            if session.is_completed
            and (session.id not in self._costs or session.id in self._reprice)
            and session.id not in self._waiting
            and session.started_at >= now - KEEP_FOR
        ]
        for session in new:
            self._reprice.discard(session.id)
            self._waiting[session.id] = self._waiting_for_prices(session)
        if not self._waiting:
            return False
        if self._source is None or self._source.fixed_price is not None:
            self._settle(None if self._source is None else self._source.fixed_price)
            return True
        if not self._reading:
            self._reading = True
            self._entry.async_create_background_task(
                self._hass, self._async_read_prices(self._source), f"{DOMAIN} session prices"
            )
        return False

    async def async_costs_of(self, sessions: Iterable[Session]) -> dict[str, SessionCost]:
        """The cost of each completed session: the one kept, else worked out now (not kept).

        Those worked out now are priced in one read of the prices, their hours spread evenly
        unless readings of them are kept (for the energy report, of any period). Without a price
        source, none.
        """
        if self._source is None:
            return {}
        known = {}
        unpriced = []
        for session in sessions:
            if not session.is_completed:
                continue
            if (priced := self._costs.get(session.id)) is not None and priced.cost is not None:
                known[session.id] = priced.cost
            else:
                unpriced.append(self._waiting_for_prices(session))
        if unpriced:
            hours = {hour for waiting in unpriced for hour, _ in waiting.hours}
            prices = await async_hourly_prices(self._hass, self._source, hours)
            known.update((waiting.session.id, waiting.cost_at(prices)) for waiting in unpriced)
        return known

    def waiting(self, session_id: str) -> bool:
        """Whether this session's cost waits for the recorder (its `ended` announcement waits too)."""
        return session_id in self._waiting

    def of(self, session_id: str) -> PricedSession | None:
        """A session's cost, once priced."""
        return self._costs.get(session_id)

    def summary(self) -> dict[str, int | bool]:
        """How many sessions are kept, priced with a known cost, and waiting; whether priced at all."""
        return {
            "priced": self.priced,
            "sessions_kept": len(self._costs),
            "sessions_with_a_cost": sum(
                1
                for priced in self._costs.values()
                if priced.cost is not None and priced.cost.cost_eur is not None
            ),
            "sessions_waiting": len(self._waiting),
            "history_read": not self.needs_history,
        }

    def kept(self) -> list[PricedSession]:
        """Every session kept (those of the last `KEEP_FOR`)."""
        return list(self._costs.values())

    def this_month(self) -> list[PricedSession]:
        """The sessions kept that started this month (Home Assistant's time zone)."""
        start = period_start(dt_util.utcnow(), Period.MONTH, dt_util.get_default_time_zone())
        return [priced for priced in self._costs.values() if priced.started_at >= start]

    def month_sums(self, charger_id: str | None = None) -> CostSums:
        """The costs of the sessions that started this month (of one charger, or of all)."""
        sums = CostSums()
        for priced in self.this_month():
            if priced.cost is not None and charger_id in (None, priced.charger_id):
                sums.add(priced.kwh, priced.cost)
        return sums

    async def _async_read_prices(self, source: PriceSource) -> None:
        """Read the prices of every waiting session's hours at once, until none waits."""
        try:
            while self._waiting:
                hours = {hour for waiting in self._waiting.values() for hour, _ in waiting.hours}
                prices = await async_hourly_prices(self._hass, source, hours)
                self._settle(prices)
                if self.priced_step is not None:
                    self.priced_step()
        finally:
            self._reading = False

    def _settle(self, prices: Mapping[datetime, float] | float | None) -> None:
        """Keep every waiting session, priced at `prices` (None: unpriced); drop the old ones."""
        now = dt_util.utcnow()
        for session_id, waiting in list(self._waiting.items()):
            session = waiting.session
            self._costs[session_id] = PricedSession(
                charger_id=session.charger_id,
                id_tag=session.id_tag,
                started_at=session.started_at,
                kwh=session.kwh or 0.0,
                ere_credits=waiting.ere.credits,
                cost=None if prices is None else waiting.cost_at(prices),
            )
            del self._waiting[session_id]
        for session_id, priced in list(self._costs.items()):
            if priced.started_at < now - KEEP_FOR:
                del self._costs[session_id]
        self._store.schedule_save()

    def _waiting_for_prices(self, session: Session) -> _Waiting:
        """A completed session with its hours and ERE as they are now, to be priced."""
        hours, basis = (
            self._readings.hours(session) if self._readings is not None else spread(session)
        )
        return _Waiting(session, hours, basis, self._ere_of(session))

    def _to_store(self) -> StoredCosts:
        return StoredCosts(
            source=source_key(self._source),
            history=not self.needs_history,
            sessions={
                session_id: StoredSession(
                    charger_id=priced.charger_id,
                    id_tag=priced.id_tag,
                    started_at=priced.started_at.isoformat(),
                    kwh=priced.kwh,
                    ere_credits=priced.ere_credits,
                    cost=None if (cost := priced.cost) is None else _stored_cost(cost),
                )
                for session_id, priced in self._costs.items()
            },
        )


def _stored_cost(cost: SessionCost) -> StoredCost:
    return StoredCost(
        cost_eur=cost.cost_eur,
        net_cost_eur=cost.net_cost_eur,
        price_per_kwh=cost.price_per_kwh,
        missing_hours=[hour.isoformat() for hour in cost.missing_hours],
        basis=cost.basis,
    )
